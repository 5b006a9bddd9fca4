"""Figure files: `images.figure_problem` (size, frames and pixels before decoding, corrupt
rasters, the SVG allow-list of `svg.py`) as check, build and handouts see it, and lossless
`check --strip-exif` (every frame's pixels, Orientation, ICC profile and DPI kept; GPS,
dates, device, XMP, text gone) for JPEG, PNG, WebP, multi-page and JPEG-compressed TIFF."""

from __future__ import annotations

import io
import random
import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from conftest import ROOT, run_cli, write_case
from grandrounds.checks import images
from grandrounds.checks.images import StripRefused, figure_problem, image_metadata, strip_metadata
from grandrounds.record.library import read_case
from grandrounds.errors import CaseErrors
from grandrounds.checks.svg import svg_problem

ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><dc:creator>Dr Who</dc:creator></rdf:RDF></x:xmpmeta>'
ORIENTATION, GPS, MAKE, DATE = 0x0112, 0x8825, 0x010F, 0x0132


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "cases" / "figures").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def noise(size: tuple[int, int], seed: int, mode: str = "RGB") -> Image.Image:
    rng = random.Random(seed)
    image = Image.new("RGB", size)
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(size[0] * size[1])])
    return image.convert(mode)


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # a phone photo held upright
    exif[DATE] = "2021:07:04 09:15:00"
    exif[MAKE] = "PhoneCo"
    exif[0x0110] = "Phone 12"
    exif[0x013B] = "Dr A. Author"
    exif[GPS] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 40.0)}
    exif[0x8769] = {0x9003: "2021:07:04 09:15:00", 0xA431: "SN123456", 0x9286: b"ASCII\0\0\0ward 7", 0xA001: 1}
    return exif


def decoded(path: Path) -> dict:
    """Everything stripping must keep: each frame's mode, size and pixels, the ICC profile,
    the resolution as stored, and the Orientation."""
    with Image.open(path) as image:
        exif = image.getexif()  # read before decoding: loading a one-page TIFF applies and drops Orientation
        kept = {"icc": image.info.get("icc_profile"),
                "dpi": image.info.get("dpi") if image.format != "JPEG" else image.info.get("jfif_density"),
                "resolution": (exif.get(0x011A), exif.get(0x011B), exif.get(0x0128)),
                "orientation": exif.get(ORIENTATION)}
        frames = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append((image.mode, image.size, image.tobytes()))
        return {"frames": frames, **kept}


def identifying(path: Path) -> dict:
    """What must be gone: GPS, dates, device, author, XMP, text."""
    with Image.open(path) as image:
        exif = image.getexif()
        data = path.read_bytes()
        return {"exif": sorted(t for t in (GPS, DATE, MAKE, 0x0110, 0x013B, 0x0131, 0x0306) if t in exif),
                "exif_ifd": sorted(exif.get_ifd(0x8769).keys() - {0xA001}),
                "xmp": b"xmpmeta" in data, "text": b"Dr A. Author" in data or b"ward 7" in data
                or b"PhoneCo" in data or b"Dr Who" in data or b"SN123456" in data}


# --------------------------------------------------------------------------- strip: per format


def save_jpeg(path: Path) -> None:
    noise((33, 21), 1).save(path, quality=90, exif=camera_exif(), icc_profile=ICC, xmp=XMP, dpi=(300, 300),
                            comment=b"Dr A. Author")


def save_png(path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Dr A. Author")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    noise((19, 13), 2, "RGBA").save(path, pnginfo=info, exif=camera_exif(), icc_profile=ICC, dpi=(150, 150))


def save_webp(path: Path, **options) -> None:
    noise((24, 16), 3).save(path, exif=camera_exif(), icc_profile=ICC, xmp=XMP, **options)


def save_tiff(path: Path, compression: str, pages: int = 3) -> None:
    tags = {306: "2021:07:04 09:15:00", 271: "PhoneCo", 315: "Dr A. Author", 305: "ScanSoft", 700: XMP, 274: 6}
    frames = [noise((20 + p, 14 + 2 * p), 10 + p) for p in range(pages)]
    frames[0].save(path, compression=compression, tiffinfo=tags, icc_profile=ICC, dpi=(600, 600),
                   save_all=True, append_images=frames[1:])


FORMATS = {
    "photo.jpg": save_jpeg,
    "chart.png": save_png,
    "lossy.webp": lambda p: save_webp(p, quality=75),
    "lossless.webp": lambda p: save_webp(p, lossless=True),
    "pages.tif": lambda p: save_tiff(p, "tiff_lzw"),
    "jpeg-pages.tiff": lambda p: save_tiff(p, "jpeg"),
    "raw.tif": lambda p: save_tiff(p, "raw", pages=1),
}


@pytest.mark.parametrize("name", FORMATS)
def test_strip_keeps_every_frame_orientation_icc_and_dpi_and_removes_the_rest(tmp_path, name):
    path = tmp_path / name
    FORMATS[name](path)
    before = decoded(path)
    assert before["icc"] == ICC and before["orientation"] == 6
    assert identifying(path)["text"] and identifying(path)["xmp"]
    expected = {"device make", "date", "artist", "XMP"} | (
        {"software"} if ".tif" in name else {"GPS position", "device model", "user comment", "device serial number"})
    assert expected <= set(image_metadata(path))
    assert strip_metadata(path) is True
    after = decoded(path)
    assert len(after["frames"]) == len(before["frames"]) and (3 if "pages" in name else 1) == len(after["frames"])
    assert after == before  # pixels of every frame, ICC bytes, DPI, resolution, Orientation
    assert identifying(path) == {"exif": [], "exif_ifd": [], "xmp": False, "text": False}
    assert image_metadata(path) == []  # strip-then-check is clean
    kept = path.read_bytes()
    assert strip_metadata(path) is False and path.read_bytes() == kept
    assert figure_problem(path) is None


def test_jpeg_compressed_tiff_strips_are_copied_not_re_encoded(tmp_path):
    path = tmp_path / "scan.tif"
    save_tiff(path, "jpeg", pages=2)
    data = path.read_bytes()
    with Image.open(path) as image:
        compressed = [data[o:o + c] for o, c in zip(image.tag_v2[273], image.tag_v2[279])]
    assert strip_metadata(path) is True
    stripped = path.read_bytes()
    assert compressed and all(chunk in stripped for chunk in compressed)  # JPEG strips byte for byte
    assert len(stripped) < len(data)


def test_a_file_with_only_orientation_icc_and_dpi_is_clean_and_left_alone(tmp_path):
    exif = Image.Exif()
    exif[ORIENTATION] = 8
    exif[0x011A] = exif[0x011B] = 72
    exif[0x0128] = 2
    for name, options in [("a.jpg", {}), ("a.png", {}), ("a.webp", {"lossless": True}), ("a.tif", {})]:
        path = tmp_path / name
        noise((8, 6), 4).save(path, exif=exif, icc_profile=ICC, dpi=(72, 72), **options)
        data = path.read_bytes()
        assert image_metadata(path) == [], name
        assert strip_metadata(path) is False and path.read_bytes() == data


def test_thumbnail_comment_and_data_after_the_image_are_removed_from_a_jpeg(tmp_path):
    path = tmp_path / "x.jpeg"
    exif = Image.Exif()
    exif[ORIENTATION] = 3
    noise((16, 16), 5).save(path, exif=exif, comment=b"patient in bed 4")
    path.write_bytes(path.read_bytes() + b"SEFT trailer with a location")
    assert set(image_metadata(path)) == {"comment", "data after the end of the image"}
    before = decoded(path)
    strip_metadata(path)
    assert decoded(path) == before and b"bed 4" not in path.read_bytes() and b"SEFT" not in path.read_bytes()


def test_check_then_strip_then_check_is_clean_through_the_cli(site, capsys):
    for name in ("photo.jpg", "pages.tif"):
        FORMATS[name](site / "cases" / "figures" / name)
    write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: A.
        figures:
          - {id: f1, file: figures/photo.jpg, alt: A photo}
          - {id: f2, file: figures/pages.tif, alt: A scan}
    """)
    code, out, _ = run_cli(capsys, "check")
    assert out.count("privacy/exif") == 2 and "GPS position" in out and "XMP" in out
    code, out, err = run_cli(capsys, "check", "--strip-exif")
    assert (code, out) == (0, "") and err.count("stripped metadata from") == 2
    code, out, _ = run_cli(capsys, "check")
    assert (code, out) == (0, "")


def test_what_cannot_be_stripped_losslessly_is_refused_and_left_as_it_was(site, capsys):
    figures = site / "cases" / "figures"
    noise((12, 9), 6).save(figures / "big.tif", big_tiff=True, tiffinfo={271: "PhoneCo"})
    jpeg = io.BytesIO()
    noise((12, 9), 7).save(jpeg, "JPEG")
    broken_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff" + b"\x01" * 20
    segment = b"\xff\xe1" + struct.pack(">H", len(broken_exif) + 2) + broken_exif
    (figures / "odd.jpg").write_bytes(jpeg.getvalue()[:2] + segment + jpeg.getvalue()[2:])
    saved = {p.name: p.read_bytes() for p in figures.iterdir()}
    write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: A.
        figures:
          - {id: f1, file: figures/big.tif, alt: A scan}
          - {id: f2, file: figures/odd.jpg, alt: A photo}
    """)
    code, out, err = run_cli(capsys, "check", "--strip-exif")
    assert code == 1 and "Traceback" not in err
    assert "cases/figures/big.tif:1:1: its metadata cannot be removed without changing the image (it is a BigTIFF" in err
    assert "cases/figures/odd.jpg:1:1: its metadata cannot be removed without changing the image (its EXIF block" in err
    assert {p.name: p.read_bytes() for p in figures.iterdir()} == saved  # nothing changed, no temp files
    with pytest.raises(StripRefused):
        strip_metadata(figures / "odd.jpg")


def test_tiff_sub_ifds_are_refused(tmp_path):
    path = tmp_path / "sub.tif"
    noise((8, 8), 8).save(path, tiffinfo={305: "ScanSoft"})
    data = bytearray(path.read_bytes())  # turn the Software tag into SubIFDs (tag 330)
    ifd = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[ifd:ifd + 2])[0]
    for n in range(count):
        at = ifd + 2 + 12 * n
        if struct.unpack("<H", data[at:at + 2])[0] == 305:
            data[at:at + 2] = struct.pack("<H", 330)
    path.write_bytes(bytes(data))
    assert image_metadata(path) == ["sub-images"]
    with pytest.raises(StripRefused, match="sub-IFDs"):
        strip_metadata(path)
    assert path.read_bytes() == data


# --------------------------------------------------------------------------- figure check: rasters


def bomb_png(path: Path, width: int, height: int) -> None:
    """A valid 1-bit PNG of `width` x `height` black pixels (a few KB on disk)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def test_a_decompression_bomb_is_refused_from_its_header_without_a_warning_or_memory(tmp_path):
    path = tmp_path / "wide.png"
    bomb_png(path, 9000, 9000)  # 81 MP: over our limit, under Pillow's warning
    code = f"""
import resource, sys, time, warnings
warnings.simplefilter("error")
from pathlib import Path
from grandrounds.checks.images import figure_problem
start = time.perf_counter()
print(figure_problem(Path({str(path)!r}), "wide.png"))
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""
    bomb_png(tmp_path / "big.png", 12000, 12000)  # 144 MP: Pillow warns
    bomb_png(tmp_path / "huge.png", 20000, 20000)  # 400 MP: Pillow raises
    for name in ("wide.png", "big.png", "huge.png"):
        run = subprocess.run([sys.executable, "-c", code.replace("wide.png", name)], capture_output=True, text=True,
                             cwd=ROOT, timeout=60)
        assert run.returncode == 0 and run.stderr == "", run.stderr
        verdict, numbers = run.stdout.splitlines()
        pixels = {"wide.png": "81,000,000", "big.png": "144,000,000", "huge.png": "400,000,000"}[name]
        assert verdict == (f"(\"figure file '{name}' has {pixels} pixels, over the 40,000,000-pixel limit for a "
                           "figure (width x height, over all frames)\", 'export it at a lower resolution')")
        seconds, megabytes = numbers.split()
        assert float(seconds) < 2 and int(megabytes) < 300, numbers  # decoding 81 MP alone would take over 240 MB


def test_pixels_are_counted_over_every_frame_and_page(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_FIGURE_PIXELS", 2_000)
    path = tmp_path / "pages.tif"
    frames = [noise((30, 30), n) for n in range(3)]  # 900 pixels a page, 2,700 in all
    frames[0].save(path, save_all=True, append_images=frames[1:])
    assert "has 2,700 pixels, over the 2,000-pixel limit" in figure_problem(path)[0]
    gif = tmp_path / "loop.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:])
    assert "has 2,700 pixels" in figure_problem(gif)[0]
    monkeypatch.setattr(images, "MAX_FIGURE_PIXELS", 3_000)
    one = tmp_path / "one.png"
    frames[0].save(one)
    assert figure_problem(one) is None


def test_too_many_frames_and_too_many_bytes_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "MAX_FIGURE_FRAMES", 4)
    frames = [noise((3, 2), n) for n in range(6)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert figure_problem(tmp_path / "a.gif", "a.gif") == ("figure file 'a.gif' has more than 4 frames",
                                                  "export at most 4 frames, or a still image")
    monkeypatch.setattr(images, "MAX_FIGURE_BYTES", 1024)
    (tmp_path / "big.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg">' + " " * 2048 + "</svg>")
    size = (tmp_path / "big.svg").stat().st_size
    assert figure_problem(tmp_path / "big.svg", "figures/big.svg") == (
        f"figure file 'figures/big.svg' is {size:,} bytes, over the 1,024-byte limit for a figure",
        "export it smaller (lower resolution or more compression)")


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n this is not an image",
    b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",  # never handed to Ghostscript
    b"<html><script>alert(1)</script></html>",
    b"",
])
def test_unreadable_rasters_are_refused(tmp_path, content):
    path = tmp_path / "x.png"
    path.write_bytes(content)
    assert figure_problem(path, "figures/x.png") == (
        "figure file 'figures/x.png' cannot be read as an image (it is not a PNG, JPEG, GIF, WebP, TIFF or SVG file)",
        "export it again as PNG, JPEG or SVG")


@pytest.mark.parametrize("lenient", [False, True])
def test_a_truncated_jpeg_is_refused(tmp_path, monkeypatch, lenient):
    from PIL import ImageFile

    # WeasyPrint sets LOAD_TRUNCATED_IMAGES when it is imported (handouts, a full test run)
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient)
    path = tmp_path / "cut.jpg"
    noise((64, 64), 9).save(path, quality=95)
    path.write_bytes(path.read_bytes()[:-400])
    assert "cannot be read as an image" in figure_problem(path)[0]
    assert ImageFile.LOAD_TRUNCATED_IMAGES is lenient  # put back as it was


# --------------------------------------------------------------------------- figure check: SVG

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">\n'


@pytest.mark.parametrize("body, line, col, what", [
    ("  <script>alert(1)</script>\n", 2, 3, "<script> is not allowed in an SVG figure"),
    ('<g>\n <rect onmouseover="x()"/></g>', 3, 2, "the event attribute onmouseover is not allowed"),
    ('<a xlink:href=" JaVa\tScRiPt:alert(1)"><text>t</text></a>', 2, 1, "'javascript:' in the attribute href"),
    ('<a href="https://tracker.example/p"><text>t</text></a>', 2, 1, "the link 'https://tracker.example/p'"),
    ('<use href="other.svg#part"/>', 2, 1, "the link 'other.svg#part'"),
    ('<g xmlns=""><script>alert(1)</script></g>', 2, 13, "<script> is not allowed in an SVG figure (in any namespace)"),
    ('<x:foreignObject xmlns:x="urn:x"/>', 2, 1, "<foreignObject> is not allowed in an SVG figure (in any namespace)"),
    ('<image href="file:///etc/passwd"/>', 2, 1, "the link 'file:///etc/passwd'"),
    ('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>', 2, 1,
     "<foreignObject> is not allowed"),
    ('<iframe/>', 2, 1, "<iframe> is not allowed"),
    ('<embed/>', 2, 1, "<embed> is not allowed"),
    ('<h:img xmlns:h="http://www.w3.org/1999/xhtml" src="x" onerror="y()"/>', 2, 1, "the XHTML element <img>"),
    ('<set attributeName="href" to="javascript:x()"/>', 2, 1, "'javascript:' in the attribute to"),
    ('<animate attributeName="xlink:href" values="#a;#b"/>', 2, 1, "animating the attribute xlink:href"),
    ('<animate attributeName="onbegin" to="x"/>', 2, 1, "animating the attribute onbegin"),
    ('<rect style="fill: url(https://tracker.example/p.png)"/>', 2, 1, "the CSS url 'https://tracker.example/p.png'"),
    ('<rect fill="url(//tracker.example/p#g)"/>', 2, 1, "the CSS url '//tracker.example/p#g'"),
    ('<style>\n@import url(x.css);\n</style>', 2, 1, "@import is not allowed"),
    ('<style>rect { background: \\75 rl("https://x/y") }</style>', 2, 1, "the CSS url 'https://x/y'"),
    ('<style><![CDATA[ rect { fill: u\\rl(http://x/y) } ]]></style>', 2, 1, "the CSS url 'http://x/y'"),
    ('<text>&amp;&unknown;</text>', 2, 12, "is not well-formed XML (undefined entity)"),
])
def test_scriptable_or_fetching_svg_is_refused_with_its_location(tmp_path, body, line, col, what):
    problem = svg_problem((SVG + body + "</svg>").encode())
    assert problem is not None
    assert (problem.line, problem.col) == (line, col) and what in problem.what, problem


@pytest.mark.parametrize("document, what", [
    ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY a "<script>x()</script>">]>\n' + SVG + "&a;</svg>",
     "a DOCTYPE with declarations"),
    ('<!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>' + SVG + "&lol2;</svg>",
     "a DOCTYPE with declarations"),
    ('<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + SVG + "<text>&x;</text></svg>",
     "a DOCTYPE with declarations"),
    ('<?xml-stylesheet type="text/xsl" href="evil.xsl"?>' + SVG + "</svg>", "processing instruction"),
    ('<svg><rect/></svg>', "not <svg xmlns="),
    ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "the root element is <{http://www.w3.org/1999/xhtml}html>"),
])
def test_dtds_entities_and_stylesheets_are_refused(document, what):
    problem = svg_problem(document.encode())
    assert problem is not None and what in problem.what, problem


@pytest.mark.parametrize("document", [
    (ROOT / "cases" / "figures" / "kawasaki-fever-curve.svg").read_text(encoding="utf-8"),
    SVG + '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
          '<marker id="m"><path d="M0 0L1 1"/></marker></defs>'
          '<rect fill="url(#g)" style="stroke: url(\'#g\'); marker-end: url(#m)" transform="rotate(4 1 1)"/>'
          '<use xlink:href="#m"/><a href="#g"><text>legend</text></a></svg>',
    SVG + '<style>rect { fill: #c62828 } .a { stroke-width: 2 }</style>'
          '<image width="1" height="1" href="data:image/png;base64,iVBORw0KGgo="/>'
          '<animate attributeName="opacity" values="0;1" dur="1s"/></svg>',
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n' + SVG + "<title>T</title></svg>",
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
    'xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd" inkscape:version="1.3">'
    '<sodipodi:namedview id="n"/><g inkscape:label="Layer 1"><circle r="3"/></g></svg>',
])
def test_static_svg_passes(document):
    assert svg_problem(document.encode()) is None


def test_the_example_librarys_svg_figures_pass():
    found = sorted((ROOT / "cases").rglob("*.svg"))
    assert found
    assert [figure_problem(p) for p in found] == [None] * len(found)


# --------------------------------------------------------------------------- one check everywhere


def test_build_check_and_handout_report_the_same_figure_problem(site, capsys):
    (site / "cases" / "figures" / "x.svg").write_text(SVG + '  <g>\n    <script href="#a"/>\n  </g>\n</svg>\n')
    record = write_case(site, "x", """
        schema_version: 1
        title: A case with a scripted chart
        abstract: Short.
        figures:
          - id: f
            file: figures/x.svg
            alt: a chart
        consent: {obtained: true, by: patient}
    """)
    expected = ("cases/x.yaml:6:11: figure file 'figures/x.svg' is refused: cases/figures/x.svg:3:5: <script> is "
                "not allowed in an SVG figure; remove it or export the figure as PNG")
    with pytest.raises(CaseErrors) as raised:
        read_case(record, site / "cases")
    assert [str(p) for p in raised.value.problems] == [expected]
    code, out, err = run_cli(capsys, "check")
    assert code == 1 and expected.replace(": figure file", ": error: schema: figure file") in out + err
    from grandrounds.handout import figure_problems
    from grandrounds.record.model import Case

    case = Case.model_validate({"schema_version": 1, "title": "T", "abstract": "A",
                                "figures": [{"id": "f", "file": "figures/x.svg", "alt": "a chart"}]})
    assert [f"{p.message}; {p.hint}" for p in figure_problems(case, site / "cases")] == [expected.split(":11: ", 1)[1]]


def test_handout_booklet_with_a_bomb_figure_is_a_located_problem_not_a_traceback(site, capsys):
    bomb_png(site / "cases" / "figures" / "scan.png", 15000, 15000)
    write_case(site, "bomb", BOMB_CASE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run_cli(capsys, "handout", "--booklet", "--out", "out")
    assert code == 1 and "Traceback" not in err + out
    assert BOMB_LINE in err.splitlines()
    assert not (site / "out" / "booklet.pdf").exists()


def test_build_booklet_checks_its_figures_itself(site):
    from grandrounds.handout import HandoutOptions, build_booklet
    from grandrounds.record.model import Case

    bomb_png(site / "cases" / "figures" / "scan.png", 15000, 15000)
    case = Case.model_validate({"schema_version": 1, "title": "A case with a huge scan", "abstract": "Short.",
                                "figures": [{"id": "f", "file": "figures/scan.png", "alt": "a figure"}]})
    result = build_booklet([case], site / "cases", HandoutOptions(), site / "booklet.pdf")
    assert [p.message + "; " + p.hint for p in result.problems] == [BOMB_LINE.split(":11: ", 1)[1]]
    assert not result.built and not (site / "booklet.pdf").exists()


BOMB_CASE = """
    schema_version: 1
    title: A case with a huge scan
    abstract: Short.
    figures:
      - id: f
        file: figures/scan.png
        alt: a figure
    consent: {obtained: true, by: patient}
"""
BOMB_LINE = ("cases/bomb.yaml:6:11: figure file 'figures/scan.png' has 225,000,000 pixels, over the 40,000,000-pixel "
             "limit for a figure (width x height, over all frames); export it at a lower resolution")


def test_a_rewrite_that_would_change_the_pixels_is_never_written(tmp_path, monkeypatch):
    path = tmp_path / "scan.tif"
    save_tiff(path, "tiff_lzw", pages=2)
    original = path.read_bytes()
    other = io.BytesIO()
    noise((20, 14), 99).save(other, "TIFF", compression="tiff_lzw")  # one page, other pixels
    monkeypatch.setattr(images, "_tiff_rebuild", lambda *args: other.getvalue())
    with pytest.raises(StripRefused, match="would change the image's content"):
        strip_metadata(path)
    assert path.read_bytes() == original and sorted(tmp_path.iterdir()) == [path]
