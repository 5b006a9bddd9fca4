"""Reading and writing files safely: the one bounded read and the one atomic write.

Owns `read_limited` (an untrusted input file's bytes, refused with `file:1:1` when it is
larger than its limit or unreadable: records, reference files and articles all read through
it) and `atomic_write` (a file is written whole or not at all: a temporary file in the same
folder, then a rename) and the permission rule for what it writes: a new file gets the
ordinary mode the umask allows (0666 & ~umask, so a published page or PDF is readable by
the web server and other users, not 0600 as `mkstemp` makes it); a replaced file keeps its
own mode. It does not decide *whether* a file may be written; that is the caller's rule
(`outdir` for output folders, `scaffold` for new records and sites).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import fail

__all__ = ["atomic_write", "read_limited", "umask"]


def read_limited(path: Path, limit: int, what: str, hint: str) -> bytes:
    """The bytes of `path`, at most `limit` of them: a larger file is refused (`CaseErrors`,
    "<what> is N bytes, over the L-byte limit; <hint>") without reading more than one byte
    past the limit, and so is a file that cannot be read."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
            size = max(len(data), os.fstat(handle.fileno()).st_size)
    except OSError as exc:
        raise fail(path, None, f"cannot read file ({exc.strerror or exc})",
                   "check that it exists and is readable") from None
    if len(data) > limit:
        raise fail(path, None, f"{what} is {size:,} bytes, over the {limit:,}-byte limit", hint)
    return data


def umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write `data` (text is UTF-8) to `path` through a temporary file beside it and a
    rename, creating missing parent folders. A failure leaves `path` as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
