/* grandrounds present mode: a case page shown one step at a time, for a case conference.

   Owns: the "Present" button on a case page (put after the title), the steps made from the
   page as built, the full-viewport view (classes and data attributes that present.css
   styles, a bar with Previous / Next / Exit and a polite step counter), the keys, the
   Fullscreen API (tried only on a user's action; a refusal is ignored) and the step in
   the URL (`?present=N`, 1-based, written with history.replaceState). Does not own the
   page's content or its reveals' markup (templates/case.md.j2, templates/assets/grandrounds.js):
   the view shows the page's own nodes in place (none is moved, copied or rewritten, so
   ids, links and the question scripts keep working) and hides the rest with CSS.

   Steps, in page order: the title and byline; then each section (an `h2` and what
   follows it; one step per `h3` subsection, as in a structured abstract, and per figure,
   with the section's heading on each), except the citation and CARE sections, related
   cases, the disclaimer and the tag chips. A question (`section.gr-question`) is a step
   of its own, split from its section (with the figure it comes straight after, as in an
   image challenge). A step with reveals (`details.gr-reveal` of a hidden section,
   `details.gr-answer` of a question) is shown first with all of them closed, then once
   more for each reveal, opened in order, so a hidden section or an answer opens as its
   own step; the abstract's hidden parts stay closed (their section opens later, in its
   place). The steps depend on the page only, not on the window, so a step number means
   the same on every screen.

   Why `?present=N` and not `#present=N`: the fragment is the page's anchor (headings, the
   reference list's back links) and Material watches it (instant navigation, toc.follow);
   a query parameter is left alone by both, as Material's own `?h=` search highlight is,
   and a static server ignores it, so a reload or a shared link resumes at the step.

   Leaving (Escape, the Exit button, leaving full screen) puts the page back as it was:
   the reveals' open states and the scroll position from before presenting (after a
   resumed link, which had none, the current step's section is scrolled into view), and
   focus on the Present button. Printing while presenting prints the whole page: every
   presenting rule in present.css is `@media screen`. No library, no request. */
(function () {
  "use strict";

  var PARAM = "present";
  var SESSION_PARAM = "session";  // the teaching session being presented, case after case
  var FULLSCREEN_KEY = "grandrounds-present-fullscreen";  // sessionStorage: across a session's pages
  var ABSTRACT = "abstract";  // the h2 id of the abstract (templates/case.md.j2)
  var SKIPPED_SECTIONS = ["cite-this-summary", "cite-the-original", "care-checklist"];
  var LEFT_OUT = ".gr-present, .gr-related, .gr-disclaimer, .gr-handout-link, .md-tags, " +
    ".md-content__button, .md-source-file, .md-feedback, .gr-session-nav, .gr-present-title";
  var QUESTION = "section.gr-question";
  var REVEALS = "details.gr-reveal, details.gr-answer";
  var FIELDS = "input, select, textarea, [contenteditable]:not([contenteditable='false'])";
  var CONTROLS = FIELDS + ", button, summary, a[href]";
  var MIN_SCALE = 0.6;  // never smaller than the page's own type: below it, a step scrolls

  var state = null;  // while presenting; see enter()

  // ------------------------------------------------------------------ steps

  function elementChildren(node) {
    return Array.prototype.slice.call(node.children);
  }

  function isHeading(node) {
    return /^H[1-6]$/.test(node.tagName);
  }

  /* The page as sections: [{id, nodes}] in page order (an h2 starts one, as does the
     `search_exclude` wrapper of a section kept out of search, which holds its h2); a question is a section of its own
     (with any headings just before it, and the figure it comes straight after, as in an
     image challenge, which stays in its own section too), and what follows it until the
     next h2 is one too. */
  function sections(article) {
    var found = [];
    var current = null;
    function start(id, nodes) {
      current = { id: id, nodes: nodes };
      found.push(current);
    }
    start("", []);
    elementChildren(article).forEach(function (child) {
      if (child.matches(LEFT_OUT)) { return; }
      var wrapped = child.matches(".gr-search-exclude") && child.firstElementChild &&
        child.firstElementChild.tagName === "H2" ? child.firstElementChild : null;
      if (child.tagName === "H2") {
        start(child.id, [child]);
      } else if (wrapped) {  // a section kept out of search: its wrapper starts the section
        start(wrapped.id, [child]);
      } else if (child.matches(QUESTION) || child.querySelector(QUESTION)) {
        var last = current.nodes[current.nodes.length - 1];
        var lead = current.nodes.every(isHeading) ? current.nodes.splice(0)
          : last && last.tagName === "FIGURE" ? [last] : [];
        var id = current.id;
        start(id, lead.concat([child]));
        start(id, []);
      } else {
        current.nodes.push(child);
      }
    });
    return found.filter(function (section) {
      return SKIPPED_SECTIONS.indexOf(section.id) < 0 &&
        !section.nodes.every(isHeading);  // a heading alone (empty section) is no step
    });
  }

  function revealsIn(nodes) {
    var found = [];
    nodes.forEach(function (node) {
      if (node.matches(REVEALS)) { found.push(node); }
      Array.prototype.push.apply(found, node.querySelectorAll(REVEALS));
    });
    return found;
  }

  /* A section's pages, each with the section's heading: one per h3 subsection (a
     structured abstract part by part) and one per figure, so each is shown large. */
  function pages(section) {
    var heading = section.nodes[0] && section.nodes[0].tagName === "H2" ? [section.nodes[0]] : [];
    var found = [heading.slice()];
    section.nodes.slice(heading.length).forEach(function (node) {
      var page = found[found.length - 1];
      var starts = node.tagName === "H3" ||
        (node.tagName === "FIGURE" && page.some(function (n) { return n.tagName === "FIGURE"; }));
      if (starts && page.length > heading.length) { found.push(heading.slice()); }
      found[found.length - 1].push(node);
    });
    return found;
  }

  /* Steps: [{nodes, open, closed}]: each page once with its reveals closed, then once
     more for each reveal, the first i of them open. The abstract's hidden parts are not
     opened: they repeat a hidden section of the body, which is revealed in its own place,
     so the overview at the start does not give the diagnosis away (a click on a prompt
     still opens it). */
  function buildSteps(article) {
    var steps = [];
    sections(article).forEach(function (section) {
      pages(section).forEach(function (nodes) {
        var reveals = revealsIn(nodes);
        var opens = section.id === ABSTRACT ? 0 : reveals.length;
        for (var i = 0; i <= opens; i++) {
          steps.push({ nodes: nodes, open: reveals.slice(0, i), closed: reveals.slice(i) });
        }
      });
    });
    return steps;
  }

  /* The steps of `article`, presented in a session: an unknown session's title for the
     case (`titleNode`) stands in for the page's heading, which comes back as the last
     step (the case's own title, after everything else) when it says more. */
  function stepsFor(article, titleNode) {
    var steps = buildSteps(article);
    var heading = article.querySelector(":scope > h1");
    if (!titleNode || !heading) { return steps; }
    steps.forEach(function (step) {
      step.nodes = step.nodes.map(function (node) { return node === heading ? titleNode : node; });
    });
    var own = heading.cloneNode(true);
    Array.prototype.forEach.call(own.querySelectorAll(".headerlink"), function (n) { n.remove(); });
    if (own.textContent.trim() !== titleNode.textContent.trim()) {
      steps.push({ nodes: [heading], open: [], closed: [] });
    }
    return steps;
  }

  /* The article's child that holds `node` (Material wraps tables in scroll boxes after the
     page loads, so a step's table may sit inside a wrapper by the time it is shown). */
  function topLevel(article, node) {
    while (node && node.parentNode !== article) { node = node.parentNode; }
    return node;
  }

  // ------------------------------------------------------------------ the URL

  /* The step in the URL: a number from 1, or "last" (where going back from the next case
     of a session lands); null when not presenting. */
  function stepInUrl() {
    var value = new URLSearchParams(window.location.search).get(PARAM);
    if (value === "last") { return Infinity; }
    return value && /^[1-9][0-9]{0,5}$/.test(value) ? Number(value) : null;
  }

  /* The URL of `link` (a session's link, resolved by the engine) presenting at `step`. */
  function presentingUrl(link, step, session) {
    var url = new URL(link.href, window.location.href);
    url.searchParams.set(PARAM, step);
    url.searchParams.set(SESSION_PARAM, session);
    return url.href;
  }

  function writeUrl(step) {
    var params = new URLSearchParams(window.location.search);
    if (step) { params.set(PARAM, String(step)); } else { params.delete(PARAM); }
    var search = params.toString();
    window.history.replaceState(window.history.state, "",
      window.location.pathname + (search ? "?" + search : "") + window.location.hash);
  }

  // ------------------------------------------------------------------ the view

  function button(label, className, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    b.addEventListener("click", action);
    return b;
  }

  function makeBar() {
    var bar = document.createElement("nav");  // a landmark: moving through the steps
    bar.className = "gr-present-bar";
    bar.setAttribute("aria-label", "Presentation");
    var counter = document.createElement("p");
    counter.className = "gr-present-counter";
    counter.setAttribute("role", "status");  // polite: read when the screen reader is idle
    var previous = button("Previous", "gr-present-previous", function () { resumeFullscreen(); go(state.index - 1); });
    var next = button("Next", "gr-present-next", function () { resumeFullscreen(); go(state.index + 1); });
    var exitButton = button("Exit", "gr-present-exit", function () { exit(true); });
    exitButton.setAttribute("aria-keyshortcuts", "Escape");
    previous.setAttribute("aria-keyshortcuts", "ArrowLeft PageUp Shift+Space");
    next.setAttribute("aria-keyshortcuts", "ArrowRight PageDown Space");
    [previous, counter, next, exitButton].forEach(function (n) { bar.appendChild(n); });
    return { bar: bar, counter: counter, previous: previous, next: next };
  }

  /* The largest type, up to present.css's size, at which the step fits the view (below
     MIN_SCALE it scrolls instead). */
  function fit() {
    var view = state.article, root = document.documentElement.style;
    var scale = 1;
    root.setProperty("--gr-present-scale", "1");
    while (view.scrollHeight > view.clientHeight + 1 && scale > MIN_SCALE) {
      scale = Math.max(MIN_SCALE, scale * 0.88);
      root.setProperty("--gr-present-scale", scale.toFixed(3));
    }
  }

  function show(index) {
    var article = state.article;
    if (state.steps.some(function (s) { return s.nodes.some(function (n) { return !article.contains(n); }); })) {
      state.steps = stepsFor(article, state.titleNode);  // the page changed under us (another script)
    }
    state.index = Math.max(0, Math.min(index, state.steps.length - 1));
    var step = state.steps[state.index];
    state.shown.forEach(function (node) { node.removeAttribute("data-gr-step"); });
    state.shown = step.nodes.map(function (node) { return topLevel(article, node); })
      .filter(function (node) { return node; });
    state.shown.forEach(function (node) { node.setAttribute("data-gr-step", ""); });
    step.open.forEach(function (d) { d.open = true; });
    step.closed.forEach(function (d) { d.open = false; });
    state.ui.counter.textContent = (state.place ? state.place + " · " : "") +
      "Step " + (state.index + 1) + " of " + state.steps.length;
    state.ui.previous.disabled = state.index === 0 && !state.before;
    state.ui.next.disabled = state.index === state.steps.length - 1 && !state.after;
    var focused = document.activeElement;
    if (!focused || focused === document.body || focused.disabled || !focused.getClientRects().length) {
      article.focus({ preventScroll: true });  // focus never falls out of the view
    }
    article.scrollTop = 0;
    fit();
    if (step.open.length) { scrollWithin(article, step.open[step.open.length - 1]); }
    writeUrl(state.index + 1);
  }

  /* When the step is taller than the view, scroll it so that what this step opened (a
     reveal, an answer) is in sight: all of it when it fits, else its start. */
  function scrollWithin(view, node) {
    var box = node.getBoundingClientRect(), frame = view.getBoundingClientRect();
    var top = box.top - frame.top + view.scrollTop, bottom = box.bottom - frame.top + view.scrollTop;
    var wanted = Math.min(top, bottom - view.clientHeight);
    if (wanted > 0) { view.scrollTop = wanted; }
  }

  /* Show step `index`; past either end of a case presented in a session, go on to the
     session's next or previous page (a new page load: full screen, which a browser ends
     with the page, is asked for again at the next key or click there). */
  function go(index) {
    if (!state) { return; }
    var away = index >= state.steps.length ? state.after : index < 0 ? state.before : null;
    if (away) {
      try {
        window.sessionStorage.setItem(FULLSCREEN_KEY, document.fullscreenElement ? "1" : "");
      } catch (error) { /* storage refused: full screen is not asked for again */ }
      window.location.assign(away);
    } else if (index >= 0 && index < state.steps.length && index !== state.index) {
      show(index);
    }
  }

  /* Full screen again after a session's page load, at the first user action (a browser
     grants it only then), if it was on when the last page was left. */
  function resumeFullscreen() {
    if (!state || !state.refullscreen) { return; }
    state.refullscreen = false;
    requestFullscreen();
  }

  // ------------------------------------------------------------------ keys and full screen

  /* What a key does while presenting: a step index, "exit", or null (the key keeps its
     own meaning). Arrows, Home and End belong to a focused form field (a radio group moves
     its choice with them); space belongs to any focused control (it presses a button,
     ticks a box). Page Down and Up, what a presentation clicker sends, always step. */
  function keyAction(event, index, last) {
    var target = event.target instanceof Element ? event.target : null;
    var inField = !!(target && target.closest(FIELDS));
    var onControl = !!(target && target.closest(CONTROLS));
    switch (event.key) {
      case "Escape": return "exit";
      case "PageDown": return index + 1;
      case "PageUp": return index - 1;
      case "ArrowRight": case "ArrowDown": return inField ? null : index + 1;
      case "ArrowLeft": case "ArrowUp": return inField ? null : index - 1;
      case "Home": return inField ? null : 0;
      case "End": return inField ? null : last;
      case " ": return onControl ? null : index + (event.shiftKey ? -1 : 1);
      default: return null;
    }
  }

  function onKey(event) {
    if (!state) { return; }
    var target = event.target instanceof Element ? event.target : null;
    if (!(target && target.closest(FIELDS))) {
      event.stopPropagation();  // Material's own keys (search, next page) rest meanwhile
    }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var action = keyAction(event, state.index, state.steps.length - 1);
    if (action === null) { return; }
    event.preventDefault();
    if (action !== "exit") { resumeFullscreen(); }
    if (action === "exit") { exit(true); } else { go(action); }
  }

  function onFullscreenChange() {
    if (!state) { return; }
    if (document.fullscreenElement) {
      state.fullscreen = true;
    } else if (state.fullscreen) {
      exit(true);  // the browser's own way out (Escape, F11) leaves the presentation too
    }
  }

  function onResize() {
    if (state) { fit(); }
  }

  function onAfterPrint() {
    if (state) { show(state.index); }  // Material opened every reveal for the printout
  }

  function requestFullscreen() {
    var root = document.documentElement;
    if (!root.requestFullscreen || document.fullscreenElement) { return; }
    try {
      root.requestFullscreen().catch(function () { /* refused: the view still fills the window */ });
    } catch (error) { /* an old API shape: the same */ }
  }

  // ------------------------------------------------------------------ enter and leave

  /* Show the case from step `index` (0-based). `fromUser`: started by a click or key, so
     full screen may be asked for; otherwise (a link with ?present=N) it is not. */
  function enter(article, presentButton, index, fromUser) {
    if (state) { return; }
    var reveals = Array.prototype.slice.call(article.querySelectorAll(REVEALS));
    var session = sessionContext(article);
    var titleNode = session && session.title !== null ? makeTitle(article, session.title) : null;
    state = {
      article: article,
      button: presentButton,
      steps: stepsFor(article, titleNode),
      titleNode: titleNode,
      place: session && session.place,
      before: session && session.before,
      after: session && session.after,
      refullscreen: !fromUser && !!session && takeFullscreenFlag(),
      index: 0,
      shown: [],
      ui: makeBar(),
      fullscreen: false,
      resumed: !fromUser,
      scroll: { x: window.scrollX, y: window.scrollY },
      opened: reveals.map(function (d) { return [d, d.open]; }),
      tabindex: article.getAttribute("tabindex")
    };
    if (!state.steps.length) {
      if (titleNode) { titleNode.remove(); }
      state = null;
      return;
    }
    document.body.appendChild(state.ui.bar);
    article.setAttribute("tabindex", "-1");
    document.documentElement.classList.add("gr-presenting");
    window.addEventListener("keydown", onKey, true);
    window.addEventListener("resize", onResize);
    window.addEventListener("afterprint", onAfterPrint);
    document.addEventListener("fullscreenchange", onFullscreenChange);
    if (fromUser) { requestFullscreen(); }
    show(index);
    article.focus({ preventScroll: true });
  }

  /* Scroll `node` to the top of the window, below the theme's sticky header. */
  function scrollToNode(node) {
    var header = document.querySelector(".md-header");
    var below = header ? Math.max(0, header.getBoundingClientRect().bottom) : 0;
    window.scrollTo(0, Math.floor(window.scrollY + node.getBoundingClientRect().top - below));
  }

  function restorePage(previous) {
    if (previous.resumed) {
      var first = previous.steps[previous.index].nodes[0];
      if (first) { scrollToNode(first); }
    } else {
      window.scrollTo(previous.scroll.x, previous.scroll.y);
    }
  }

  /* Leave the presentation; `toPage`: put the page back (URL, scroll, focus), which is
     wrong only when instant navigation has already replaced it with another page. */
  function exit(toPage) {
    if (!state) { return; }
    var previous = state;
    state = null;
    window.removeEventListener("keydown", onKey, true);
    window.removeEventListener("resize", onResize);
    window.removeEventListener("afterprint", onAfterPrint);
    document.removeEventListener("fullscreenchange", onFullscreenChange);
    previous.ui.bar.remove();
    if (previous.titleNode) { previous.titleNode.remove(); }
    previous.shown.forEach(function (node) { node.removeAttribute("data-gr-step"); });
    previous.opened.forEach(function (pair) { pair[0].open = pair[1]; });
    var article = previous.article;
    document.documentElement.style.removeProperty("--gr-present-scale");
    if (previous.tabindex === null) { article.removeAttribute("tabindex"); }
    else { article.setAttribute("tabindex", previous.tabindex); }
    document.documentElement.classList.remove("gr-presenting");
    if (document.fullscreenElement && document.exitFullscreen) {
      // the window changes size when full screen ends: put the scroll back after that too
      document.exitFullscreen().then(function () { if (toPage) { restorePage(previous); } },
        function () {});
    }
    if (!toPage) { return; }
    writeUrl(null);
    restorePage(previous);
    if (previous.button.isConnected) { previous.button.focus({ preventScroll: true }); }
  }

  // ------------------------------------------------------------------ sessions

  /* Where this page stands in the session being presented (`?session=<id>`): on a case
     page, from its hidden `nav.gr-session-nav` of that session (templates/session-nav.html.j2:
     the engine's links to the previous and next case and the session's page); on a
     session's page, from its list of cases. Null outside a session, or for a session
     that does not present this case. */
  function sessionContext(article) {
    var list = sessionList(article);
    if (list) {
      var first = list.querySelector("a[href]");
      var id = list.getAttribute("data-session");
      return { place: "Session", title: null, before: null,
               after: first ? presentingUrl(first, "1", id) : null };
    }
    var wanted = new URLSearchParams(window.location.search).get(SESSION_PARAM);
    var nav = wanted && Array.prototype.find.call(article.querySelectorAll("nav.gr-session-nav"),
      function (n) { return n.getAttribute("data-session") === wanted; });
    if (!nav) { return null; }
    function link(rel) { return nav.querySelector("a[data-rel='" + rel + "']"); }
    var previous = link("previous"), next = link("next");
    return {
      place: "Case " + nav.getAttribute("data-number") + " of " + nav.getAttribute("data-count"),
      title: nav.hasAttribute("data-unknown") ? nav.getAttribute("data-title") : null,
      before: presentingUrl(previous || link("session"), "last", wanted),
      after: next ? presentingUrl(next, "1", wanted) : null
    };
  }

  function sessionList(article) {
    return article.querySelector(":scope > ol.gr-session-cases[data-session]");
  }

  /* The title an unknown session gives the case, put before the page's heading (shown
     only as a step: present.css shows nothing else). */
  function makeTitle(article, text) {
    var node = document.createElement("p");
    node.className = "gr-present-title";
    node.setAttribute("role", "heading");
    node.setAttribute("aria-level", "1");
    node.textContent = text;
    article.insertBefore(node, article.querySelector(":scope > h1"));
    return node;
  }

  function takeFullscreenFlag() {
    try {
      var wanted = window.sessionStorage.getItem(FULLSCREEN_KEY) === "1";
      window.sessionStorage.removeItem(FULLSCREEN_KEY);
      return wanted;
    } catch (error) {
      return false;
    }
  }

  // ------------------------------------------------------------------ set-up

  /* The page's article if it can be presented (a case page, a session's page), with the
     name and tooltip of its Present control. */
  function presentable() {
    var article = document.querySelector("article.md-content__inner");
    if (!article || !article.querySelector(":scope > h1")) { return null; }
    if (article.querySelector(":scope > .gr-byline")) {
      return { article: article, name: "Present", tip: "Show this case one step at a time (Escape to leave)" };
    }
    if (sessionList(article)) {
      return { article: article, name: "Present the session",
               tip: "Show this session's cases one after another, one step at a time (Escape to leave)" };
    }
    return null;
  }

  function setUp() {
    if (state && !state.article.isConnected) { exit(false); }  // instant navigation left the page
    var found = presentable();
    var article = found && found.article;
    if (!article || article.querySelector(":scope > .gr-present")) { return; }
    var presentButton = button(found.name, "gr-present md-button", function () {
      enter(article, presentButton, 0, true);
    });
    presentButton.title = found.tip;
    article.querySelector(":scope > h1").insertAdjacentElement("afterend", presentButton);
    var step = stepInUrl();
    if (step) { enter(article, presentButton, step - 1, false); }
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
