/* grandrounds: the case pages' teaching questions (the home page's filters are
   assets/filters.js).
   Progressive enhancement: without this script each question's answer sits in its closed
   `details.gr-answer`. */
(function () {
  "use strict";

  /* Teaching questions (templates/case.md.j2, `question_block`): a
     section.gr-question[data-question] holds a fieldset of radios (one correct option) or
     checkboxes (several), the hidden Check / Try again buttons, a live feedback line and
     details.gr-answer, whose items carry data-option (A, B ...) and data-correct. The
     answer is hidden until the reader checks a choice; then the feedback says whether it
     was right, every option is marked and every explanation shows; "Try again" starts over. */

  function letters(list) {
    if (list.length < 2) { return list.join(""); }
    return list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
  }

  function setUpQuestion(section) {
    if (section.getAttribute("data-gr-ready") !== null) { return; }
    section.setAttribute("data-gr-ready", "");
    var inputs = Array.prototype.slice.call(section.querySelectorAll(".gr-options input"));
    var actions = section.querySelector(".gr-question-actions");
    var check = section.querySelector("button.gr-check");
    var retry = section.querySelector("button.gr-retry");
    var feedback = section.querySelector(".gr-feedback");
    var answer = section.querySelector("details.gr-answer");
    if (!inputs.length || !actions || !check || !retry || !feedback || !answer) { return; }
    var correct = Array.prototype.slice.call(answer.querySelectorAll("[data-option][data-correct='true']"))
      .map(function (item) { return item.getAttribute("data-option"); });
    var multiple = section.getAttribute("data-kind") === "multiple";

    function option(input) { return input.closest(".gr-option"); }

    /* The result of one option, in words inside its label (not by colour alone). */
    function mark(input, result) {
      var item = option(input);
      var label = item.querySelector("label");
      var words = item.querySelector(".gr-result");
      if (!words && result && label) {
        words = document.createElement("span");
        words.className = "gr-result";
        label.appendChild(words);
      }
      if (result) { item.setAttribute("data-result", result); } else { item.removeAttribute("data-result"); }
      if (words) { words.textContent = result === "correct" ? " ✓ correct" : result === "wrong" ? " ✗ incorrect" : ""; }
    }

    function answerIt() {
      var chosen = inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      if (!chosen.length) {
        feedback.textContent = multiple ? "Choose one or more options first." : "Choose an option first.";
        return;
      }
      var right = 0;
      inputs.forEach(function (input) {
        var isCorrect = correct.indexOf(input.value) >= 0;
        if (input.checked === isCorrect) { right += 1; }
        mark(input, isCorrect ? "correct" : input.checked ? "wrong" : "");
        input.disabled = true;
      });
      var all = right === inputs.length;
      var key = (correct.length > 1 ? "The answers are " : "The answer is ") + letters(correct) + ".";
      if (!multiple) {
        feedback.textContent = all ? "Correct: " + chosen[0] + " is the answer." : "Not quite: " + chosen[0] +
          " is not the best answer. " + key;
      } else {
        feedback.textContent = all ? "Correct: " + letters(correct) + "." :
          "Not quite: " + right + " of " + inputs.length + " options right. " + key;
      }
      section.setAttribute("data-answered", all ? "correct" : "wrong");
      answer.hidden = false;
      answer.open = true;
      check.hidden = true;
      retry.hidden = false;
      retry.focus();
    }

    function reset() {
      inputs.forEach(function (input) {
        input.checked = false;
        input.disabled = false;
        mark(input, "");
      });
      section.removeAttribute("data-answered");
      feedback.textContent = "";
      answer.open = false;
      answer.hidden = true;
      retry.hidden = true;
      check.hidden = false;
      inputs[0].focus();
    }

    check.addEventListener("click", answerIt);
    retry.addEventListener("click", reset);
    answer.hidden = true;
    actions.hidden = false;
  }

  function setUp() {
    Array.prototype.forEach.call(document.querySelectorAll("section.gr-question[data-question]"), setUpQuestion);
  }

  // Material's instant navigation swaps pages without a load event; document$ covers both.
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
