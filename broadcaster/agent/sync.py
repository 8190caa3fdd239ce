"""The agent's three network loops, each in its own thread; playback never waits for them.

- :class:`Poller` long-polls the playlist (``ETag``/``If-None-Match``, ``?wait=``) and saves
  each new one atomically in the cache before anyone uses it.
- :class:`Fetcher` keeps the media of the playlist in the cache, most urgent first; a new
  playlist pauses a running download (it resumes later by ``Range``) so an emergency's file
  goes first. It also deletes media unreferenced for longer than the grace period.
- :class:`Reporter` sends heartbeats and queued proof-of-play entries, oldest first, in batches
  of at most 500, and drops them once the server acknowledged them.

All three back off with jitter on errors and honour ``Retry-After``. No error of one round
stops a loop: network errors and refusals are logged as such, anything unexpected with its
traceback, and the loop goes on after its backoff (:meth:`_Loop.once`); the watchdog
(:mod:`broadcaster.agent.workers`) starts again a thread that stopped all the same.
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
from broadcaster.agent.client import Backoff, Refused, ServerClient, ServerUnavailable, TooLarge
from broadcaster.agent.clock import Clock
from broadcaster.agent.fetch import Downloader, MediaFailed, fetch_order
from broadcaster.agent.playlist import Manifest, ManifestError, MediaRef, parse_manifest
from broadcaster.agent.queue import MAX_BATCH, ReportQueue
from broadcaster.agent.settings import AgentSettings
from broadcaster.agent.state import PLAYLIST
from broadcaster.agent.workers import Health
from broadcaster.errors import BroadcasterError
from broadcaster.fsutil import atomic_write_bytes

log = logging.getLogger(__name__)

FETCH_EVERY_S = 5.0
UNHELD_POLL_S = 5.0
REFUSED_INDEX = re.compile(r"\bplays\.(\d+)\.")
REFUSED_ID = re.compile(r"\breport entry (\S+):")
REFUSED_RETRY_S = 60.0
SHOW_REFUSED = 5         # refused items named in the log per playlist


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
    health: Health = field(default_factory=Health)

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
    except (ManifestError, OSError) as exc:
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
        shared.health.register(self.name)

    def run(self) -> None:
        """Run until stopping; no error stops it (see :meth:`once`)."""
        while not self.shared.stopping.is_set():
            delay = self.once()
            if delay:
                self.clock.wait(self.shared.stopping, delay)

    def once(self) -> float:
        """One round, whatever goes wrong in it; the pause before the next round.

        Network errors and refusals are expected and logged as such; anything else is logged
        with its traceback and counted in the heartbeat (``workers``). All back off.
        """
        try:
            delay = self.step()
        except ServerUnavailable as exc:
            delay = self.backoff.next(exc.retry_after)
            self._failed(f"{exc}; retrying in {delay:.0f} s")
        except Refused as exc:
            delay = max(REFUSED_RETRY_S, self.backoff.next())
            self._failed(f"{exc}; retrying in {delay:.0f} s")
        except (BroadcasterError, OSError) as exc:  # the token file, the cache folder
            delay = self.backoff.next()
            self._failed(f"{exc}; retrying in {delay:.0f} s")
        except Exception as exc:  # the edge of a round: logged, counted, retried
            delay = self.backoff.next()
            what = f"{type(exc).__name__}: {exc}"
            log.exception("%s: unexpected error (%s); retrying in %.1f s", self.name, what,
                          delay)
            self.shared.failed(f"{self.name}: unexpected error ({what})"[:300])
            self.shared.health.error(self.name, what)
        else:
            self.backoff.reset()
        return delay

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
        keeping = f"keeping publication {held.publication}" if held else "none held yet"
        asked = self.clock.monotonic()
        try:
            answer = self.client.playlist(held.digest if held else None, self.settings.wait_s)
        except TooLarge as exc:
            raise TooLarge(f"{exc}; {keeping}") from None
        self.shared.contact(self.clock.now())
        if answer.body is None:
            # Unchanged. A proxy that answers 304 without holding the request must not make
            # this a busy loop.
            held_s = self.clock.monotonic() - asked
            return UNHELD_POLL_S if held_s < min(1.0, self.settings.wait_s / 2) else 0.0
        try:
            manifest = parse_manifest(answer.body)
        except ManifestError as exc:
            raise ServerUnavailable(f"the server sent a playlist the agent cannot use ({exc}); "
                                    f"{keeping}") from None
        if held is not None and manifest.digest == held.digest:
            return 0.0
        self._refused(manifest)
        try:
            atomic_write_bytes(self.cache_dir / PLAYLIST, answer.body)
        except OSError as exc:
            # Play it all the same (it may carry an emergency); a restart uses the old one.
            log.error("publication %d could not be saved in %s (%s); it is used from memory",
                      manifest.publication, self.cache_dir, exc)
        with self.shared.lock:
            self.shared.manifest = manifest
        log.info("publication %d received: %d item(s), digest %s", manifest.publication,
                 len(manifest.items), manifest.digest[:12])
        for event in (self.shared.new_playlist, self.shared.wake_fetch, self.shared.wake_play,
                      self.shared.wake_report):
            event.set()
        return 0.0


    @staticmethod
    def _refused(manifest: Manifest) -> None:
        if not manifest.refused:
            return
        more = len(manifest.refused) - SHOW_REFUSED
        log.error("publication %d: %d item(s) left out, the others play: %s%s",
                  manifest.publication, len(manifest.refused),
                  "; ".join(manifest.refused[:SHOW_REFUSED]),
                  f"; and {more} more" if more > 0 else "")


@dataclass
class _Retry:
    """A media file that failed: not tried again before ``due`` (monotonic seconds)."""

    backoff: Backoff
    due: float = 0.0


class Fetcher(_Loop):
    """Downloads the playlist's media, most urgent first; deletes what is no longer named."""

    name = "media"

    def __init__(self, *args: Any, cache: MediaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache = cache
        self.downloader = Downloader(self.client, cache, self.clock,
                                     self.settings.max_bytes_per_s)
        self.failing: dict[str, _Retry] = {}   # by sha256
        self._order: list[MediaRef] = []
        self._position = 0

    def step(self) -> float:
        self.shared.new_playlist.clear()
        manifest = self.shared.manifest
        if manifest is not None:
            now = self.clock.now()
            self._order = fetch_order(manifest.items, now)
            wanted = {m.sha256 for m in self._order}
            self.failing = {sha: r for sha, r in self.failing.items() if sha in wanted}
            for position, media in enumerate(self._order):
                self._position = position
                if self.shared.stopping.is_set() or self.shared.new_playlist.is_set():
                    return 0.0  # a new playlist: start again with its order
                retry = self.failing.get(media.sha256)
                if retry is not None and retry.due > self.clock.monotonic():
                    continue  # its own backoff; the others go on
                if self.cache.check(media):
                    self.failing.pop(media.sha256, None)
                    continue
                try:
                    got = self.downloader.fetch(media, self._interrupted)
                except MediaFailed as exc:
                    self._file_failed(media, str(exc))
                    continue
                if not got:
                    return 0.0  # paused for a more urgent file: start again
                self.failing.pop(media.sha256, None)
                self.shared.wake_play.set()
            self.cache.collect(manifest.media(), now,
                               timedelta(hours=self.settings.media_grace_hours))
        self.clock.wait(self.shared.wake_fetch, self._pause())
        self.shared.wake_fetch.clear()
        return 0.0

    def _file_failed(self, media: MediaRef, message: str) -> None:
        retry = self.failing.setdefault(media.sha256, _Retry(Backoff(
            self.settings.backoff_min_s, self.settings.backoff_max_s)))
        delay = retry.backoff.next()
        retry.due = self.clock.monotonic() + delay
        self._failed(f"{message}; this file is tried again in {delay:.0f} s, the others go on")

    def _pause(self) -> float:
        """Until the next round: :data:`FETCH_EVERY_S`, or sooner when a failed file is due."""
        if not self.failing:
            return FETCH_EVERY_S
        soonest = min(r.due for r in self.failing.values()) - self.clock.monotonic()
        return max(0.0, min(FETCH_EVERY_S, soonest))

    def _interrupted(self) -> bool:
        """Pause the download: stopping, a new playlist, or a more urgent failed file is due."""
        if self.shared.stopping.is_set() or self.shared.new_playlist.is_set():
            return True
        now = self.clock.monotonic()
        return any((retry := self.failing.get(m.sha256)) is not None and retry.due <= now
                   for m in self._order[:self._position])


class Reporter(_Loop):
    """Sends heartbeats and proof of play; drops entries the server acknowledged."""

    name = "reports"

    def __init__(self, *args: Any, queue: ReportQueue, cache_dir: Path,
                 cache: MediaCache | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue, self.cache_dir, self.cache = queue, cache_dir, cache
        self.batch = MAX_BATCH          # halved when the server finds a report too large
        self.plain_for: str | None = None  # digest whose heartbeat the server refused

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
        if manifest is not None and manifest.refused:
            playing["items_refused"] = len(manifest.refused)
        # Whether the agent limps: unexpected errors and restarts of its workers.
        playing |= {"workers": self.shared.health.snapshot(),
                    "restarts": self.shared.health.restarts()}
        beat: dict[str, Any] = {"agent_version": __version__,
                                "disk_free_bytes": shutil.disk_usage(self.cache_dir).free,
                                "playing": playing}
        if manifest is not None:
            beat |= {"publication": manifest.publication, "digest": manifest.digest}
        return beat

    def _body(self, batch: list[dict[str, Any]]) -> dict[str, Any]:
        held = self.shared.manifest.digest if self.shared.manifest is not None else ""
        if self.plain_for == held:
            return {"plays": batch}  # the server counts it as contact all the same
        self.plain_for = None
        return {"heartbeat": self.heartbeat(), "plays": batch}

    def step(self) -> float:
        batch = self.queue.pending(self.batch)
        body = self._body(batch)
        try:
            answer = self.client.report(body)
        except Refused as exc:
            if not self._refused(exc, batch, "heartbeat" in body):
                raise
            return 0.0
        self.shared.contact(self.clock.now())
        self.batch = min(MAX_BATCH, self.batch * 2)
        sent = [str(p["id"]) for p in batch]
        received, duplicates = _count(answer.get("received")), _count(answer.get("duplicates"))
        last_id = answer.get("last_id")
        dropped = self.queue.acknowledge(sent, last_id if isinstance(last_id, str) else None,
                                         received + duplicates >= len(sent))
        if batch:
            log.info("reported %d play(s) (%d new); %d acknowledged", len(batch), received,
                     dropped)
        if self.queue.count():
            return 0.0  # more to send: go on at once
        self.clock.wait(self.shared.wake_report, self.settings.heartbeat_s)
        self.shared.wake_report.clear()
        # Let entries that arrive together (a stop and a start) go in one report.
        self.clock.wait(self.shared.stopping, 0.2)
        return 0.0

    def _refused(self, exc: Refused, batch: list[dict[str, Any]], with_beat: bool) -> bool:
        """Get past a refusal that one part of the report caused; False when it cannot."""
        if exc.status == 413 and len(batch) > 1:
            self.batch = max(1, len(batch) // 2)
            log.warning("reports: the server found a report of %d entries too large (%s); "
                        "sending %d at a time", len(batch), exc, self.batch)
            return True
        entry = refused_entry(str(exc), batch) if exc.status == 422 else None
        if entry is not None or (exc.status == 413 and batch and not with_beat):
            # One entry the server will never take must not hold up the others.
            entry = entry or batch[0]
            self.queue.reject(str(entry["id"]), str(exc))
            log.error("report entry %s refused by the server and set aside: %s",
                      entry["id"], exc)
            return True
        if exc.status in (413, 422) and with_beat:
            # A heartbeat the server will not take must not hold up the proof of play.
            manifest = self.shared.manifest
            self.plain_for = manifest.digest if manifest is not None else ""
            log.error("reports: the server refused the heartbeat (%s); reports go without "
                      "one until the next publication", exc)
            return True
        return False


def _count(value: Any) -> int:
    """A count from the server's answer (0 when it is not a whole number >= 0)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else 0


def refused_entry(message: str, batch: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The entry a 422 answer names (``plays.3.outcome: ...`` or ``report entry ID: ...``)."""
    if (index := REFUSED_INDEX.search(message)) and int(index.group(1)) < len(batch):
        return batch[int(index.group(1))]
    if named := REFUSED_ID.search(message):
        return next((e for e in batch if e["id"] == named.group(1)), None)
    return None
