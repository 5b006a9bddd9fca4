"""Use every core for the per-record work of a cold build (load, validate, render).

Owns one function, `map_forked`: `[func(x) for x in items]`, run in forked worker
processes when there is enough work to pay for them. Workers inherit `func` and `items`
through `fork` (nothing is pickled on the way in); only the results come back. It falls
back to a plain loop where forking is unsafe or pointless: too few items, one core, no
`fork` start method (Windows, macOS default), or other threads alive in this process
(`mkdocs serve` runs its HTTP server and file watcher in threads after the first build,
and forking a threaded process can deadlock the child).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 64
"""Below this many items a loop is faster than starting workers."""

_job: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def _run(index: int) -> Any:
    assert _job is not None
    func, items = _job
    return func(items[index])


def worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return ("fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1 and worker_count() > 1)


def map_forked(func: Callable[[T], R], items: Sequence[T], min_items: int = MIN_ITEMS) -> list[R]:
    """`[func(x) for x in items]`, in forked workers when that is safe and worth it.

    `func` must not raise (return errors as values) and its results must pickle."""
    global _job
    if len(items) < min_items or not can_fork():
        return [func(item) for item in items]
    workers = min(worker_count(), len(items) // (min_items // 2) or 1)
    _job = (func, items)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            chunk = max(1, len(items) // (workers * 8))
            return pool.map(_run, range(len(items)), chunksize=chunk)
    finally:
        _job = None
