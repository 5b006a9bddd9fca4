"""The one fork pool: use every core for the per-record work of cold builds and handouts.

Owns `map_forked` (`[func(x) for x in items]`, results in order) and `imap_forked`
(`(index, func(item))` as each finishes, for a progress bar), both run in forked worker
processes when there is enough work to pay for them. Workers inherit `func` and `items`
through `fork` (nothing is pickled on the way in); only the results come back. Both fall
back to a plain loop where forking is unsafe or pointless: too few items, one core, no
`fork` start method (Windows, macOS default), or other threads alive in this process
(`mkdocs serve` runs its HTTP server and file watcher in threads after the first build,
and forking a threaded process can deadlock the child).

Workers collect their cyclic garbage whatever the caller did with the collector, and
never write to what they inherited on its account (`_pool`: `gc.freeze` before the fork).

It does not know what the work is: callers pass a function that returns errors as values.

Also `release_memory`: every `functools` cache emptied, a collection, then the freed heap
handed back to the system (glibc's `malloc_trim`), for a process about to wait on another
that needs the memory (the MkDocs build while Pagefind indexes its site).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 64
"""Below this many items a loop is faster than starting workers (cheap per-record work)."""

_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run(index: int) -> tuple[int, Any]:
    assert _job is not None
    func, items = _job
    return index, func(items[index])


def worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1 and worker_count() > 1)


def _worker_start() -> None:
    """In each worker: collect cyclic garbage. A caller may have paused the collector (the
    site engine does, for its build), and a worker inherits that: it then kept every cycle
    its records made (parsed YAML, models, template contexts), 250 MB a worker at 1,000
    cases. What the parent had is frozen (see `_pool`), so collecting never writes to it."""
    gc.enable()


@contextmanager
def _pool(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> Iterator[Any]:
    """A fork pool whose workers see `(func, items)` as the module's job. Everything the
    parent holds is frozen out of the collector's reach first (`gc.freeze`): a worker's
    collections would otherwise write to every inherited object's header and copy the
    parent's heap page by page into each worker."""
    global _job
    _job = (func, items)
    fresh = gc.get_freeze_count() == 0  # else someone froze on purpose (serve's startup): leave it
    if fresh:
        gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_start) as pool:
            yield pool
    finally:
        _job = None
        if fresh:
            gc.unfreeze()


def map_forked(func: Callable[[T], R], items: Sequence[T], min_items: int = MIN_ITEMS) -> list[R]:
    """`[func(x) for x in items]`, in forked workers when that is safe and worth it.

    `func` must not raise (return errors as values) and its results must pickle."""
    if len(items) < min_items or not can_fork():
        return [func(item) for item in items]
    workers = min(worker_count(), len(items) // (min_items // 2) or 1)
    chunk = max(1, len(items) // (workers * 8))
    with _pool(func, items, workers) as pool:
        return [result for _, result in pool.map(_run, range(len(items)), chunksize=chunk)]


def imap_forked(func: Callable[[T], R], items: Sequence[T], jobs: int) -> Iterator[tuple[int, R]]:
    """`(index, func(item))` as each finishes, in up to `jobs` forked workers when that is
    safe (else in this process, in order). For slow items (a handout is ~0.5 s), one at a
    time, so a progress bar advances evenly."""
    if jobs < 2 or len(items) < 2 or not can_fork():
        for i, item in enumerate(items):
            yield i, func(item)
        return
    with _pool(func, items, min(jobs, len(items))) as pool:
        yield from pool.imap_unordered(_run, range(len(items)), chunksize=1)


def release_memory() -> None:
    """Empty every `functools` cache in the process, collect garbage and give the freed
    heap back to the system (glibc only; elsewhere the collection alone).

    The caches matter most: their entries, made all through a build (MkDocs' unbounded URL
    caches in `mkdocs.utils`, our name cache), are a few MB that keep otherwise empty
    pymalloc arenas from being returned. At 1,000 cases the MkDocs process held 277 MB
    after the collection and `malloc_trim` alone, 123 MB with the caches emptied too
    (`sys._debugmallocstats`: 239 arenas of 1 MB left, then 90). A cache refills on its
    next call, so this costs only time, and is for a process about to wait."""
    import ctypes
    import ctypes.util
    import functools

    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper):
            obj.cache_clear()
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "malloc_trim"):
            libc.malloc_trim(0)
    except OSError:  # no C library to load: the collection is all there is
        pass
