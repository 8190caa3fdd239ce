"""The publication in force, as the web app sees it, and the wait for it to change.

``publications/current`` is a symlink that ``publish`` (in this or another process) swaps
atomically. :class:`PublicationWatcher` compares its target with the last one seen, on every
request and every ``interval`` seconds in ONE background task; when it moves, the new
``index.json`` is read (in a worker thread) and every long-polling request is woken through one
``asyncio.Condition``. Waiting requests hold no thread, only a suspended coroutine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from broadcaster.publish.publication import read_index, station_folder

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """One publication: its number, folder, per-station digest (ETag) and, for the stations
    it carried over, the publication holding their files."""

    number: int | None = None
    folder: Path | None = None
    digests: Mapping[str, str] = field(default_factory=dict)
    carried: Mapping[str, int] = field(default_factory=dict)

    def digest(self, code: str) -> str | None:
        """The station's digest, or None if there is no publication or it is not in it."""
        return self.digests.get(code)


def _target(root: Path) -> str | None:
    try:
        return os.readlink(root / "current")
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_snapshot(root: Path, target: str | None) -> Snapshot:
    """Read the publication folder ``root/target`` (immutable once written)."""
    if target is None:
        return Snapshot()
    folder = root / target
    index = read_index(folder)
    stations = index["stations"]
    return Snapshot(int(index["number"]), folder,
                    {code: entry["digest"] for code, entry in stations.items()},
                    {code: entry["in"] for code, entry in stations.items() if "in" in entry})


class PublicationWatcher:
    """Follows ``root/current`` and wakes waiters when it moves."""

    def __init__(self, root: Path, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.snapshot = Snapshot()
        self._seen: str | None = None
        self._loaded = False
        self._closing = False
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._reading: tuple[str | None, asyncio.Future[Snapshot]] | None = None

    async def refresh(self) -> Snapshot:
        """The publication in force now (one readlink when nothing changed).

        When it has moved, the new index is read once: the requests arriving meanwhile (a
        thousand stations after an announcement) wait for that one read instead of each
        parsing the same file again (0.3 s a time for a large province).
        """
        target = _target(self.root)
        if self._loaded and target == self._seen:
            return self.snapshot
        if self._reading is None or self._reading[0] != target:
            self._reading = (target, asyncio.ensure_future(self._load(target)))
        return await asyncio.shield(self._reading[1])  # a request gone does not stop the read

    async def _load(self, target: str | None) -> Snapshot:
        try:
            snapshot = await anyio.to_thread.run_sync(read_snapshot, self.root, target)
            if _target(self.root) == target:  # not swapped again while we read
                self.snapshot, self._seen, self._loaded = snapshot, target, True
                async with self._changed:
                    self._changed.notify_all()
            return snapshot
        finally:
            if self._reading is not None and self._reading[1] is asyncio.current_task():
                self._reading = None

    async def wait_change(self, code: str, digest: str, timeout: float) -> Snapshot:
        """Hold until ``code``'s digest is no longer ``digest`` or ``timeout`` seconds pass."""
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(
                    lambda: self._closing or self.snapshot.digest(code) != digest), timeout)
        return self.snapshot

    async def read(self, snapshot: Snapshot, code: str, name: str) -> bytes | None:
        """A station's file in that publication, or None if it has none."""
        if snapshot.folder is None:
            return None
        path = station_folder(snapshot.folder, code, snapshot.carried.get(code)) / name
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except FileNotFoundError:
            return None

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except (OSError, ValueError, KeyError) as exc:
                log.warning("cannot read the publication in force under %s: %s", self.root, exc)
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        """Start the background watch (call from the running event loop)."""
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run(),
                                                             name="publication-watcher")

    async def release(self) -> None:
        """Answer every waiting request now (shutting down); new waits return at once."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()

    async def stop(self) -> None:
        """Stop watching and release every waiting request."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.release()
