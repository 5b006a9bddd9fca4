"""The cold-build path: records read (and pages rendered) in forked workers give exactly
what a plain loop gives, problems included."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest

from grandrounds import parallel
from grandrounds.record.library import Library
from grandrounds.site.render import Renderer

COUNT = parallel.MIN_ITEMS + 16


def _write_records(cases: Path) -> None:
    cases.mkdir()
    for i in range(COUNT):
        text = f"title: Case number {i}\nabstract: A *short* abstract {i}.\nspecialties: [s{i % 5}]\n"
        if i % 17 == 3:
            text += "titel: misspelt\n"
        (cases / f"case-{i:03d}.yaml").write_text(text)


def _outcome(library: Library, cases: Path):
    return [(p.name, library.case_for(p) and library.case_for(p).model_dump(),
             library.errors_for(p) and [str(x) for x in library.errors_for(p).problems],
             library.derived_for(p))
            for p in sorted(cases.glob("*.yaml"))]


@pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and 2 cores")
def test_forked_refresh_equals_a_plain_loop(tmp_path, monkeypatch):
    cases = tmp_path / "cases"
    _write_records(cases)
    monkeypatch.chdir(tmp_path)
    renderer = Renderer()
    pids = set()

    def render(case):
        pids.add(os.getpid())  # only seen here when run in this process
        return renderer.case_page(case)

    forked = Library(cases)
    assert len(forked.refresh(derive=lambda c: (os.getpid(), renderer.case_page(c)))) == COUNT
    worker_pids = {d[0] for d in (forked.derived_for(p) for p in cases.glob("*.yaml")) if d}
    assert os.getpid() not in worker_pids and worker_pids  # it really ran in workers

    import grandrounds.record.library as library_module
    monkeypatch.setattr(library_module, "map_forked", lambda f, items: [f(x) for x in items])
    plain = Library(cases)
    plain.refresh(derive=render)
    assert pids == {os.getpid()}

    strip = lambda rows: [(n, c, e, d[1] if d else None) for n, c, e, d in rows]
    assert strip(_outcome(forked, cases)) == [(n, c, e, d) for n, c, e, d in _outcome(plain, cases)]
    broken = [e for _, _, e, _ in _outcome(forked, cases) if e]
    assert len(broken) == len([i for i in range(COUNT) if i % 17 == 3])
    assert broken[0] == ["cases/case-003.yaml:4:1: unknown key 'titel'; did you mean 'title'?"]


def test_few_items_or_threads_run_in_process(monkeypatch):
    assert parallel.map_forked(lambda x: os.getpid(), [1, 2]) == [os.getpid()] * 2
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 3)
    assert not parallel.can_fork()
    items = list(range(parallel.MIN_ITEMS * 2))
    assert set(parallel.map_forked(lambda x: os.getpid(), items)) == {os.getpid()}


def _cycles_left(i: int) -> tuple[bool, int]:
    """In a worker: make cyclic garbage, then say whether the collector runs and how much
    of that garbage is still alive."""
    import gc
    import weakref

    class Node:
        pass

    refs = []
    for _ in range(2000):
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
        refs.append(weakref.ref(a))
    del a, b
    if gc.isenabled():
        gc.collect()
    return gc.isenabled(), sum(r() is not None for r in refs)


@pytest.mark.skipif(not parallel.can_fork(), reason="needs fork and 2 cores")
def test_workers_collect_cycles_though_the_parent_paused_the_collector():
    """The site engine pauses the collector for its build; workers inherited that and kept
    every cycle their records made (250 MB a worker at 1,000 cases). The parent's state
    (collector paused, what is frozen) is as it was after the pool."""
    import gc

    frozen = gc.get_freeze_count()  # an in-process serve build earlier in this run froze some
    gc.disable()
    try:
        results = parallel.map_forked(_cycles_left, list(range(parallel.MIN_ITEMS)))
        assert not gc.isenabled() and gc.get_freeze_count() == frozen
    finally:
        gc.enable()
    assert all(enabled and left == 0 for enabled, left in results), results[:3]


def test_release_memory_empties_the_caches():
    """Cache entries made all through a build keep pymalloc arenas from being returned."""
    @functools.lru_cache(maxsize=None)
    def square(x: int) -> int:
        return x * x

    assert [square(i) for i in range(100)] and square.cache_info().currsize == 100
    parallel.release_memory()
    assert square.cache_info().currsize == 0 and square(3) == 9
