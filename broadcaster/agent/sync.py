"""The agent's three network loops, each in its own thread; playback never waits for them.

- :class:`Poller` long-polls the playlist (``ETag``/``If-None-Match``, ``?wait=``) and saves
  each new one atomically in the cache before anyone uses it.
- :class:`Fetcher` keeps the media of the playlist in the cache, most urgent first; a new
  playlist pauses a running download (it resumes later by ``Range``) so an emergency's file
  goes first. It also deletes media unreferenced for longer than the grace period.
- :class:`Reporter` sends heartbeats and queued proof-of-play entries, oldest first, in batches
  of at most 500, and drops them once the server acknowledged them.

All three back off with jitter on errors and honour ``Retry-After``.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from broadcaster import __version__
from broadcaster.agent.cache import MediaCache
from broadcaster.agent.client import Backoff, Refused, ServerClient, ServerUnavailable
from broadcaster.agent.clock import Clock
from broadcaster.agent.fetch import Downloader, MediaCorrupt, fetch_order
from broadcaster.agent.playlist import Manifest, ManifestError, parse_manifest
from broadcaster.agent.queue import ReportQueue
from broadcaster.agent.settings import AgentSettings
from broadcaster.agent.state import PLAYLIST
from broadcaster.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

FETCH_EVERY_S = 5.0
UNHELD_POLL_S = 5.0
REFUSED_INDEX = re.compile(r"\bplays\.(\d+)\.")
REFUSED_ID = re.compile(r"\breport entry (\S+):")
REFUSED_RETRY_S = 60.0


@dataclass
class Shared:
    """What the threads share. Events wake the loops; the lock guards the fields."""

    manifest: Manifest | None = None
    last_contact: datetime | None = None
    last_error: str = ""
    playing: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)
    wake_play: threading.Event = field(default_factory=threading.Event)
    wake_fetch: threading.Event = field(default_factory=threading.Event)
    wake_report: threading.Event = field(default_factory=threading.Event)
    new_playlist: threading.Event = field(default_factory=threading.Event)

    def contact(self, now: datetime) -> None:
        """The server answered."""
        with self.lock:
            self.last_contact, self.last_error = now, ""

    def failed(self, message: str) -> None:
        """A request failed; keep the message for the state file."""
        with self.lock:
            self.last_error = message

    def wake_all(self) -> None:
        """Wake every loop (used when stopping)."""
        for event in (self.wake_play, self.wake_fetch, self.wake_report, self.new_playlist):
            event.set()


def load_saved(cache: Path) -> Manifest | None:
    """The playlist saved by the last run, if it is readable."""
    try:
        return parse_manifest((cache / PLAYLIST).read_bytes())
    except FileNotFoundError:
        return None
    except ManifestError as exc:
        log.error("the saved playlist %s cannot be used (%s); waiting for the server",
                  cache / PLAYLIST, exc)
        return None


class _Loop:
    """A loop that retries with backoff and stops when ``shared.stopping`` is set."""

    name = "loop"

    def __init__(self, settings: AgentSettings, shared: Shared, client: ServerClient,
                 clock: Clock, rng: Callable[[], float] | None = None) -> None:
        self.settings, self.shared, self.client, self.clock = settings, shared, client, clock
        self.backoff = Backoff(settings.backoff_min_s, settings.backoff_max_s,
                               *([rng] if rng else []))

    def run(self) -> None:
        """Run until stopping; errors are logged, recorded and retried later."""
        while not self.shared.stopping.is_set():
            try:
                delay = self.step()
                self.backoff.reset()
            except ServerUnavailable as exc:
                delay = self.backoff.next(exc.retry_after)
                self._failed(f"{exc}; retrying in {delay:.0f} s")
            except Refused as exc:
                delay = max(REFUSED_RETRY_S, self.backoff.next())
                self._failed(f"{exc}; retrying in {delay:.0f} s")
            if delay:
                self.clock.wait(self.shared.stopping, delay)

    def _failed(self, message: str) -> None:
        log.warning("%s: %s", self.name, message)
        self.shared.failed(message)

    def step(self) -> float:
        """One round; how long to pause before the next."""
        raise NotImplementedError


class Poller(_Loop):
    """Long-polls the playlist and saves each new one in the cache."""

    name = "playlist"

    def __init__(self, *args: Any, cache_dir: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_dir = cache_dir

    def step(self) -> float:
        held = self.shared.manifest
        asked = self.clock.monotonic()
        answer = self.client.playlist(held.digest if held else None, self.settings.wait_s)
        self.shared.contact(self.clock.now())
        if answer.body is None:
            # Unchanged. A proxy that answers 304 without holding the request must not make
            # this a busy loop.
            held_s = self.clock.monotonic() - asked
            return UNHELD_POLL_S if held_s < min(1.0, self.settings.wait_s / 2) else 0.0
        try:
            manifest = parse_manifest(answer.body)
        except ManifestError as exc:
            raise Refused(200, f"the server sent a playlist the agent cannot use: {exc}"
                          ) from None
        if held is not None and manifest.digest == held.digest:
            return 0.0
        atomic_write_bytes(self.cache_dir / PLAYLIST, answer.body)
        with self.shared.lock:
            self.shared.manifest = manifest
        log.info("publication %d received: %d item(s), digest %s", manifest.publication,
                 len(manifest.items), manifest.digest[:12])
        for event in (self.shared.new_playlist, self.shared.wake_fetch, self.shared.wake_play,
                      self.shared.wake_report):
            event.set()
        return 0.0


class Fetcher(_Loop):
    """Downloads the playlist's media, most urgent first; deletes what is no longer named."""

    name = "media"

    def __init__(self, *args: Any, cache: MediaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = cache
        self.downloader = Downloader(self.client, cache, self.clock,
                                     self.settings.max_bytes_per_s)

    def step(self) -> float:
        self.shared.new_playlist.clear()
        manifest = self.shared.manifest
        if manifest is not None:
            now = self.clock.now()
            for media in fetch_order(manifest.items, now):
                if self.shared.stopping.is_set() or self.shared.new_playlist.is_set():
                    return 0.0  # a new playlist: start again with its order
                if self.cache.check(media):
                    continue
                try:
                    got = self.downloader.fetch(media, self._interrupted)
                except MediaCorrupt as exc:
                    raise ServerUnavailable(str(exc)) from None
                if not got:
                    return 0.0
                self.shared.wake_play.set()
            self.cache.collect(manifest.media(), now,
                               timedelta(hours=self.settings.media_grace_hours))
        self.clock.wait(self.shared.wake_fetch, FETCH_EVERY_S)
        self.shared.wake_fetch.clear()
        return 0.0

    def _interrupted(self) -> bool:
        return self.shared.stopping.is_set() or self.shared.new_playlist.is_set()


class Reporter(_Loop):
    """Sends heartbeats and proof of play; drops entries the server acknowledged."""

    name = "reports"

    def __init__(self, *args: Any, queue: ReportQueue, cache_dir: Path,
                 cache: MediaCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue, self.cache_dir, self.cache = queue, cache_dir, cache

    def heartbeat(self) -> dict[str, Any]:
        """The station's state for the server (see the station protocol)."""
        manifest = self.shared.manifest
        with self.shared.lock:
            playing = dict(self.shared.playing)
        if manifest is not None and self.cache is not None:
            # How much of the playlist's media is in the cache, verified (the province's
            # stations page shows it).
            wanted = {item.media.sha256 for item in manifest.items}
            playing |= {"media_ready": len(wanted & self.cache.ready()),
                        "media_total": len(wanted)}
        beat: dict[str, Any] = {"agent_version": __version__,
                                "disk_free_bytes": shutil.disk_usage(self.cache_dir).free,
                                "playing": playing}
        if manifest is not None:
            beat |= {"publication": manifest.publication, "digest": manifest.digest}
        return beat

    def step(self) -> float:
        batch = self.queue.pending()
        try:
            answer = self.client.report({"heartbeat": self.heartbeat(), "plays": batch})
        except Refused as exc:
            entry = refused_entry(str(exc), batch) if exc.status == 422 else None
            if entry is None:
                raise
            # One entry the server will never take must not hold up the others.
            self.queue.reject(str(entry["id"]), str(exc))
            log.error("report entry %s refused by the server and set aside: %s",
                      entry["id"], exc)
            return 0.0
        self.shared.contact(self.clock.now())
        sent = [str(p["id"]) for p in batch]
        stored = int(answer.get("received", 0)) + int(answer.get("duplicates", 0))
        dropped = self.queue.acknowledge(sent, answer.get("last_id"), stored >= len(sent))
        if batch:
            log.info("reported %d play(s) (%d new); %d acknowledged", len(batch),
                     answer.get("received", 0), dropped)
        if self.queue.count():
            return 0.0  # more to send: go on at once
        self.clock.wait(self.shared.wake_report, self.settings.heartbeat_s)
        self.shared.wake_report.clear()
        # Let entries that arrive together (a stop and a start) go in one report.
        self.clock.wait(self.shared.stopping, 0.2)
        return 0.0


def refused_entry(message: str, batch: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The entry a 422 answer names (``plays.3.outcome: ...`` or ``report entry ID: ...``)."""
    if (index := REFUSED_INDEX.search(message)) and int(index.group(1)) < len(batch):
        return batch[int(index.group(1))]
    if named := REFUSED_ID.search(message):
        return next((e for e in batch if e["id"] == named.group(1)), None)
    return None
