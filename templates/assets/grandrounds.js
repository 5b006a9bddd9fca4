/* grandrounds: the home page's case filters, column sorting and shareable URL state, and
   the case pages' teaching questions.
   Progressive enhancement: without this script the form stays hidden and the whole table
   shows, and each question's answer sits in its closed `details.gr-answer`. No library and no server: every case row carries its facets as data attributes
   (data-specialty, data-type, data-sex, data-age, data-year, data-text), written by
   templates/home.md.j2. The filters are mirrored in the query string
   (?specialty=...&type=...&sex=...&age=...&year=...&q=...) and read back on load. */
(function () {
  "use strict";

  var FACETS = ["specialty", "type", "sex", "age", "year"];

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(function (w) { return w; });
  }

  function hasValue(list, value) {
    return (" " + (list || "") + " ").indexOf(" " + value + " ") >= 0;
  }

  function setUpFilters(form, table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr.gr-case"));
    var count = document.getElementById("gr-count");
    var query = document.getElementById("gr-filter-q");
    var selects = {};
    FACETS.forEach(function (name) { selects[name] = document.getElementById("gr-filter-" + name); });

    function readUrl() {
      var params = new URLSearchParams(window.location.search);
      FACETS.forEach(function (name) {
        var select = selects[name], value = params.get(name) || "";
        if (!select) { return; }
        var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
        select.value = known ? value : "";
      });
      if (query) { query.value = params.get("q") || ""; }
    }

    function writeUrl() {
      var params = new URLSearchParams(window.location.search);
      FACETS.forEach(function (name) {
        var value = selects[name] ? selects[name].value : "";
        if (value) { params.set(name, value); } else { params.delete(name); }
      });
      var text = query ? query.value.trim() : "";
      if (text) { params.set("q", text); } else { params.delete("q"); }
      var search = params.toString();
      window.history.replaceState(window.history.state, "",
        window.location.pathname + (search ? "?" + search : "") + window.location.hash);
    }

    function matches(row) {
      for (var i = 0; i < FACETS.length; i++) {
        var select = selects[FACETS[i]];
        if (select && select.value && !hasValue(row.getAttribute("data-" + FACETS[i]), select.value)) {
          return false;
        }
      }
      var text = row.getAttribute("data-text") || "";
      return words(query ? query.value : "").every(function (w) { return text.indexOf(w) >= 0; });
    }

    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var keep = matches(row);
        row.hidden = !keep;
        if (keep) { shown += 1; }
      });
      if (count) {
        count.textContent = shown + " of " + rows.length + " case" + (rows.length === 1 ? "" : "s");
      }
    }

    function update() { apply(); writeUrl(); }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
    form.addEventListener("reset", function () { window.setTimeout(update, 0); });
    readUrl();
    apply();
    form.hidden = false;
  }

  function sortKey(row, column, kind) {
    if (kind === "date") { return row.getAttribute("data-date") || ""; }
    var cell = row.cells[column];
    return cell ? cell.textContent.trim().toLowerCase() : "";
  }

  function setUpSorting(table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th"));
    var body = table.tBodies[0];
    headers.forEach(function (th, column) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "gr-sort";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var kind = th.getAttribute("data-sort") || "text";
        var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
          return { row: row, key: sortKey(row, column, kind), index: index };
        });
        rows.sort(function (a, b) {
          var order = a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
          if (kind === "text" && order !== 0) { order = a.key.localeCompare(b.key); }
          return (ascending ? order : -order) || a.index - b.index;
        });
        rows.forEach(function (item) { body.appendChild(item.row); });
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  }

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
    var form = document.getElementById("gr-filters");
    var table = document.getElementById("gr-cases");
    if (!table || table.getAttribute("data-gr-ready")) { return; }
    table.setAttribute("data-gr-ready", "");
    if (form) { setUpFilters(form, table); }
    setUpSorting(table);
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
