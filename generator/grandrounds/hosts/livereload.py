"""Live reload that hears a save at once and survives a watched folder being deleted and
made again (MkDocs `serve`).

Owns `use_native_observer` (the platform's file-event observer in place of livereload's
polling one), `FolderWatch` and `request_rebuild`, which the plugin's `on_serve` uses for
the templates folder and a cases folder outside docs_dir. It knows livereload's internals
(`observer`, `_rebuild_cond`, `_want_rebuild` of MkDocs 1.6 and ProperDocs) and watchdog's
observer (`_handlers`), nothing of grandrounds.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.grandrounds")


def use_native_observer(server: Any) -> bool:
    """Swap livereload's `PollingObserver` for the platform's native one (inotify on Linux,
    FSEvents on macOS, ReadDirectoryChangesW on Windows), with every watch scheduled so far,
    and start it. Call it before `server.serve()` (which then finds it running).

    Why: the polling observer looks at the watched folders every 0.5 s, so a save waited
    0.25 s on average (up to 0.5 s) before the rebuild began; a native observer hears it
    within milliseconds. It is told only of changes, never of a file opened or read (the
    build reads every record, and a read must not ask for another build). Where it cannot
    start (no inotify, its limits reached, a watchdog before 7.0, whose watch on a file
    follows the file an editor's save replaces), polling stays, as MkDocs has it. Returns
    whether the native observer is in use."""
    from watchdog.observers import Observer
    from watchdog.observers.polling import PollingObserver

    old = getattr(server, "observer", None)
    if not isinstance(old, PollingObserver) or old.is_alive() or issubclass(Observer, PollingObserver):
        return False
    new = None
    try:
        watches = [(w.raw_path, w.is_recursive, hs) for w, hs in old._handlers.items()]  # raw_path: 7.0
        new = _changes_only(Observer)(timeout=old.timeout)
        for path, recursive, handlers in watches:
            for handler in handlers:
                new.schedule(handler, path, recursive=recursive)
        new.start()
    except (OSError, TypeError, AttributeError) as exc:  # inotify's limits, an old watchdog
        if new is not None:
            new.stop()
        log.info(f"grandrounds: file events unavailable ({exc}); livereload keeps polling every 0.5 s")
        return False
    server.observer = new
    return True


def _changes_only(native: type) -> type:
    """The native observer class, scheduling every watch for changes only, and started once
    (livereload starts it again)."""
    from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirModifiedEvent, DirMovedEvent,
                                 FileClosedEvent, FileCreatedEvent, FileDeletedEvent, FileModifiedEvent,
                                 FileMovedEvent)

    changes = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
               DirCreatedEvent, DirDeletedEvent, DirMovedEvent, DirModifiedEvent]

    class ChangesObserver(native):  # type: ignore[misc, valid-type]
        def schedule(self, event_handler: Any, path: Any, *, recursive: bool = False,
                     event_filter: Any = None, **kwargs: Any) -> Any:
            return super().schedule(event_handler, path, recursive=recursive,
                                    event_filter=event_filter or changes, **kwargs)

        def start(self) -> None:
            if not self.is_alive():
                super().start()

    return ChangesObserver


class FolderWatch:
    """Livereload's watch on a folder that survives the folder being deleted and made again.

    Livereload watches each folder with a watchdog emitter (native or polling), and that
    emitter stops for good when its folder disappears; so after `templates/` was deleted and
    restored, no template edit reloaded the preview. This adds a handler to the folder's
    own watch and a non-recursive watch on its parent (which sees the folder come and go).
    When the folder is seen deleted or moved away, or is present while its watch is not
    (or its emitter stopped), livereload's watch is dropped and added again and a rebuild
    is requested (the templates in use changed: the package's while the folder is gone).
    """

    def __init__(self, server: Any, folder: Path) -> None:
        from watchdog.events import FileSystemEventHandler

        self.server = server
        self.folder = os.path.abspath(folder)
        self.watched = False  # our livereload watch on the folder is registered
        self.handler = FileSystemEventHandler()
        self.handler.on_any_event = self._on_event  # type: ignore[method-assign]

    def start(self) -> None:
        parent = os.path.dirname(self.folder)
        if os.path.isdir(parent):
            self.server.observer.schedule(self.handler, parent, recursive=False)
        self._arm()

    def _on_event(self, event: Any) -> None:
        gone = (event.is_directory and event.event_type in ("deleted", "moved")
                and os.path.abspath(event.src_path) == self.folder)
        self.check(renew=gone)

    def check(self, renew: bool = False) -> None:
        """Bring the folder's watch in line with the folder (runs in watchdog's one
        dispatch thread). `renew`: the folder was seen going, so its emitter is stopping."""
        present = os.path.isdir(self.folder)
        if self.watched and present and not renew and not self._emitter_stopped():
            return  # the usual case: an event in a watched, living folder
        changed = False
        if self.watched:
            self.server.unwatch(self.folder)
            self.watched = False
            changed = True
        if present:
            self._arm()
            changed = True
        if changed:
            request_rebuild(self.server)

    def _arm(self) -> None:
        if self.watched or not os.path.isdir(self.folder):
            return
        self.server.watch(self.folder)
        self.watched = True
        # our handler on the same watch (the same key, so the same emitter): its last
        # event, when the folder goes, is a DirDeletedEvent for the folder itself
        self.server.observer.schedule(self.handler, self.folder, recursive=True)

    def _emitter_stopped(self) -> bool:
        return any(e.watch.path == self.folder and not e.should_keep_running()
                   for e in list(self.server.observer.emitters))


def request_rebuild(server: Any) -> None:
    """Ask livereload for a rebuild, as a changed file in a watched folder does. MkDocs
    1.6 has no public call for it; its watch callback sets `_want_rebuild` under
    `_rebuild_cond`, and so does this (nothing happens if a later MkDocs renamed them)."""
    condition = getattr(server, "_rebuild_cond", None)
    if condition is None or not hasattr(server, "_want_rebuild"):
        return
    with condition:
        server._want_rebuild = True
        condition.notify_all()
