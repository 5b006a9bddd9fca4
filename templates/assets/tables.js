/* grandrounds: wide tables' scroll regions reachable by keyboard (WCAG 2.1.1; axe-core's
   scrollable-region-focusable). A table wider than its column scrolls inside Material's
   `.md-typeset__scrollwrap`, which a keyboard could not reach. While a wrapper scrolls it is
   a region in the tab order, named by the table's caption or the heading before it, so the
   arrow keys scroll it; once the table fits again it leaves the tab order. Material wraps
   tables when it mounts a page (`document$`, also after instant navigation); this file is
   loaded after Material's bundle (every assets/*.js is an extra script), so it runs after
   that. A ResizeObserver follows the wrapper and its table (window width, filtered rows).
   Without JavaScript Material does not wrap tables: not covered. */
(function () {
  "use strict";
  var WRAP = ".md-typeset__scrollwrap";
  var MARK = "data-gr-scroll";

  function text(node) {
    var copy = node.cloneNode(true);
    copy.querySelectorAll(".headerlink").forEach(function (link) { link.remove(); });
    return copy.textContent.replace(/\s+/g, " ").trim();
  }

  function name(wrap) {
    var table = wrap.querySelector("table");
    if (table && table.caption && text(table.caption)) return text(table.caption);
    for (var node = wrap; node && !node.matches("article, body"); node = node.parentElement) {
      for (var before = node.previousElementSibling; before; before = before.previousElementSibling) {
        if (/^H[1-6]$/.test(before.tagName) && text(before)) return text(before);
      }
    }
    return "Table";
  }

  function update(wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      if (wrap.hasAttribute("tabindex")) return;  /* ours already, or the page's own */
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", name(wrap));
      wrap.setAttribute(MARK, "");
    } else if (wrap.hasAttribute(MARK)) {
      ["tabindex", "role", "aria-label", MARK].forEach(function (a) { wrap.removeAttribute(a); });
    }
  }

  var observer = "ResizeObserver" in window && new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { var wrap = entry.target.closest(WRAP); if (wrap) update(wrap); });
  });

  function mount() {
    document.querySelectorAll(WRAP).forEach(function (wrap) {
      if (!observer) { update(wrap); return; }
      observer.observe(wrap);
      var table = wrap.querySelector("table");
      if (table) observer.observe(table);
    });
  }

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(mount);
  else mount();
})();
