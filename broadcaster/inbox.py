"""The inbox: a folder where the province drops summaries; each new or changed one is spoken.

Operators (or another system) copy ``.txt``, ``.md`` or ``.docx`` files into HOME/inbox. Every
scan stores each file that is new or changed since the last scan as a document revision (the
same bytes are a no-op, so a restart that scans everything again stores nothing twice) and
renders its clip for every output profile stations use. A file still being copied (modified in
the last ``settle_s`` seconds) waits for the next scan; one whose modification time is ahead of
this host's clock (a share written by a host whose clock is ahead) is taken once it has stayed
unchanged for ``settle_s`` seconds between scans.

Each file is taken on its own: one that cannot be taken never stops the others. A bad file
(refused by :func:`read_document`, or one that breaks something unforeseen) is logged once with
its name and why, and skipped until it changes (or the next start); an engine failure, or the
database or disk failing, is retried at the next scan. Only regular files are read: a symbolic
link (to /etc/shadow, say), a FIFO or a device with a summary's suffix is refused like a bad
file, never followed or waited on.
"""

from __future__ import annotations

import logging
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from broadcaster.db import Station, transaction
from broadcaster.documents import FORMATS, add_document, get_document, read_document
from broadcaster.errors import DiskFull, EngineError, InputError
from broadcaster.parts import Parts
from broadcaster.speech import Renderer, text_request

log = logging.getLogger(__name__)

Outcome = Literal["new", "revised", "unchanged", "failed", "retry"]


class InboxParts(Parts, Protocol):
    """What the inbox uses: the database, the configuration (default profile, size limit) and
    the renderer (``App`` has them)."""

    @property
    def renderer(self) -> Renderer:
        """The text-to-clip renderer."""


@dataclass(frozen=True)
class InboxResult:
    """What one scan did with one file."""

    path: Path
    outcome: Outcome
    document_id: int | None = None
    clips: tuple[str, ...] = ()
    message: str = ""


class Inbox:
    """Scans one folder; remembers what it has seen (by modification time and size)."""

    def __init__(self, app: InboxParts, folder: Path, settle_s: float = 2.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.folder = folder
        self.settle_s = settle_s
        self.clock = clock
        self._seen: dict[Path, tuple[int, int]] = {}
        self._future: dict[Path, tuple[tuple[int, int], float]] = {}  # mark, first seen at

    def candidates(self) -> list[Path]:
        """Entries that look like summaries (not folders), oldest first; a symbolic link is
        one (to be refused), looked at itself, never where it points."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in self.folder.iterdir():
            if path.name.startswith(".") or path.suffix.lower() not in FORMATS:
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:  # gone since the listing
                continue
            if not stat.S_ISDIR(info.st_mode):
                found.append((info.st_mtime_ns, path.name, path))
        return [path for _, _, path in sorted(found)]

    def scan(self, stop: threading.Event | None = None) -> list[InboxResult]:
        """Store and speak every new or changed file; stop early when ``stop`` is set."""
        self.folder.mkdir(parents=True, exist_ok=True)
        results = []
        for path in self.candidates():
            if stop is not None and stop.is_set():
                break
            try:
                info = path.lstat()
            except FileNotFoundError:
                continue
            mark = (info.st_mtime_ns, info.st_size)
            if self._seen.get(path) == mark or not self._settled(path, mark, info.st_mtime):
                continue
            result = self._take(path)
            if result.outcome != "retry":
                self._seen[path] = mark
            results.append(result)
        return results

    def _settled(self, path: Path, mark: tuple[int, int], mtime: float) -> bool:
        """Unchanged for ``settle_s``: by its modification time, or, when that is ahead of the
        clock, by how long this scanner has seen the same time and size."""
        now = self.clock()
        if now >= mtime:
            return now - mtime >= self.settle_s
        seen = self._future.get(path)
        if seen is None or seen[0] != mark:
            self._future[path] = (mark, now)
            return False
        return now - seen[1] >= self.settle_s

    def _profiles(self) -> list[str]:
        with self.app.sessions() as session:
            used = list(session.scalars(select(Station.profile).distinct()
                                        .order_by(Station.profile)))
        return used or [self.app.config.profile]

    def _take(self, path: Path) -> InboxResult:
        try:
            parsed = read_document(path, self.app.config.max_document_bytes)
            with transaction(self.app.sessions) as session:
                added = add_document(session, parsed)
            with self.app.sessions() as session:
                doc = get_document(session, added.document_id)
                text, speech, revision = doc.current.text, dict(doc.speech), doc.current.id
            clips = []
            profiles = self._profiles()
            for profile in profiles:
                request = text_request(self.app.config, text, profile=profile, speech=speech,
                                       revision_id=revision)
                clips.append(self.app.renderer.render(request).clip.sha256)
        except InputError as exc:
            log.error("inbox: %s: %s; the file is skipped until it changes", path.name, exc)
            return InboxResult(path, "failed", message=str(exc))
        except EngineError as exc:
            log.warning("inbox: %s: cannot speak it now (%s); trying again at the next scan",
                        path.name, exc)
            return InboxResult(path, "retry", message=str(exc))
        except (SQLAlchemyError, OSError, DiskFull) as exc:  # the database or disk, not the file
            log.warning("inbox: %s: cannot store or speak it now (%s); trying again at the "
                        "next scan", path.name, exc)
            return InboxResult(path, "retry", message=str(exc))
        except Exception as exc:  # the edge of one file: the others go on
            log.exception("inbox: %s: failed unexpectedly; the file is skipped until it "
                          "changes", path.name)
            return InboxResult(path, "failed", message=f"{type(exc).__name__}: {exc}")
        if added.status != "unchanged":
            log.info("inbox: %s: %s document %s revision %s, spoken for %s", path.name,
                     added.status, added.document_id, added.revision,
                     ", ".join(profiles))
        return InboxResult(path, added.status, added.document_id, tuple(clips))
