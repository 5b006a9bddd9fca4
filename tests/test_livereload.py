"""`hosts/livereload.py` in process: the native observer that replaces livereload's polling
one hears saves (and only saves), survives an editor's save-by-rename of mkdocs.yml and a
watched folder deleted and made again, and leaves polling in place when it cannot start.
The live `mkdocs serve` tests (test_serve.py) are the end-to-end check."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer
from watchdog.observers.polling import PollingObserver

from grandrounds.hosts import livereload
from grandrounds.hosts.livereload import FolderWatch, use_native_observer

@pytest.fixture
def project(tmp_path: Path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "case.yaml").write_text("title: one\n", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "case.md.j2").write_text("{{ case.title }}\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n", encoding="utf-8")
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path / "site"))
    server.watch(str(tmp_path / "docs"))
    server.watch(str(tmp_path / "mkdocs.yml"))
    yield tmp_path, server
    server.observer.stop()
    if server.observer.is_alive():
        server.observer.join()


def wanted(server: LiveReloadServer, within: float = 3.0) -> bool:
    """Whether a rebuild is asked for within `within` seconds; the request is then cleared."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with server._rebuild_cond:
            if server._want_rebuild:
                server._want_rebuild = False
                return True
        time.sleep(0.01)
    return False


def settle(server: LiveReloadServer) -> None:
    """Let the events of the set-up pass, then clear the request they made."""
    time.sleep(0.3)
    with server._rebuild_cond:
        server._want_rebuild = False


def test_the_native_observer_replaces_polling_with_every_watch(project) -> None:
    root, server = project
    before = {(w.path, w.is_recursive) for w in server.observer._handlers}
    assert isinstance(server.observer, PollingObserver)
    assert use_native_observer(server) is True
    assert not isinstance(server.observer, PollingObserver)
    assert server.observer.is_alive()
    assert {(w.path, w.is_recursive) for w in server.observer._handlers} == before
    server.observer.start()  # what livereload's serve() does next: no error, still running
    assert server.observer.is_alive()


def test_a_save_asks_for_a_rebuild_quickly_and_a_read_does_not(project) -> None:
    root, server = project
    assert use_native_observer(server)
    settle(server)
    record = root / "docs" / "case.yaml"
    record.read_text(encoding="utf-8")  # the build reads every record: no rebuild for that
    assert not wanted(server, within=0.6)
    start = time.monotonic()
    record.write_text("title: two\n", encoding="utf-8")
    assert wanted(server)
    assert time.monotonic() - start < 0.4  # polling waited up to 0.5 s before it looked
    (root / "docs" / "new.yaml").write_text("title: new\n", encoding="utf-8")
    assert wanted(server)
    (root / "docs" / "new.yaml").unlink()
    assert wanted(server)


def test_mkdocs_yml_saved_by_rename_is_heard_every_time(project) -> None:
    root, server = project
    assert use_native_observer(server)
    settle(server)
    for k in range(2):  # an editor writes a new file and renames it over the old one
        tmp = root / f".mkdocs.yml.swp{k}"
        tmp.write_text(f"site_name: t{k}\n", encoding="utf-8")
        assert not wanted(server, within=0.4), "another file of the project folder is not mkdocs.yml"
        os.replace(tmp, root / "mkdocs.yml")
        assert wanted(server), f"save {k} of mkdocs.yml"


def test_a_watched_folder_deleted_and_made_again_is_watched_again(project) -> None:
    root, server = project
    assert use_native_observer(server)
    FolderWatch(server, root / "templates").start()
    settle(server)
    shutil.rmtree(root / "templates")
    assert wanted(server)
    (root / "templates").mkdir()
    assert wanted(server)
    time.sleep(0.2)
    settle(server)
    (root / "templates" / "case.md.j2").write_text("{{ case.title }}!\n", encoding="utf-8")
    assert wanted(server), "an edit in the restored folder"


def test_polling_stays_where_file_events_cannot_start(project, monkeypatch) -> None:
    root, server = project
    import watchdog.observers

    native = watchdog.observers.Observer

    class Exhausted(native):  # type: ignore[misc, valid-type]
        def start(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", Exhausted)
    polling = server.observer
    assert use_native_observer(server) is False
    assert server.observer is polling and not polling.is_alive()
    server.observer.start()  # livereload's serve(): polling as MkDocs has it
    settle(server)
    (root / "docs" / "case.yaml").write_text("title: three\n", encoding="utf-8")
    assert wanted(server, within=3.0)


def test_a_running_or_native_observer_is_left_alone(project) -> None:
    root, server = project
    assert use_native_observer(server)
    native = server.observer
    assert use_native_observer(server) is False  # already native
    assert server.observer is native
    assert livereload.request_rebuild(server) is None and wanted(server, within=0.1)
