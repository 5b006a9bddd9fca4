/* grandrounds: the header search box of a published site, answered by Pagefind.
 *
 * What it owns: the box in Material's header (Material's own markup and classes, so it looks
 * and sits where readers know it), typing -> results with excerpts, the keyboard (/, s or f
 * to focus, arrows to move, Enter to open, Escape to close), and loading Pagefind's bundle
 * (`<site root>/pagefind/pagefind.js`, written by `grandrounds index` / `mkdocs build`) on
 * the first focus, so a page that is only read fetches nothing for search.
 *
 * What it does not own: the index (generator/grandrounds/site/search.py), or Material's own
 * search, which `mkdocs serve` keeps (when Material's search form is on the page, as in
 * `serve`, this script does nothing).
 *
 * The site root is found from this script's own URL (<root>/assets/search.js), so the same
 * build works at its published address (a GitHub project site's "/repo/") and anywhere else
 * it is served. Result text is put in as text: only Pagefind's <mark> becomes an element.
 * Each result is an `li.md-search-result__item[data-search-result]`.
 */
(function () {
  "use strict";

  if (document.forms.namedItem("search") || document.querySelector("[data-md-component=search]")) return;
  var header = document.querySelector(".md-header__inner");
  if (!header || !document.currentScript) return;

  var ROOT = new URL("../", document.currentScript.src);
  var DEBOUNCE_MS = 40;  /* issue 12: at most 50 ms */
  var PAGE_SIZE = 10;
  var ICONS = {
    magnify: "M9.5 3A6.5 6.5 0 0 1 16 9.5c0 1.61-.59 3.09-1.56 4.23l.27.27h.79l5 5-1.5 1.5-5-5v-.79l-.27-.27A6.52 6.52 0 0 1 9.5 16 6.5 6.5 0 0 1 3 9.5 6.5 6.5 0 0 1 9.5 3m0 2C7 5 5 7 5 9.5S7 14 9.5 14 14 12 14 9.5 12 5 9.5 5",
    back: "M20 11v2H8l5.5 5.5-1.42 1.42L4.16 12l7.92-7.92L13.5 5.5 8 11z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z"
  };
  var texts = translations();

  function translations() {
    var t = {};
    try { t = JSON.parse(document.getElementById("__config").textContent).translations || {}; } catch (e) { /* another theme */ }
    return {
      placeholder: t["search.result.placeholder"] || "Type to start searching",
      none: t["search.result.none"] || "No matching documents",
      one: t["search.result.one"] || "1 matching document",
      other: t["search.result.other"] || "# matching documents",
      more: "Show more results",
      loading: "Loading search\u2026",
      unavailable: location.protocol === "file:"
        ? "Search needs the site served over HTTP (it cannot run from a folder opened in the browser)."
        : "Search is not available: this site has no search index (run grandrounds index SITE)."
    };
  }

  /* ------------------------------------------------------------------ the box */

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  var toggle = document.getElementById("__search");
  var input = el("input", {type: "text", "class": "md-search__input", name: "query", "aria-label": "Search",
    placeholder: "Search", autocapitalize: "off", autocorrect: "off", autocomplete: "off", spellcheck: "false", "aria-controls": "gr-search-results"});
  var meta = el("div", {"class": "md-search-result__meta", "aria-live": "polite"}, [texts.placeholder]);
  var list = el("ol", {"class": "md-search-result__list", id: "gr-search-results", "aria-label": "Search results"});
  var form = el("form", {"class": "md-search__form", name: "gr-search", role: "search"}, [
    input,
    el("label", {"class": "md-search__icon md-icon", "for": "__search", title: "Close"}, [icon("magnify"), icon("back")]),
    el("nav", {"class": "md-search__options", "aria-label": "Search"}, [
      el("button", {type: "reset", "class": "md-search__icon md-icon", title: "Clear", "aria-label": "Clear", tabindex: "-1"}, [icon("close")])
    ])
  ]);
  var box = el("div", {"class": "md-search gr-search", role: "dialog", "aria-label": "Search", "data-gr-search": ""}, [
    el("label", {"class": "md-search__overlay", "for": "__search"}),
    el("div", {"class": "md-search__inner"}, [
      form,
      el("div", {"class": "md-search__output"}, [
        el("div", {"class": "md-search__scrollwrap", tabindex: "-1"}, [
          el("div", {"class": "md-search-result"}, [meta, list])
        ])
      ])
    ])
  ]);
  var opener = el("label", {"class": "md-header__button md-icon", "for": "__search", title: "Search"}, [icon("magnify")]);
  var before = header.querySelector(".md-header__source");
  header.insertBefore(opener, before);
  header.insertBefore(box, before);

  function open() {
    if (toggle && !toggle.checked) { toggle.checked = true; toggle.dispatchEvent(new Event("change")); }
  }
  function close() {
    if (toggle && toggle.checked) { toggle.checked = false; toggle.dispatchEvent(new Event("change")); }
    if (box.contains(document.activeElement)) document.activeElement.blur();  /* the box or a result */
  }
  if (toggle) toggle.addEventListener("change", function () { if (toggle.checked) setTimeout(function () { input.focus(); }); });

  /* ------------------------------------------------------------------ Pagefind */

  var pagefind = null;
  function load() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", ROOT).href).then(function (pf) {
        return pf.options({baseUrl: ROOT.pathname}).then(function () { return pf.init(); }).then(function () { return pf; });
      });
      pagefind.catch(function () { meta.textContent = texts.unavailable; });
    }
    return pagefind;
  }

  /* ------------------------------------------------------------------ results */

  var generation = 0;
  var timer = null;
  var shown = [];  /* the current query's results not yet rendered */

  function count(n) {
    return n === 0 ? texts.none : n === 1 ? texts.one : texts.other.replace("#", String(n));
  }

  /* Pagefind's excerpt is text with <mark> around the hits: rebuild it as text nodes and
     <mark> elements, never as HTML. */
  var decoder = document.createElement("textarea");  /* never attached: its content is text (RCDATA) */
  function decode(escaped) {
    decoder.innerHTML = escaped;
    return decoder.value;
  }

  function excerpt(html) {
    var p = el("p");
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") return true;
      if (part === "</mark>") return false;
      if (part) p.append(marked ? el("mark", {}, [decode(part)]) : decode(part));
      return marked;
    }, false);
    return p;
  }

  function item(data) {
    var link = el("a", {href: data.url, "class": "md-search-result__link", tabindex: "-1"}, [
      el("article", {"class": "md-search-result__article md-typeset"}, [
        el("div", {"class": "md-search-result__icon md-icon"}),
        el("h1", {}, [(data.meta && data.meta.title) || data.url]),
        excerpt(data.excerpt || "")
      ])
    ]);
    return el("li", {"class": "md-search-result__item", "data-search-result": ""}, [link]);
  }

  /* The next ten results: their excerpts are fetched at once and each is shown as soon as
     it and those before it have arrived, so the first appears without waiting for the tenth. */
  function renderMore(mine) {
    var more = list.querySelector(".gr-search-more");
    if (more) more.remove();
    var batch = shown.splice(0, PAGE_SIZE).map(function (r) { return r.data(); });
    return batch.reduce(function (chain, data) {
      return chain.then(function () { return data; }).then(function (d) {
        if (mine === generation) list.append(item(d));
      });
    }, Promise.resolve()).then(function () {
      if (mine !== generation || !shown.length) return;
      var button = el("button", {type: "button", "class": "md-button"}, [texts.more]);
      button.addEventListener("click", function () { renderMore(mine); });
      list.append(el("li", {"class": "gr-search-more"}, [button]));
    });
  }

  /* One search at a time: Pagefind cannot cancel one, and at 10,000 cases a short prefix
     ("s", "sh") takes seconds, so queries typed meanwhile would queue behind each other. A
     query typed while one runs waits, and only the latest then runs. */
  var running = false;
  var waiting = null;

  function run(query, mine) {
    if (mine !== generation) return;
    if (!query.trim()) {
      list.replaceChildren();
      list.removeAttribute("data-query");
      meta.textContent = texts.placeholder;
      return;
    }
    if (running) { waiting = [query, mine]; return; }
    running = true;
    load().then(function (pf) { return pf.search(query); }).then(function (found) {
      if (mine !== generation || !found) return;
      list.replaceChildren();
      list.setAttribute("data-query", query);  /* which query the list shows (tests, benchmarks) */
      meta.textContent = count(found.results.length);
      shown = found.results.slice();
      return renderMore(mine);
    }).catch(function () { /* reported by load() */ }).then(function () {
      running = false;
      var next = waiting;
      waiting = null;
      if (next) run(next[0], next[1]);
    });
  }

  /* Every keystroke makes the results of earlier queries stale at once. Words of three or
     more letters are searched DEBOUNCE_MS after the last keystroke, and Pagefind starts
     fetching their index chunk at once; one or two letters match most of a large library,
     so they are searched only once typing pauses (SHORT_MS). */
  var SHORT_MS = 300;
  function typed() {
    var mine = ++generation;
    var query = input.value;
    var short = query.trim().length < 3;
    clearTimeout(timer);
    if (pagefind && !short) pagefind.then(function (pf) { return pf.preload(query); }).catch(function () {});
    timer = setTimeout(function () { run(query, mine); }, short ? SHORT_MS : DEBOUNCE_MS);
  }

  input.addEventListener("focus", function () { open(); load(); });
  [opener, box].forEach(function (area) { area.addEventListener("pointerenter", load, {once: true}); });
  input.addEventListener("input", typed);
  form.addEventListener("reset", function () { setTimeout(function () { input.value = ""; typed(); input.focus(); }); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a.md-search-result__link");
    if (first) first.click();
  });

  /* ------------------------------------------------------------------ keyboard */

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a.md-search-result__link")); }

  function move(step) {
    var all = links();
    if (!all.length) return;
    var at = all.indexOf(document.activeElement);
    var next = at + step;
    if (next < 0) { input.focus(); return; }
    all[Math.min(next, all.length - 1)].focus();
  }

  box.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || box.contains(document.activeElement)) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(input|select|textarea)$/i.test(target.tagName))) return;
    if (event.key === "/" || event.key === "s" || event.key === "f") {
      event.preventDefault();
      open();
      input.focus();
    }
  });
})();
