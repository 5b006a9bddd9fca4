"""Identifying metadata in figure images: finding it, and removing it without touching
the pixels.

Owns `image_metadata(path)` (what EXIF/XMP/text metadata an image carries) and
`strip_metadata(path)` (remove it, atomically). JPEG, PNG and WebP are edited at the
container level, because re-encoding a JPEG or a lossy WebP changes its pixels; TIFF keeps
its metadata beside its image structure, so it is re-saved by Pillow with the same
lossless compression. SVG is not an image Pillow reads and is left alone.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .fsio import atomic_write

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
_EXIF_TAGS = {0x0132: "date", 0x9003: "date", 0x9004: "date", 0x8825: "GPS position",
              0x010F: "device make", 0x0110: "device model", 0x0131: "software",
              0xA434: "lens", 0x013B: "artist", 0x8298: "copyright", 0xA420: "image id",
              0x9286: "user comment", 0x010E: "description"}


def image_metadata(path: Path) -> list[str]:
    """What identifying metadata an image carries ("date", "GPS position", "XMP" ...);
    empty for clean images and non-images."""
    if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        return []
    from PIL import Image

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            kinds = [_EXIF_TAGS[t] for t in exif if t in _EXIF_TAGS]
            try:
                sub = exif.get_ifd(0x8769)
                kinds += [_EXIF_TAGS[t] for t in sub if t in _EXIF_TAGS]
            except Exception:  # malformed sub-IFD: the base tags still count
                pass
            if exif and not kinds and image.format != "TIFF":  # a TIFF's own tags live there too
                kinds.append("EXIF block")
            info = image.info
            if "xmp" in info or "XML:com.adobe.xmp" in info:
                kinds.append("XMP")
            if path.suffix.lower() == ".png" and any(k for k in info if k not in ("dpi", "gamma", "transparency", "icc_profile", "srgb", "aspect", "exif", "chromaticity")):
                kinds.append("text chunks")
    except Exception:  # not an image Pillow reads: not ours to judge
        return []
    return list(dict.fromkeys(kinds))


def strip_metadata(path: Path) -> bool:
    """Remove EXIF/XMP/text metadata from an image, keeping its pixels exactly; written
    atomically (temporary file, then rename). Returns whether the file changed.

    JPEG, PNG and WebP are edited at the container level (segments/chunks dropped, image
    data untouched: re-encoding a JPEG would change its pixels); TIFF is re-saved by Pillow
    with the same lossless compression."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        new = _strip_jpeg(data)
    elif suffix == ".png":
        new = _strip_png(data)
    elif suffix == ".webp":
        new = _strip_webp(data)
    elif suffix in (".tif", ".tiff"):
        new = _strip_tiff(path)
    else:
        return False
    if new == data:
        return False
    atomic_write(path, new)
    return True


def _strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    out, i = [data[:2]], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        segment = data[i:i + 2 + length]
        body = segment[4:]
        drop = (marker == 0xE1 and (body.startswith(b"Exif\0") or body.startswith(b"http://ns.adobe.com/")))\
            or marker == 0xED or marker == 0xFE  # APP1 Exif/XMP, APP13 IPTC, comments
        if not drop:
            out.append(segment)
        i += 2 + length
    out.append(data[i:])
    return b"".join(out)


_PNG_META = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    out, i = [data[:8]], 8
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i:i + 4])[0]
        kind = data[i + 4:i + 8]
        chunk = data[i:i + 12 + length]
        if kind not in _PNG_META:
            out.append(chunk)
        i += 12 + length
    return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    out, i = [], 12
    while i + 8 <= len(data):
        kind = data[i:i + 4]
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        chunk = bytearray(data[i:i + 8 + size + (size & 1)])
        if kind == b"VP8X":
            chunk[8] &= ~(0x08 | 0x04) & 0xFF  # clear the EXIF and XMP flags
        if kind not in (b"EXIF", b"XMP "):
            out.append(bytes(chunk))
        i += 8 + size + (size & 1)
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _strip_tiff(path: Path) -> bytes:
    import io

    from PIL import Image

    with Image.open(path) as image:
        image.load()
        buffer = io.BytesIO()
        compression = image.info.get("compression", "raw")
        clean = image.copy()
        clean.info = {}
        clean.save(buffer, format="TIFF", compression=compression)
    return buffer.getvalue()
