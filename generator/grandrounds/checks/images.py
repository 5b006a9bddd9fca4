"""Figure files: whether one is safe to publish and print, and its identifying metadata.

Owns
- `figure_problem(path, name)`: the one figure check that `check`, the build (through
  `library`) and the handouts share. A figure must be a file of at most
  `limits.MAX_FIGURE_BYTES`; a raster must be PNG, JPEG, GIF, WebP or TIFF (no other Pillow
  plugin is ever opened: EPS would start Ghostscript), have at most
  `limits.MAX_FIGURE_FRAMES` frames and `limits.MAX_FIGURE_PIXELS` pixels over all frames
  (read from the header before anything is decoded) and then decode whole; an SVG must pass
  the allow-list of `svg.py`.
- `image_metadata(path)` / `strip_metadata(path)`: what identifying metadata an image
  carries, and removing exactly that, losslessly. Both run the same per-format pass, so a
  stripped image always checks clean. The pass edits the container and never re-encodes
  image data: JPEG segments, PNG chunks and WebP chunks are kept from an allow-list of
  what describes the picture (ICC profile, resolution, colour and animation chunks, Adobe
  colour transform); an EXIF block is rewritten with only Orientation, resolution and
  colour space; TIFF files are rebuilt with every page's compressed strips or tiles copied
  byte for byte and only the image-structure tags (ICC profile, resolution and Orientation
  included). Removed: GPS, dates, device make/model/serial, software, owner, artist,
  copyright, comments, descriptions, XMP, IPTC/Photoshop data, thumbnails, text chunks,
  maker notes, unknown private chunks/tags and data after the end of the image. Before a
  file is replaced, the result is decoded and compared with the original (every frame's
  pixels, frame count, ICC profile, DPI, Orientation); what cannot be stripped losslessly
  (BigTIFF, TIFF sub-IFDs, old-style JPEG in TIFF, an unreadable EXIF block ...) is refused
  with `StripRefused` and the file is left as it was.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from ..errors import display_path
from ..fsio import atomic_write
from ..limits import MAX_FIGURE_BYTES, MAX_FIGURE_FRAMES, MAX_FIGURE_PIXELS

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
RASTER_FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "TIFF")
_REEXPORT = "export it again as PNG, JPEG or SVG"


class StripRefused(ValueError):
    """The metadata of an image cannot be removed without changing its content."""


# =========================================================================== figure check


def figure_problem(path: Path, name: str | None = None) -> tuple[str, str] | None:
    """(what, how to fix) when the figure file at `path` must not be published or printed,
    else None. `name` is how the record spells the file (default: its display path); every
    message starts "figure file '<name>' ...". Results are cached by (path, mtime, size)."""
    verdict = _file_verdict(path)
    if verdict is None:
        return None
    what, hint = verdict
    return f"figure file '{name or display_path(path)}' {what}", hint


def _file_verdict(path: Path) -> tuple[str, str] | None:
    """figure_problem's (what, hint), `what` without the file's name."""
    try:
        stat = path.stat()
    except OSError as exc:
        return f"cannot be read ({exc.strerror})", "check the file"
    return _verdict(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache(maxsize=1024)
def _verdict(path: str, mtime_ns: int, size: int, inode: int) -> tuple[str, str] | None:
    if size > MAX_FIGURE_BYTES:
        return (f"is {size:,} bytes, over the {MAX_FIGURE_BYTES:,}-byte limit for a figure",
                "export it smaller (lower resolution or more compression)")
    target = Path(path)
    if target.suffix.lower() == ".svg":
        return _svg_verdict(target)
    return _raster_verdict(target)


def _svg_verdict(path: Path) -> tuple[str, str] | None:
    from .svg import svg_problem

    try:
        problem = svg_problem(path.read_bytes())
    except OSError as exc:
        return f"cannot be read ({exc.strerror})", "check the file"
    if problem is None:
        return None
    return f"is refused: {display_path(path)}:{problem.line}:{problem.col}: {problem.what}", problem.hint


def _raster_verdict(path: Path) -> tuple[str, str] | None:
    from PIL import UnidentifiedImageError

    try:
        with open_raster(path) as image:
            pixels, frames = _pixels_and_frames(image)
            if frames > MAX_FIGURE_FRAMES:
                return (f"has more than {MAX_FIGURE_FRAMES} frames",
                        f"export at most {MAX_FIGURE_FRAMES} frames, or a still image")
            if pixels > MAX_FIGURE_PIXELS:
                return _too_many_pixels(pixels)
            for index in range(frames):  # the whole size is within budget: decoding is safe
                image.seek(index)
                image.load()
    except _TooLarge as exc:
        return _too_many_pixels(exc.pixels)
    except UnidentifiedImageError:
        return "cannot be read as an image (it is not a PNG, JPEG, GIF, WebP, TIFF or SVG file)", _REEXPORT
    except Exception as exc:  # any decoder failure is a bad file, never a traceback
        return f"cannot be read as an image ({_reason(exc)})", _REEXPORT
    return None


def _too_many_pixels(pixels: int) -> tuple[str, str]:
    return (f"has {pixels:,} pixels, over the {MAX_FIGURE_PIXELS:,}-pixel limit for a figure "
            "(width x height, over all frames)", "export it at a lower resolution")


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 120 else text[:117] + "..."


class _TooLarge(Exception):
    def __init__(self, pixels: int):
        super().__init__(pixels)
        self.pixels = pixels


_BOMB_SIZE = re.compile(r"\((\d+) pixels\)")


@contextmanager
def open_raster(source: Path | bytes) -> Iterator[Any]:
    """The image opened by Pillow, header only, from the raster formats a figure may be;
    Pillow's own decompression-bomb warning is silenced (our pixel limit is lower) and its
    error becomes `_TooLarge`. Raises Pillow's errors for what it cannot identify."""
    from PIL import Image, ImageFile

    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint sets it to True when imported
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated figure is a broken file, not a picture
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning, "possibly corrupt EXIF", ...
            try:
                image = Image.open(stream, formats=RASTER_FORMATS)
            except Image.DecompressionBombError as exc:
                found = _BOMB_SIZE.search(str(exc))
                raise _TooLarge(int(found.group(1)) if found else MAX_FIGURE_PIXELS + 1) from None
            with image:
                yield image
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def _pixels_and_frames(image: Any) -> tuple[int, int]:
    """Pixels over all frames and the frame count, from headers only (no frame is decoded).
    TIFF pages each have their own size and are counted one by one, up to one past the
    frame limit; the other formats' frames share the canvas size."""
    width, height = image.size
    if image.format != "TIFF":
        frames = getattr(image, "n_frames", 1)
        return width * height * frames, frames
    pixels, frames = 0, 0
    while frames <= MAX_FIGURE_FRAMES:
        try:
            image.seek(frames)
        except EOFError:
            break
        pixels += image.size[0] * image.size[1]
        frames += 1
        if pixels > MAX_FIGURE_PIXELS:
            break
    image.seek(0)
    return pixels, frames


# =========================================================================== metadata


@dataclass
class _Pass:
    """One format's metadata pass: the file without identifying metadata, what was removed
    (empty: the file is clean and stays as it is), and why it cannot be rewritten (if so)."""

    data: bytes
    kinds: list[str] = field(default_factory=list)
    refused: str | None = None


def image_metadata(path: Path) -> list[str]:
    """What identifying metadata an image carries ("date", "GPS position", "XMP" ...): what
    `strip_metadata` would remove. Empty for clean images, non-images and files that are
    too large or not readable (the figure check reports those)."""
    if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        return []
    try:
        if path.stat().st_size > MAX_FIGURE_BYTES:
            return []
        return _metadata_pass(path.read_bytes(), path.suffix.lower(), rebuild=False).kinds
    except (OSError, ValueError, struct.error):
        return []


def strip_metadata(path: Path) -> bool:
    """Remove identifying metadata from an image, keeping every frame's pixels, the
    Orientation, ICC profile and resolution; written atomically (temporary file, then
    rename). Returns whether the file changed. Raises `StripRefused` (a ValueError) when
    it cannot be done losslessly; the file is then untouched."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES:
        return False
    problem = _file_verdict(path)
    if problem:
        raise StripRefused(f"the file {problem[0]}")
    data = path.read_bytes()
    try:
        result = _metadata_pass(data, suffix, rebuild=True)
    except (ValueError, struct.error) as exc:
        raise StripRefused(f"its structure cannot be read ({_reason(exc)})") from None
    if not result.kinds:
        return False
    if result.refused:
        raise StripRefused(result.refused)
    _verify_same_content(data, result.data)
    atomic_write(path, result.data)
    return True


def _metadata_pass(data: bytes, suffix: str, rebuild: bool) -> _Pass:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's "possibly corrupt EXIF data"
        if suffix in (".jpg", ".jpeg"):
            return _jpeg_pass(data)
        if suffix == ".png":
            return _png_pass(data)
        if suffix == ".webp":
            return _webp_pass(data)
        return _tiff_pass(data, rebuild)


def _verify_same_content(old: bytes, new: bytes) -> None:
    """Refuse unless `new` decodes to the same frames, pixels, ICC profile, DPI and
    Orientation as `old`."""
    try:
        with open_raster(old) as before, open_raster(new) as after:
            # properties first: loading a one-page TIFF applies and drops its Orientation
            same = _kept_properties(before) == _kept_properties(after) and _frames_equal(before, after)
    except Exception as exc:  # the rewritten file does not decode: never write it
        raise StripRefused(f"the stripped image would not decode ({_reason(exc)})") from None
    if not same:
        raise StripRefused("stripping would change the image's content")


def _kept_properties(image: Any) -> tuple:
    """What stripping must keep besides the pixels: ICC profile, resolution (as stored:
    Pillow invents 72 dpi for a JPEG with EXIF but no resolution) and Orientation."""
    exif = image.getexif()
    stored_dpi = None if image.format == "JPEG" else image.info.get("dpi")
    return (image.info.get("icc_profile"), stored_dpi, image.info.get("jfif_unit"), image.info.get("jfif_density"),
            tuple(exif.get(tag) for tag in (0x0112, 0x011A, 0x011B, 0x0128)))


def _frames_equal(before: Any, after: Any) -> bool:
    frames = getattr(before, "n_frames", 1)
    if frames != getattr(after, "n_frames", 1):
        return False
    for index in range(frames):
        before.seek(index)
        after.seek(index)
        if (before.mode, before.size) != (after.mode, after.size) or before.tobytes() != after.tobytes():
            return False
    return True


# --------------------------------------------------------------------------- EXIF

_EXIF_KEEP = {0x0112, 0x011A, 0x011B, 0x0128}  # Orientation, X/Y resolution, resolution unit
_EXIF_IFD_KEEP = {0xA001}  # colour space
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_EXIF_NAMES = {0x0132: "date", 0x9003: "date", 0x9004: "date", 0x9010: "date", 0x9011: "date",
               0x9012: "date", 0x9290: "date", 0x9291: "date", 0x9292: "date", 0x8825: "GPS position",
               0x010F: "device make", 0x0110: "device model", 0xA431: "device serial number",
               0xA432: "lens", 0xA433: "lens", 0xA434: "lens", 0xA435: "lens", 0x0131: "software",
               0x013B: "artist", 0x8298: "copyright", 0xA430: "owner", 0xA420: "image id",
               0x9286: "user comment", 0x010E: "description", 0x927C: "maker notes",
               0x9C9B: "title", 0x9C9C: "comment", 0x9C9D: "author", 0x9C9E: "keywords",
               0x9C9F: "subject", 0x02BC: "XMP", 0x83BB: "IPTC", 0x8649: "Photoshop data"}


def _exif_pass(raw: bytes) -> _Pass:
    """An EXIF block (with or without the "Exif\\0\\0" header) keeping only Orientation,
    resolution and colour space, in the same form; `data` is empty when nothing is kept."""
    from PIL import ExifTags, Image

    prefix = b"Exif\x00\x00" if raw.startswith(b"Exif\x00\x00") else b""
    try:
        with warnings.catch_warnings(record=True) as complaints:
            warnings.simplefilter("always")  # Pillow warns, and reads nothing, on a corrupt block
            exif = Image.Exif()
            exif.load(raw)
            base, sub = dict(exif), exif.get_ifd(_EXIF_IFD)
            thumbnail = exif.get_ifd(ExifTags.IFD.IFD1)
        if complaints:
            raise ValueError(str(complaints[0].message))
    except Exception:
        return _Pass(raw, ["unreadable EXIF block"], "its EXIF block cannot be read, so its Orientation "
                                                     "could not be kept")
    kinds = [_EXIF_NAMES.get(tag, "other EXIF tags") for tag in base if tag not in _EXIF_KEEP | {_EXIF_IFD}]
    kinds += [_EXIF_NAMES.get(tag, "other EXIF tags") for tag in sub if tag not in _EXIF_IFD_KEEP]
    kinds += ["thumbnail"] if thumbnail else []
    if not kinds:
        return _Pass(raw)
    kept = Image.Exif()
    for tag in sorted(_EXIF_KEEP & base.keys()):
        kept[tag] = base[tag]
    colour = {tag: sub[tag] for tag in _EXIF_IFD_KEEP & sub.keys()}
    if colour:
        kept[_EXIF_IFD] = colour
    data = kept.tobytes()[6:] if len(kept) else b""
    return _Pass(prefix + data if data else b"", list(dict.fromkeys(kinds)))


# --------------------------------------------------------------------------- JPEG

_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _jpeg_pass(data: bytes) -> _Pass:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    out, kinds, refused, i = [data[:2]], [], None, 2
    while True:
        if i + 2 > len(data) or data[i] != 0xFF:
            raise ValueError("the JPEG segments are damaged or cut short")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image
            out.append(data[i:i + 2])
            i += 2
            break
        if marker in _JPEG_STANDALONE:
            out.append(data[i:i + 2])
            i += 2
            continue
        if i + 4 > len(data):
            raise ValueError("the JPEG segments are damaged or cut short")
        end = i + 2 + struct.unpack(">H", data[i + 2:i + 4])[0]
        if end > len(data):
            raise ValueError("a JPEG segment runs past the end of the file")
        if marker == 0xDA:  # start of scan: the entropy-coded data runs to the next marker
            end = _scan_end(data, end)
            out.append(data[i:end])
        else:
            kept, removed, why = _jpeg_segment(marker, data[i + 4:end])
            kinds += removed
            refused = refused or why
            if kept is not None:
                out.append(data[i:i + 2] + struct.pack(">H", len(kept) + 2) + kept)
        i = end
    if data[i:].strip(b"\x00"):
        kinds.append("data after the end of the image")
    return _Pass(b"".join(out), list(dict.fromkeys(kinds)), refused)


def _scan_end(data: bytes, i: int) -> int:
    while True:
        i = data.find(b"\xff", i)
        if i < 0 or i + 1 >= len(data):
            raise ValueError("the JPEG image data is cut short")
        following = data[i + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed byte, restart marker
            i += 2
        elif following == 0xFF:  # fill bytes before a marker
            i += 1
        else:
            return i


def _jpeg_segment(marker: int, body: bytes) -> tuple[bytes | None, list[str], str | None]:
    """(body to keep or None, kinds removed, refusal) for one JPEG marker segment."""
    if marker == 0xE0 and body.startswith(b"JFIF\x00") and len(body) >= 14:
        if body[12] or body[13]:
            return body[:12] + b"\x00\x00", ["thumbnail"], None
        return body, [], None
    if marker == 0xE0 and body.startswith(b"JFXX\x00"):
        return None, ["thumbnail"], None
    if marker == 0xE1 and body.startswith(b"Exif\x00\x00"):
        result = _exif_pass(body)
        return (result.data or None), result.kinds, result.refused
    if marker == 0xE1 and body.startswith(b"http://ns.adobe.com/"):
        return None, ["XMP"], None
    if marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00"):
        return body, [], None
    if marker == 0xE2 and body.startswith(b"MPF\x00"):
        return None, ["extra images"], None
    if marker == 0xEE and body.startswith(b"Adobe"):  # colour transform: needed to decode
        return body, [], None
    if marker == 0xED:
        return None, ["IPTC"], None
    if marker == 0xFE:
        return None, ["comment"], None
    if 0xE0 <= marker <= 0xEF:
        return None, ["other metadata"], None
    return body, [], None  # frame, tables, restart interval ...


# --------------------------------------------------------------------------- PNG

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCV", b"cLLI",
             b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT"}
_PNG_NAMES = {b"tEXt": "text chunks", b"zTXt": "text chunks", b"iTXt": "text chunks", b"tIME": "date"}


def _png_pass(data: bytes) -> _Pass:
    if data[:8] != _PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    out, kinds, refused, i = [data[:8]], [], None, 8
    while True:
        if i + 12 > len(data):
            raise ValueError("the PNG chunks are cut short")
        length = struct.unpack(">I", data[i:i + 4])[0]
        kind, end = data[i + 4:i + 8], i + 12 + length
        if end > len(data):
            raise ValueError("a PNG chunk runs past the end of the file")
        body = data[i + 8:i + 8 + length]
        if kind[:1].isupper() or kind in _PNG_KEEP:  # critical chunks, and what describes the pixels
            out.append(data[i:end])
        elif kind == b"eXIf":
            result = _exif_pass(body)
            kinds += result.kinds
            refused = refused or result.refused
            if result.data:
                out.append(_png_chunk(kind, result.data))
        elif kind == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00"):
            kinds.append("XMP")
        else:
            kinds.append(_PNG_NAMES.get(kind, f"'{kind.decode('latin-1')}' chunk"))
        i = end
        if kind == b"IEND":
            break
    if data[i:].strip(b"\x00"):
        kinds.append("data after the end of the image")
    return _Pass(b"".join(out), list(dict.fromkeys(kinds)), refused)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# --------------------------------------------------------------------------- WebP

_WEBP_KEEP = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"}
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def _webp_pass(data: bytes) -> _Pass:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    riff_end = 8 + struct.unpack("<I", data[4:8])[0]
    if riff_end > len(data):
        raise ValueError("the WebP file is cut short")
    chunks, kinds, refused, exif_kept, i = [], [], None, False, 12
    while i + 8 <= riff_end:
        kind, size = data[i:i + 4], struct.unpack("<I", data[i + 4:i + 8])[0]
        end = i + 8 + size + (size & 1)
        if i + 8 + size > riff_end:
            raise ValueError("a WebP chunk runs past the end of the file")
        body = data[i + 8:i + 8 + size]
        if kind in _WEBP_KEEP:
            chunks.append(bytearray(data[i:end]))
        elif kind == b"EXIF":
            result = _exif_pass(body)
            kinds += result.kinds
            refused = refused or result.refused
            if result.data:
                exif_kept = True
                chunks.append(bytearray(_riff_chunk(kind, result.data)))
        else:
            kinds.append("XMP" if kind == b"XMP " else f"'{kind.decode('latin-1').strip()}' chunk")
        i = end
    for chunk in chunks:
        if chunk[:4] == b"VP8X":  # the flags say which optional chunks follow
            chunk[8] = (chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP) & 0xFF) | (_VP8X_EXIF if exif_kept else 0)
    if data[riff_end:].strip(b"\x00"):
        kinds.append("data after the end of the image")
    body = b"WEBP" + b"".join(bytes(c) for c in chunks)
    return _Pass(b"RIFF" + struct.pack("<I", len(body)) + body, list(dict.fromkeys(kinds)), refused)


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


# --------------------------------------------------------------------------- TIFF

# Tags that describe how to decode and show the pixels: everything else is removed.
_TIFF_KEEP = {254, 255, 256, 257, 258, 259, 262, 263, 264, 265, 266, 273, 274, 277, 278, 279,
              280, 281, 282, 283, 284, 290, 291, 292, 293, 296, 297, 301, 317, 318, 319, 320,
              321, 322, 323, 324, 325, 332, 334, 336, 338, 339, 340, 341, 342, 347, 529, 530,
              531, 532, 34675}
_TIFF_NAMES = {269: "document name", 270: "description", 271: "device make", 272: "device model",
               285: "page name", 305: "software", 306: "date", 315: "artist", 316: "host computer",
               33432: "copyright", 700: "XMP", 33723: "IPTC", 34377: "Photoshop data",
               34665: "EXIF data", 34853: "GPS position", 37724: "Photoshop layers",
               42016: "image id", 50341: "print settings", 330: "sub-images"}
_TIFF_UNSUPPORTED = {330: "sub-IFDs", 513: "an old-style JPEG stream", 514: "an old-style JPEG stream"}
_TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


@dataclass
class _Entry:
    tag: int
    kind: int
    count: int
    value: bytes  # the value's bytes, as stored (file byte order)


def _tiff_pass(data: bytes, rebuild: bool) -> _Pass:
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None:
        raise ValueError("not a TIFF file")
    magic = struct.unpack(order + "H", data[2:4])[0]
    if magic == 43:
        return _Pass(data, ["metadata of a BigTIFF, which this tool cannot inspect"],
                     "it is a BigTIFF, which this tool cannot edit")
    if magic != 42:
        raise ValueError("not a TIFF file")
    pages = _tiff_pages(data, order)
    kinds = [_TIFF_NAMES.get(e.tag, "other TIFF tags") for page in pages for e in page
             if e.tag not in _TIFF_KEEP and e.tag not in (513, 514)]  # old-style JPEG: image data
    if not kinds:
        return _Pass(data)
    kinds = list(dict.fromkeys(kinds))
    refused = _tiff_refusal(pages, order)
    if refused or not rebuild:
        return _Pass(data, kinds, refused)
    return _Pass(_tiff_rebuild(data, order, pages), kinds)


def _tiff_pages(data: bytes, order: str) -> list[list[_Entry]]:
    pages, seen = [], set()
    offset = struct.unpack(order + "I", data[4:8])[0]
    while offset:
        if offset in seen or len(pages) > MAX_FIGURE_FRAMES:
            raise ValueError("the TIFF pages loop or are too many")
        seen.add(offset)
        if offset + 2 > len(data):
            raise ValueError("a TIFF directory lies past the end of the file")
        count = struct.unpack(order + "H", data[offset:offset + 2])[0]
        table = offset + 2
        if table + 12 * count + 4 > len(data):
            raise ValueError("a TIFF directory runs past the end of the file")
        entries = [_tiff_entry(data, order, table + 12 * n) for n in range(count)]
        pages.append(entries)
        offset = struct.unpack(order + "I", data[table + 12 * count:table + 12 * count + 4])[0]
    return pages


def _tiff_entry(data: bytes, order: str, at: int) -> _Entry:
    tag, kind, count = struct.unpack(order + "HHI", data[at:at + 8])
    size = _TIFF_TYPE_SIZES.get(kind, 0) * count
    if size <= 4:
        value = data[at + 8:at + 8 + size]
    else:
        start = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        if start + size > len(data):
            raise ValueError(f"the value of TIFF tag {tag} lies past the end of the file")
        value = data[start:start + size]
    return _Entry(tag, kind, count, value)


def _tiff_refusal(pages: list[list[_Entry]], order: str) -> str | None:
    for page in pages:
        tags = {e.tag: e for e in page}
        for tag, what in _TIFF_UNSUPPORTED.items():
            if tag in tags:
                return f"the TIFF holds {what}, which this tool cannot copy"
        if any(e.kind not in _TIFF_TYPE_SIZES for e in page):
            return "the TIFF uses a value type this tool does not know"
        if 259 in tags and tags[259].kind == 3 and _tiff_numbers(tags[259], order)[:1] == [6]:
            return "the TIFF uses old-style JPEG compression, which this tool cannot copy"
        data_tags = (324, 325) if 324 in tags else (273, 279)
        if not all(t in tags and tags[t].kind in (3, 4) for t in data_tags) \
                or tags[data_tags[0]].count != tags[data_tags[1]].count:
            return "the TIFF's image data is laid out in a way this tool does not copy"
    return None


def _tiff_numbers(entry: _Entry, order: str) -> list[int]:
    code = "H" if entry.kind == 3 else "I"
    return list(struct.unpack(f"{order}{entry.count}{code}", entry.value))


def _tiff_rebuild(data: bytes, order: str, pages: list[list[_Entry]]) -> bytes:
    """A new classic TIFF in the same byte order: per page, its compressed strips or tiles
    copied byte for byte, then the kept tags' values, then the directory."""
    out = bytearray(data[:4] + b"\x00\x00\x00\x00")
    link = 4  # where the offset of the next directory goes
    for page in pages:
        tags = {e.tag: e for e in page}
        offsets_tag, counts_tag = (324, 325) if 324 in tags else (273, 279)
        positions = []
        for start, length in zip(_tiff_numbers(tags[offsets_tag], order), _tiff_numbers(tags[counts_tag], order)):
            if start + length > len(data):
                raise ValueError("TIFF image data lies past the end of the file")
            out += b"\x00" * (len(out) & 1)
            positions.append(len(out))
            out += data[start:start + length]
        kept = [e for e in page if e.tag in _TIFF_KEEP and e.tag != offsets_tag]
        kept.append(_Entry(offsets_tag, 4, len(positions), struct.pack(f"{order}{len(positions)}I", *positions)))
        table = []
        for entry in sorted(kept, key=lambda e: e.tag):
            if len(entry.value) <= 4:
                field_bytes = entry.value.ljust(4, b"\x00")
            else:
                out += b"\x00" * (len(out) & 1)
                field_bytes = struct.pack(order + "I", len(out))
                out += entry.value
            table.append(struct.pack(order + "HHI", entry.tag, entry.kind, entry.count) + field_bytes)
        out += b"\x00" * (len(out) & 1)
        out[link:link + 4] = struct.pack(order + "I", len(out))
        out += struct.pack(order + "H", len(table)) + b"".join(table)
        link = len(out)
        out += b"\x00\x00\x00\x00"
    return bytes(out)
