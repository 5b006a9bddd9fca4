"""`grandrounds render --out DIR --watch`: a live preview for any engine.

Owns the loop: one `SiteEngine` kept for the whole run, rebuilt when a file it reads
changed (a record, reference file or figure under the cases folder, a template or asset
under the site's templates folder, the source mkdocs.yml), its outputs written through
`export.write`, which rewrites only files whose content changed (atomically), so that
`zensical serve` (or `mkdocs serve`) beside it rebuilds only those pages. A broken record
prints its problems and keeps its last good page, with its errors on top (the engine's
preview mode); a broken config keeps the last good settings. Ctrl-C stops it cleanly
(exit 0).

Changes are found by polling `stat` (mtime, size) every `POLL_SECONDS`, not by watchdog:
no dependency (Zensical does not bring watchdog, MkDocs does), no lost watch when an
editor saves by renaming or a folder is deleted and made again (the livereload problem
the plugin works around), and the same on every file system. A poll stats every file: at
1,000 records with 1,466 figures (2,524 files) it costs ~16 ms of CPU, ~8% of one core at
the 0.2 s interval while idle (benchmarks/bench_watch.py prints it).

It does not decide what the site holds (`site.engine`) or what is written (`export`).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TextIO

from .. import outdir
from ..site.engine import SiteBuild, SiteEngine
from . import export

POLL_SECONDS = 0.2
EXIT_OK, EXIT_PROBLEMS = 0, 1

Stamps = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Target:
    """What to watch and where to write: the command line of `render --watch`."""

    out: Path
    engine: str | None
    config: Path | None
    flags: Mapping[str, Any]
    drafts: bool
    cases_dir: Path
    templates_dir: Path | None


def stamps(target: Target, more: Iterable[Path] = ()) -> Stamps:
    """(mtime, size) of every file the site is made from: everything under the cases
    folder, the templates folder (and `more`: the sessions folder) but hidden files and
    editor backups (`~`), and the config file."""
    found: Stamps = {}
    for folder in (target.cases_dir, target.templates_dir, *more):
        if folder is not None:
            _scan(folder, found)
    if target.config is not None:
        _stamp(target.config, found)
    return found


def _scan(folder: Path, found: Stamps) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        try:
            if entry.is_dir():
                _scan(Path(entry.path), found)
            else:
                info = entry.stat()
                found[entry.path] = (info.st_mtime_ns, info.st_size)
        except OSError:
            continue


def _stamp(path: Path, found: Stamps) -> None:
    try:
        info = path.stat()
    except OSError:
        return
    found[str(path)] = (info.st_mtime_ns, info.st_size)


@dataclass
class Watcher:
    """The engine and the last good settings across rebuilds; `step()` is one round."""

    target: Target
    log: TextIO = field(default_factory=lambda: sys.stderr)
    source: export.Source = field(init=False)
    engine: SiteEngine = field(init=False)
    _seen: Stamps = field(default_factory=dict, init=False)
    _hashes: outdir.HashCache = field(default_factory=outdir.HashCache, init=False)  # files read in earlier rounds
    _config_stamp: tuple[int, int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.source = export.read_source(self.target.config)  # ConfigProblem: the caller reports it
        self._config_stamp = self._stamp_of_config()
        self.engine = SiteEngine(self.target.cases_dir, self.target.templates_dir, self._options(),
                                 sessions_dir=self.source.sessions_dir)

    def _options(self) -> Any:
        return export.render_options(self.source, self.target.flags, include_drafts=self.target.drafts, preview=True)

    def _stamp_of_config(self) -> tuple[int, int] | None:
        found: Stamps = {}
        if self.target.config is not None:
            _stamp(self.target.config, found)
        return next(iter(found.values()), None)

    def changed(self) -> bool:
        """Whether any watched file changed since the last call (the first call: yes)."""
        now = stamps(self.target, (self.source.sessions_dir,))
        changed = now != self._seen
        self._seen = now
        return changed

    def _reconfigure(self) -> None:
        stamp = self._stamp_of_config()
        if stamp == self._config_stamp:
            return
        self._config_stamp = stamp
        try:
            self.source = export.read_source(self.target.config)
        except export.ConfigProblem as exc:
            print(f"{exc} (the last good settings are kept)", file=self.log)
            return
        self.engine.configure(self.target.templates_dir, self._options())

    def step(self) -> tuple[SiteBuild, outdir.Report]:
        """Build (incrementally) and write; `OutputRefused` or `OSError` from the write."""
        self._reconfigure()
        site = self.engine.build()
        for problem in site.problems:
            print(problem, file=self.log)
        report = export.write(self.target.out, site, self.target.engine, self.source, self.engine.options,
                              self.target.cases_dir, self.target.templates_dir, self._hashes)
        return site, report


def run(target: Target, *, poll: float = POLL_SECONDS, log: TextIO | None = None,
        rounds: Callable[[], bool] = lambda: True) -> int:
    """Watch until Ctrl-C (exit 0); `rounds` (tests) says whether to poll once more.
    The first write refused or failing is an error (exit 1); later ones are printed and
    the watch goes on (fixing the cause is picked up by the next change)."""
    log = log or sys.stderr
    try:
        watcher = Watcher(target, log)
    except export.ConfigProblem as exc:
        print(exc, file=log)
        return EXIT_PROBLEMS
    first = True
    try:
        while True:
            if watcher.changed():
                started = time.perf_counter()
                try:
                    site, report = watcher.step()
                except outdir.OutputRefused as exc:
                    for line in exc.lines:
                        print(line, file=log)
                    if first:
                        return EXIT_PROBLEMS
                except OSError as exc:
                    print(f"grandrounds: {exc.filename or target.out}: cannot write ({exc.strerror or exc}); "
                          "fix the cause and save a file to try again", file=log)
                    if first:
                        return EXIT_PROBLEMS
                else:
                    _report(log, site, report, time.perf_counter() - started, first, target)
                first = False
            if not rounds():
                return EXIT_OK
            time.sleep(poll)
    except KeyboardInterrupt:
        print("stopped watching", file=log)
        return EXIT_OK


def _report(log: TextIO, site: SiteBuild, report: outdir.Report, seconds: float, first: bool,
            target: Target) -> None:
    stamp = time.strftime("%H:%M:%S")
    problems = f", {len(site.problems)} problem{'s' if len(site.problems) != 1 else ''}" if site.problems else ""
    print(f"{stamp} {'wrote' if first else 'updated'} {target.out} in {seconds:.2f} s: "
          f"{report.written} written, {report.removed} removed{problems}", file=log)
    if first:
        what = f"`{export.SERVE_COMMAND[target.engine]}` in {target.out}" if target.engine else "your site generator"
        print(f"watching {target.cases_dir}"
              f"{' and ' + str(target.templates_dir) if target.templates_dir and target.templates_dir.is_dir() else ''}"
              f"; run {what} beside it; Ctrl-C stops", file=log)
