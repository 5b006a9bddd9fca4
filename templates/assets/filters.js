/* grandrounds: the home page's case filters, column sorting, paging and shareable URL state.

   Progressive enhancement: without this script the form stays hidden and the home page
   shows the newest 200 cases with a pager to the later pages of all cases. With it, the
   table shows the cases that match the filters, 50 at a time (Previous / Next), in the
   order of the column sorted by; every matching case is counted and sorted, not only the
   rows on screen.

   No library and no server: the data are scripts under `index/cases/` (made by
   site/listing_data.py; its docstring says what each holds), loaded with <script> tags so
   a folder opened from disk (file://) works too. Each calls grandroundsData(name, data):
     facets.js        per case position: filter codes; loaded with the page
     sort-<column>.js per case position: the column's rank; loaded on the first sort by it
     rows-<k>.js      the display rows of positions 50k..50k+49; loaded for rows on screen
     words-<hex>.js   word -> positions, for words whose first two letters are <hex>;
                      loaded for the words typed (a typed word matches words it starts)
   A case's position is its place in the home order (newest first) counted from the oldest.
   Rows are built with textContent and setAttribute only: the data is text, never markup.
   The filters are mirrored in the query string (?specialty=...&type=...&sex=...&age=...
   &year=...&q=...) and read back on load. */
(function () {
  "use strict";

  var FACETS = ["specialty", "type", "sex", "age", "year"];
  var PAGE_ROWS = 50;
  var arrived = {};  // data file name -> its data, set by the file's own call
  var loading = {};  // data file name -> Promise of its data

  window.grandroundsData = function (name, data) { arrived[name] = data; };

  function load(base, version, name) {
    if (!loading[name]) {
      loading[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = base + name + ".js" + (version ? "?v=" + encodeURIComponent(version) : "");
        script.onload = function () {
          script.remove();
          if (Object.prototype.hasOwnProperty.call(arrived, name)) {
            resolve(arrived[name]);
          } else {
            reject(new Error("grandrounds: " + name + ".js holds no case data"));
          }
        };
        script.onerror = function () {
          script.remove();
          delete loading[name];
          reject(new Error("grandrounds: the case data " + name + ".js could not be loaded"));
        };
        document.head.appendChild(script);
      });
    }
    return loading[name];
  }

  /* Words as site/listing_data.py folds them: accents removed, lower case, runs of letters
     and digits. */
  function fold(text) {
    return text.normalize("NFKD").replace(/\p{Mn}/gu, "").toLowerCase();
  }

  function words(text) {
    var found = fold(text).match(/[\p{L}\p{N}]+/gu) || [];
    return found.filter(function (w, i) { return found.indexOf(w) === i; });
  }

  function hex(text) {
    return Array.prototype.map.call(new TextEncoder().encode(text), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  /* The word chunks that can hold words starting with `word`. */
  function chunksFor(word, facets) {
    var start = hex(Array.from(word).slice(0, facets.prefix).join(""));
    return facets.words.filter(function (key) {
      return Array.from(word).length >= facets.prefix ? key === start : key.indexOf(start) === 0;
    });
  }

  function element(name, text) {
    var node = document.createElement(name);
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function link(href, text) {
    var a = element("a", text);
    a.setAttribute("href", href);
    return a;
  }

  function setUpListing(form, table) {
    var base = table.getAttribute("data-cases") || "";
    var version = table.getAttribute("data-version") || "";
    var root = table.getAttribute("data-root") || "";
    if (root === "./") { root = ""; }
    var body = table.tBodies[0];
    var listing = table.closest(".gr-listing") || table.parentNode;  // Material wraps the table in a scroll box
    var count = document.getElementById("gr-count");
    var query = document.getElementById("gr-filter-q");
    var selects = {};
    FACETS.forEach(function (name) { selects[name] = document.getElementById("gr-filter-" + name); });
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th[data-column]"));
    var sort = { column: null, ascending: true };
    var offset = 0;
    var facets = null;
    var orders = {};  // "column ascending" -> positions in that order
    var latest = 0;  // the newest request to show; older ones are dropped when they arrive
    var pager = makePager();

    function data(name) { return load(base, version, name); }

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

    /* Positions newest first (the home order), or sorted by a column's ranks; ties keep
       the home order, both ways. */
    function order() {
      var n = facets.count;
      if (!sort.column) {
        var home = new Array(n);
        for (var i = 0; i < n; i++) { home[i] = n - 1 - i; }
        return Promise.resolve(home);
      }
      var key = sort.column + " " + sort.ascending, ascending = sort.ascending;
      if (orders[key]) { return Promise.resolve(orders[key]); }
      return data("sort-" + sort.column).then(function (ranks) {
        var positions = new Array(n);
        for (var i = 0; i < n; i++) { positions[i] = n - 1 - i; }
        positions.sort(function (a, b) { return (ascending ? ranks[a] - ranks[b] : ranks[b] - ranks[a]) || b - a; });
        orders[key] = positions;
        return positions;
      });
    }

    /* A test per chosen filter value: position -> whether the case has it. */
    function facetTests() {
      var tests = [];
      FACETS.forEach(function (name) {
        var value = selects[name] ? selects[name].value : "";
        if (!value) { return; }
        var facet = facets.facets[name], code = facet.values.indexOf(value), codes = facet.rows;
        tests.push(function (p) {
          var c = codes[p];
          return c === code || (Array.isArray(c) && c.indexOf(code) >= 0);
        });
      });
      return tests;
    }

    /* Whether each position has a word starting with every typed word (null: no words typed). */
    function textMatches() {
      var typed = words(query ? query.value : "");
      if (!typed.length) { return Promise.resolve(null); }
      var names = [];
      typed.forEach(function (w) {
        chunksFor(w, facets).forEach(function (key) {
          if (names.indexOf("words-" + key) < 0) { names.push("words-" + key); }
        });
      });
      return Promise.all(names.map(data)).then(function (chunks) {
        var hits = new Uint8Array(facets.count);
        typed.forEach(function (w, round) {
          chunks.forEach(function (chunk) {
            Object.keys(chunk).forEach(function (word) {
              if (word.indexOf(w) !== 0) { return; }
              chunk[word].forEach(function (p) { if (hits[p] === round) { hits[p] = round + 1; } });
            });
          });
        });
        return hits.map(function (h) { return h === typed.length ? 1 : 0; });
      });
    }

    function matching() {
      return Promise.all([order(), textMatches()]).then(function (found) {
        var positions = found[0], text = found[1], tests = facetTests();
        return positions.filter(function (p) {
          if (text && !text[p]) { return false; }
          for (var i = 0; i < tests.length; i++) { if (!tests[i](p)) { return false; } }
          return true;
        });
      });
    }

    function rowFor(item) {
      var tr = element("tr");
      tr.className = "gr-case";
      var title = tr.appendChild(element("td"));
      title.appendChild(link(root + item[0], item[1]));
      if (item[6]) { title.appendChild(document.createTextNode(" ")); title.appendChild(element("em", "(draft)")); }
      var specialties = tr.appendChild(element("td"));
      item[2].forEach(function (code, i) {
        var named = facets.specialties[code];
        if (i) { specialties.appendChild(document.createTextNode(", ")); }
        specialties.appendChild(link(root + named[1], named[0]));
      });
      tr.appendChild(element("td", item[3]));
      var diagnosis = tr.appendChild(element("td"));
      if (item[4] === null) {
        diagnosis.appendChild(element("em", "on the case page")).className = "gr-hidden-diagnosis";
      } else {
        diagnosis.textContent = item[4];
      }
      tr.appendChild(element("td", item[5]));
      return tr;
    }

    function show(found) {
      var total = facets.count;
      if (offset >= found.length) { offset = Math.max(0, found.length - PAGE_ROWS); offset -= offset % PAGE_ROWS; }
      var shown = found.slice(offset, offset + PAGE_ROWS);
      var names = [];
      shown.forEach(function (p) {
        var name = "rows-" + Math.floor(p / facets.chunk);
        if (names.indexOf(name) < 0) { names.push(name); }
      });
      return Promise.all(names.map(data)).then(function (chunks) {
        var byName = {};
        names.forEach(function (name, i) { byName[name] = chunks[i]; });
        return function () {
          var rows = document.createDocumentFragment();
          shown.forEach(function (p) {
            rows.appendChild(rowFor(byName["rows-" + Math.floor(p / facets.chunk)][p % facets.chunk]));
          });
          body.replaceChildren(rows);
          if (count) { count.textContent = found.length + " of " + total + " case" + (total === 1 ? "" : "s"); }
          pager.update(offset, shown.length, found.length);
        };
      });
    }

    function refresh() {
      var mine = ++latest;
      table.setAttribute("aria-busy", "true");
      return matching().then(show).then(function (paint) {
        if (mine !== latest) { return; }
        paint();
        table.removeAttribute("aria-busy");
        table.setAttribute("data-gr-shown", String(mine));
      }, function (error) {
        if (mine !== latest) { return; }
        table.removeAttribute("aria-busy");
        if (count) { count.textContent = "The list of cases could not be loaded."; }
        throw error;
      });
    }

    function makePager() {
      var nav = element("nav");
      nav.className = "gr-results-pager";
      nav.setAttribute("aria-label", "Pages of matching cases");
      var previous = nav.appendChild(element("button", "Previous"));
      var status = nav.appendChild(element("span"));
      var next = nav.appendChild(element("button", "Next"));
      [previous, next].forEach(function (button, i) {
        button.type = "button";
        button.className = "md-button gr-page-" + (i ? "next" : "previous");
        button.addEventListener("click", function () {
          offset = Math.max(0, offset + (i ? PAGE_ROWS : -PAGE_ROWS));
          refresh();
        });
      });
      status.className = "gr-results-status";
      listing.appendChild(nav);
      nav.hidden = true;
      return {
        update: function (from, shown, found) {
          status.textContent = found ? "Cases " + (from + 1) + "–" + (from + shown) + " of " + found : "No matching cases";
          previous.disabled = from === 0;
          next.disabled = from + shown >= found;
          nav.hidden = found <= PAGE_ROWS;
        }
      };
    }

    function setUpSorting() {
      headers.forEach(function (th) {
        var button = element("button");
        button.type = "button";
        button.className = "gr-sort";
        while (th.firstChild) { button.appendChild(th.firstChild); }
        th.appendChild(button);
        button.addEventListener("click", function () {
          var column = th.getAttribute("data-column");
          sort = { column: column, ascending: th.getAttribute("aria-sort") !== "ascending" };
          headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", sort.ascending ? "ascending" : "descending");
          offset = 0;
          refresh();
        });
      });
    }

    /* The filters as one string: a select fires both `input` and `change`, and a text box
       `change` after its `input`s; only a change of the filters themselves starts over. */
    function chosen() {
      return JSON.stringify([FACETS.map(function (name) { return selects[name] ? selects[name].value : ""; }),
        words(query ? query.value : "")]);
    }

    var lastChosen = null;
    function update() {
      var now = chosen();
      writeUrl();
      if (now === lastChosen) { return; }
      lastChosen = now;
      offset = 0;
      refresh();
    }

    data("facets").then(function (loaded) {
      facets = loaded;
      readUrl();
      form.addEventListener("input", update);
      form.addEventListener("change", update);
      form.addEventListener("submit", function (event) { event.preventDefault(); update(); });
      form.addEventListener("reset", function () { window.setTimeout(update, 0); });
      setUpSorting();
      lastChosen = chosen();
      Array.prototype.forEach.call(listing.querySelectorAll(".gr-pager"), function (nav) { nav.hidden = true; });
      form.hidden = false;
      return refresh();
    });
  }

  function setUp() {
    var form = document.getElementById("gr-filters");
    var table = document.getElementById("gr-cases");
    if (!form || !table || table.getAttribute("data-gr-ready") !== null || !table.getAttribute("data-cases")) { return; }
    table.setAttribute("data-gr-ready", "");
    setUpListing(form, table);
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
