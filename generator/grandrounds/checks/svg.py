"""The rule for SVG figures: a figure is published byte for byte, so it must be a static
drawing that can neither run script nor make a reader's browser fetch anything.

Owns `svg_problem(data) -> SvgProblem | None`: the first thing in an SVG document that is
not allowed, with its line and column in the file. The document is parsed by the standard
library's expat directly (not ElementTree), so that

- no DTD internal subset, entity declaration, external entity or processing instruction
  (`<?xml-stylesheet?>`) is accepted: nothing is expanded or fetched (expat >= 2.4 also
  limits entity amplification on its own);
- every element is reported at its own line and column.

What is allowed is a list, not a list of what is forbidden: elements in the SVG namespace
from `ELEMENTS` (shapes, text, gradients, filters, markers, links, animation); elements of
other namespaces that a browser treats as inert (editors' `inkscape:`/`sodipodi:`/RDF
metadata), never XHTML or MathML ones; attributes from `ATTRIBUTES` plus `aria-*`/`data-*`,
foreign-namespace attributes (inert), and never `on*`. Every `href` must be a
same-document `#fragment` (`<image>`/`<feImage>` may also embed a base64 PNG, JPEG, GIF or
WebP); every CSS `url()` in a style, presentation attribute or `<style>` must be a
`#fragment` or such a data URL; `@import` and `javascript:` (however spelt with whitespace
or case) are refused anywhere; animation may not target `href` or event attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.parsers import expat

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_LIVE_NAMESPACES = {"http://www.w3.org/1999/xhtml": "XHTML", "http://www.w3.org/1998/Math/MathML": "MathML"}
_EVENT_NAMESPACES = {"", SVG_NS, *_LIVE_NAMESPACES}  # where an on* attribute is an event handler
_ACTIVE_NAMES = frozenset({"script", "foreignobject", "iframe", "embed", "object", "frame", "frameset",
                           "base", "meta", "link", "handler", "listener", "form", "input", "button"})
"""Element names that run or load something in some namespace: refused in every namespace."""
_SEP = "\x1f"  # expat's namespace separator: never in a name

ELEMENTS = frozenset("""
svg g defs symbol use title desc metadata switch a view style
path rect circle ellipse line polyline polygon text tspan textPath image
marker pattern clipPath mask linearGradient radialGradient stop
filter feBlend feColorMatrix feComponentTransfer feComposite feConvolveMatrix
feDiffuseLighting feDisplacementMap feDistantLight feDropShadow feFlood feFuncA feFuncB
feFuncG feFuncR feGaussianBlur feImage feMerge feMergeNode feMorphology feOffset
fePointLight feSpecularLighting feSpotLight feTile feTurbulence
animate animateMotion animateTransform set mpath
""".split())

ATTRIBUTES = frozenset("""
id class style lang tabindex role focusable version baseProfile
transform viewBox preserveAspectRatio width height x y x1 y1 x2 y2 cx cy r rx ry d points
pathLength fx fy fr dx dy rotate textLength lengthAdjust startOffset method spacing side
gradientUnits gradientTransform spreadMethod offset patternUnits patternContentUnits
patternTransform clipPathUnits maskUnits maskContentUnits markerUnits markerWidth
markerHeight refX refY orient filterUnits primitiveUnits in in2 result stdDeviation mode
operator k1 k2 k3 k4 type values tableValues slope intercept amplitude exponent scale
xChannelSelector yChannelSelector baseFrequency numOctaves seed stitchTiles kernelMatrix
order divisor bias targetX targetY edgeMode kernelUnitLength preserveAlpha surfaceScale
specularConstant specularExponent diffuseConstant azimuth elevation pointsAtX pointsAtY
pointsAtZ limitingConeAngle radius href target systemLanguage requiredFeatures
requiredExtensions
attributeName attributeType from to by begin dur end min max restart repeatCount repeatDur
fill calcMode keyTimes keySplines keyPoints additive accumulate path
alignment-baseline baseline-shift clip clip-path clip-rule color color-interpolation
color-interpolation-filters color-profile color-rendering cursor direction display
dominant-baseline enable-background fill-opacity fill-rule filter flood-color
flood-opacity font font-family font-size font-size-adjust font-stretch font-style
font-variant font-weight glyph-orientation-horizontal glyph-orientation-vertical
image-rendering kerning letter-spacing lighting-color marker marker-start marker-mid
marker-end mask opacity overflow paint-order pointer-events shape-rendering stop-color
stop-opacity stroke stroke-dasharray stroke-dashoffset stroke-linecap stroke-linejoin
stroke-miterlimit stroke-opacity stroke-width text-anchor text-decoration text-rendering
unicode-bidi vector-effect visibility word-spacing writing-mode mix-blend-mode isolation
transform-origin transform-box
""".split())

_HREF_ELEMENTS_WITH_DATA = {"image", "feImage"}
_ANIMATION = {"animate", "animateMotion", "animateTransform", "set"}
_FRAGMENT = re.compile(r"#[^\s#]*\Z")
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*\Z", re.I)
_SCRIPT_SCHEME = re.compile(r"(java|vb)script:|livescript:", re.I)
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")
_URL_FUNCTIONS = {"url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "element"}
_HINT = "remove it or export the figure as PNG"


@dataclass(frozen=True)
class SvgProblem:
    """The first disallowed thing in an SVG figure: where (1-based) and why."""

    line: int
    col: int
    what: str
    hint: str = _HINT


class _Refused(Exception):
    def __init__(self, what: str, hint: str = _HINT):
        super().__init__(what)
        self.what, self.hint = what, hint


def svg_problem(data: bytes) -> SvgProblem | None:
    """The first thing in the SVG document `data` that is not allowed in a figure, or None."""
    walker = _Walker()
    parser = walker.parser
    try:
        parser.Parse(data, True)
        if not walker.seen_root:
            raise _Refused("the file holds no <svg> element", "export the figure again as SVG or PNG")
    except _Refused as refused:
        line, col = walker.where()
        return SvgProblem(line, col, refused.what, refused.hint)
    except expat.ExpatError as exc:
        return SvgProblem(exc.lineno or 1, (exc.offset or 0) + 1,
                          f"the SVG is not well-formed XML ({expat.ErrorString(exc.code)})",
                          "export the figure again as SVG or PNG")
    return None


class _Walker:
    """expat handlers that check each event as it is parsed and stop at the first problem."""

    def __init__(self) -> None:
        parser = expat.ParserCreate(namespace_separator=_SEP)
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.entity
        parser.UnparsedEntityDeclHandler = self.entity
        parser.NotationDeclHandler = self.entity
        parser.ExternalEntityRefHandler = self.external
        parser.ProcessingInstructionHandler = self.instruction
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text
        parser.SkippedEntityHandler = self.skipped
        self.parser = parser
        self.stack: list[str] = []
        self.seen_root = False
        self.style_text: list[str] | None = None
        self.style_at = (1, 1)
        self.at: tuple[int, int] | None = None

    def where(self) -> tuple[int, int]:
        if self.at:
            return self.at
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    # ---- declarations
    def doctype(self, name: str, system_id: str | None, public_id: str | None, internal_subset: int) -> None:
        if internal_subset:
            raise _Refused("a DOCTYPE with declarations (entities, attribute defaults) is not allowed in an "
                           "SVG figure", "remove the [...] part of the DOCTYPE, or the DOCTYPE")

    def entity(self, *_: object) -> None:
        raise _Refused("entity and notation declarations are not allowed in an SVG figure",
                       "remove the DOCTYPE's declarations")

    def external(self, *_: object) -> int:
        raise _Refused("external entities are not allowed in an SVG figure", "remove the DOCTYPE")

    def skipped(self, name: str, is_parameter: int) -> None:
        raise _Refused(f"the entity '&{name};' is not defined in the SVG",
                       "write the character itself or a numeric reference such as &#160;")

    def instruction(self, target: str, data: str) -> None:
        raise _Refused(f"the processing instruction <?{target} ...?> is not allowed in an SVG figure",
                       "remove it (a stylesheet must be a <style> element inside the SVG)")

    # ---- content
    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.at = None
        here = (self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1)
        namespace, local = _split(name)
        self.at = here
        if not self.seen_root:
            self.seen_root = True
            if (namespace, local) != (SVG_NS, "svg"):
                raise _Refused(f"the root element is <{_shown(name)}>, not <svg xmlns=\"{SVG_NS}\">",
                               "export the figure again as SVG (with the SVG namespace) or as PNG")
        _check_element(namespace, local, name)
        for key, value in attributes.items():
            _check_attribute(namespace, local, key, value)
        if namespace == SVG_NS and local in _ANIMATION:
            _check_animation(attributes)
        self.stack.append(name)
        if (namespace, local) == (SVG_NS, "style"):
            self.style_text, self.style_at = [], here
        self.at = None

    def end(self, name: str) -> None:
        self.stack.pop()
        if self.style_text is not None and _split(name) == (SVG_NS, "style"):
            text, self.style_text = "".join(self.style_text), None
            self.at = self.style_at
            if _SCRIPT_SCHEME.search(_INVISIBLE.sub("", text)):
                raise _Refused("'javascript:' is not allowed in an SVG figure")
            _check_css(text, stylesheet=True)
            self.at = None

    def text(self, data: str) -> None:
        if self.style_text is not None:
            self.style_text.append(data)


def _split(name: str) -> tuple[str, str]:
    namespace, _, local = name.rpartition(_SEP)
    return namespace, local


def _shown(name: str) -> str:
    namespace, local = _split(name)
    return f"{{{namespace}}}{local}" if namespace and namespace != SVG_NS else local


def _check_element(namespace: str, local: str, name: str) -> None:
    if namespace in _LIVE_NAMESPACES:
        raise _Refused(f"the {_LIVE_NAMESPACES[namespace]} element <{local}> is not allowed in an SVG figure")
    if namespace == SVG_NS and local not in ELEMENTS:
        raise _Refused(f"<{local}> is not allowed in an SVG figure")
    if local.lower() in _ACTIVE_NAMES:  # inert outside SVG/XHTML today; refused in any namespace anyway
        raise _Refused(f"<{local}> is not allowed in an SVG figure (in any namespace)")
    # elements of other namespaces (editor metadata, RDF) are inert in a browser


def _check_attribute(namespace: str, local: str, key: str, value: str) -> None:
    attr_ns, attr = _split(key)
    if _SCRIPT_SCHEME.search(_INVISIBLE.sub("", value)):
        raise _Refused(f"'javascript:' in the attribute {attr} is not allowed in an SVG figure")
    if attr.lower().startswith("on") and attr_ns in _EVENT_NAMESPACES:
        raise _Refused(f"the event attribute {attr} is not allowed in an SVG figure")
    if attr_ns in _LIVE_NAMESPACES:
        raise _Refused(f"the {_LIVE_NAMESPACES[attr_ns]} attribute {attr} is not allowed in an SVG figure")
    if attr == "href" and attr_ns in ("", XLINK_NS):
        _check_href(local if namespace == SVG_NS else "", value)
        return
    if attr_ns == XLINK_NS:
        if attr not in ("title", "show", "actuate", "type", "role", "arcrole"):
            raise _Refused(f"the attribute xlink:{attr} is not allowed in an SVG figure")
        return
    if attr_ns == "" and namespace == SVG_NS:
        if attr not in ATTRIBUTES and not attr.startswith(("aria-", "data-")):
            raise _Refused(f"the attribute {attr} is not allowed in an SVG figure")
        if attr == "style":
            _check_css(value, stylesheet=False)
        elif "(" in value or "@" in value:
            _check_css(value, stylesheet=False, declarations=False, strict=False)
    # xml:lang/xml:space and editors' namespaced attributes are inert


def _check_href(element: str, value: str) -> None:
    link = value.strip()
    if _FRAGMENT.match(link):
        return
    if element in _HREF_ELEMENTS_WITH_DATA and _DATA_IMAGE.match(link):
        return
    raise _Refused(f"the link '{_short(link)}' is not allowed in an SVG figure (only '#id' links to the "
                   "same drawing" + (", and embedded PNG, JPEG, GIF or WebP images" if element in
                                      _HREF_ELEMENTS_WITH_DATA else "") + ")",
                   "embed what it points to, or export the figure as PNG")


def _check_animation(attributes: dict[str, str]) -> None:
    target = attributes.get("attributeName", "").strip()
    bare = target.rpartition(":")[2].lower()
    if bare == "href" or bare.startswith("on"):
        raise _Refused(f"animating the attribute {target} is not allowed in an SVG figure")


def _check_css(text: str, *, stylesheet: bool, declarations: bool = True, strict: bool = True) -> None:
    """Refuse `@import` and any `url()` (or image function) that is not a same-document
    fragment or an embedded raster image, in a style sheet, a style attribute or a value."""
    import tinycss2

    if stylesheet:
        nodes = tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True)
    elif declarations:
        nodes = tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True)
    else:
        nodes = tinycss2.parse_component_value_list(text, skip_comments=True)
    _check_css_nodes(nodes, strict)


def _check_css_nodes(nodes: list, strict: bool) -> None:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        kind = getattr(node, "type", "")
        if kind == "at-rule" and node.lower_at_keyword == "import":
            raise _Refused("@import is not allowed in an SVG figure", "put the styles in the SVG's <style>")
        if kind == "url":
            _check_css_url(node.value)
        elif kind == "function" and node.lower_name in _URL_FUNCTIONS:
            strings = [a.value for a in node.arguments if getattr(a, "type", "") in ("string", "url")]
            if node.lower_name in ("url", "src") and not strings:
                raise _Refused(f"a CSS {node.lower_name}() without a plain address is not allowed in an SVG figure")
            for value in strings:
                _check_css_url(value)
        for attribute in ("prelude", "content", "arguments", "value"):
            child = getattr(node, attribute, None)
            if isinstance(child, list):
                pending.extend(child)
        if kind == "error" and strict:
            raise _Refused(f"the CSS cannot be read ({node.message})", "correct the style")


def _check_css_url(value: str) -> None:
    link = value.strip()
    if not (_FRAGMENT.match(link) or _DATA_IMAGE.match(link)):
        raise _Refused(f"the CSS url '{_short(link)}' is not allowed in an SVG figure (only '#id' and "
                       "embedded PNG, JPEG, GIF or WebP images)", "embed what it points to, or export the figure as PNG")


def _short(text: str) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 60 else text[:57] + "..."
