"""The agent: wiring, and the playback loop that acts on :func:`decide`.

``Agent.run`` verifies the cache, starts the network loops (:mod:`broadcaster.agent.sync`) and
then decides and acts in the calling thread until :meth:`Agent.stop`: it wakes at the next start
or end the decision names, when a new playlist or a downloaded file arrives, and every
:data:`TICK_S` to notice a player that stopped by itself. Playback uses only what is in the
cache, so it goes on while the server is unreachable, until the playlist's window runs out.

An unexpected error in one round of playback is logged with its traceback and counted
(``workers.playback`` in the heartbeat); the loop goes on after a backoff. Between rounds the
loop is the network loops' watchdog (:class:`broadcaster.agent.workers.Watchdog`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from broadcaster.agent.cache import MediaCache
from broadcaster.agent.client import Backoff, ServerClient
from broadcaster.agent.clock import Clock, SystemClock
from broadcaster.agent.decide import (
    MIN_PLAY,
    Cue,
    Decision,
    Missed,
    Playing,
    Stop,
    View,
    decide,
    offset_at,
)
from broadcaster.agent.players import Playback, Player, Track, build_player
from broadcaster.agent.playlist import Item, ManifestError, parse_time
from broadcaster.agent.queue import PlayEntry, ReportQueue, iso
from broadcaster.agent.relay import RelayPlayback
from broadcaster.agent.settings import AgentSettings, read_token
from broadcaster.agent.state import REPORTS, STATE_EVERY_S, read_state, write_state
from broadcaster.agent.sync import Fetcher, Poller, Reporter, Shared, load_saved
from broadcaster.agent.workers import Watchdog

log = logging.getLogger(__name__)

TICK_S = 0.25
PLAYBACK = "playback"
PLAY_BACKOFF = (0.25, 5.0)   # playback retries soon: an item's start is at stake
FORGET_DONE_AFTER = timedelta(days=7)   # reported items older than this are forgotten
FORGET_EVERY_S = 3600.0
SINK_OUTCOME = {"played": "ended", "preempted": "preempted", "failed": "failed"}
AUDIO_SUFFIXES = {".mp3", ".ogg", ".opus", ".wav", ".flac", ".m4a", ".aac"}


@dataclass
class _Current:
    """The item playing now."""

    item: Item
    playback: Playback
    started_at: datetime          # first start (kept across an agent restart)
    offset_ms: int                # where this playback started in the media
    resumed: bool = False


def fallback_files(paths: tuple[Path, ...]) -> list[Path]:
    """The fallback playlist: the files given, folders expanded to their audio files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            log.warning("fallback file %s does not exist; left out", path)
    return files


class Agent:
    """One station's agent: keeps its cache in step with the server and plays on time."""

    def __init__(self, settings: AgentSettings, clock: Clock | None = None,
                 player: Player | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.cache_dir = settings.cache_dir
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.player = player or build_player(settings, self.clock)
        self.cache = MediaCache(self.cache_dir)
        self.queue = ReportQueue(self.cache_dir / REPORTS)
        self.done = set(self.queue.done())
        self.shared = Shared(manifest=load_saved(self.cache_dir))
        self._token_cache: tuple[float, str] | None = None
        self.client = ServerClient(settings, self._token, transport)
        self.fillers = fallback_files(settings.fallback)
        self._filler_index = 0
        self.filler: Playback | None = None
        self.current: _Current | None = None
        self.running_since = self.clock.now()
        self.interrupted = self._interrupted_play()
        self._state_written: tuple[Any, ...] | None = None
        self._state_at = 0.0
        self._forgot_at = self.clock.monotonic()
        self._play_backoff = Backoff(*PLAY_BACKOFF)
        self.shared.health.register(PLAYBACK)
        self._check_token_file()

    # -- start-up and shutdown ---------------------------------------------------------------

    def _token(self) -> str:
        """The token, read again when the file changes (a rotated token needs no restart)."""
        assert self.settings.token_file is not None
        path = self.settings.token_file
        try:
            mtime = path.stat().st_mtime
        except OSError:
            mtime = -1.0
        if self._token_cache is None or self._token_cache[0] != mtime:
            self._token_cache = (mtime, read_token(path))
        return self._token_cache[1]

    def _check_token_file(self) -> None:
        """Read the token once at start (a clear error if it cannot be); warn if others may."""
        assert self.settings.token_file is not None
        self._token()
        mode = self.settings.token_file.stat().st_mode
        if mode & 0o077:
            log.warning("the token file %s can be read by other users (mode %o); make it "
                        "readable by the agent's user only: chmod 600 %s",
                        self.settings.token_file, mode & 0o777, self.settings.token_file)

    def _interrupted_play(self) -> dict[str, datetime]:
        """The item the last run was playing when it stopped (to resume or report it)."""
        playing = read_state(self.cache_dir).get("playing") or {}
        try:
            return {playing["item"]: parse_time(playing["started_at"], "state.playing")}
        except (KeyError, TypeError, ValueError, ManifestError):
            return {}

    def stop(self) -> None:
        """Ask :meth:`run` to return (from a signal handler or another thread)."""
        self.shared.stopping.set()
        self.shared.wake_all()

    def run(self) -> None:
        """Verify the cache, start the network loops, play until :meth:`stop`."""
        ready, damaged = self.cache.verify_all()
        log.info("agent for station %s: %d media file(s) verified in %s%s",
                 self.settings.station, ready, self.cache.dir,
                 f"; deleted as damaged: {', '.join(damaged)}" if damaged else "")
        self.queue.forget_done(self.clock.now() - FORGET_DONE_AFTER)
        watchdog = self.watchdog()
        watchdog.start()
        try:
            while not self.shared.stopping.is_set():
                self.play_once()
                watchdog.check()
        finally:
            self._shutdown(watchdog)

    def watchdog(self) -> Watchdog:
        """The network loops in their threads, watched (see :mod:`broadcaster.agent.workers`)."""
        args = (self.settings, self.shared, self.client, self.clock)
        loops = [Poller(*args, cache_dir=self.cache_dir), Fetcher(*args, cache=self.cache),
                 Reporter(*args, queue=self.queue, cache_dir=self.cache_dir, cache=self.cache)]
        return Watchdog(loops, self.shared.health, self.clock, self.shared.stopping,
                        self.settings.backoff_min_s, self.settings.backoff_max_s)

    def _shutdown(self, watchdog: Watchdog | None = None) -> None:
        if self.filler is not None:
            self.filler.stop("stopped")
        if self.current is not None:
            # Not reported: the state file keeps it, and the next start resumes it.
            self.current.playback.stop("stopped")
        self._write_state(self.clock.now(), force=True)
        if watchdog is not None:
            watchdog.join(timeout=1.0)
        self.player.close()
        self.client.close()
        self.queue.close()
        log.info("agent stopped")

    def play_once(self) -> None:
        """One round of playback (:meth:`step`) that no error ends: an unexpected one is
        logged with its traceback, counted, and followed by a backoff."""
        try:
            self.step()
        except Exception as exc:  # the edge of a round: logged, counted, retried
            delay = self._play_backoff.next()
            what = f"{type(exc).__name__}: {exc}"
            log.exception("playback: unexpected error (%s); going on in %.1f s", what, delay)
            self.shared.health.error(PLAYBACK, what)
            self.shared.failed(f"playback: unexpected error ({what})"[:300])
            self.clock.wait(self.shared.stopping, delay)
        else:
            self._play_backoff.reset()

    # -- the playback loop -------------------------------------------------------------------

    def view(self) -> View:
        """What :func:`decide` needs to know about the agent now."""
        playing = None
        if self.current is not None:
            cur = self.current
            playing = Playing(cur.item.id, cur.item.media.sha256, cur.item.end,
                              finished=not cur.playback.running(), error=cur.playback.error)
        return View(playing, self.cache.ready(), frozenset(self.done), self.running_since)

    def step(self) -> Decision:
        """Decide once, act on it, and wait for the next reason to decide."""
        now = self.clock.now()
        manifest = self.shared.manifest
        decision = decide(manifest.items if manifest else (), now, self.view())
        entries = [self._stop_current(decision.stop, now)] if decision.stop else []
        entries += [self._missed(m) for m in decision.missed]
        if decision.play is not None:
            if self.filler is not None:
                self.filler.stop("preempted")
                self.filler = None
            failed = self._start(decision.play, now)
            if failed is not None:
                entries.append(failed)
        self._record(entries)
        if decision.play is not None and self.current is None and not entries:
            return decision  # its media failed the check: decide again at once
        if decision.gap:
            self._fill(now, decision.gap_until)
        self._publish_playing(now)
        self._write_state(now)
        if self.clock.monotonic() - self._forgot_at > FORGET_EVERY_S:
            self._forgot_at = self.clock.monotonic()
            self.queue.forget_done(now - FORGET_DONE_AFTER)
            self.done = set(self.queue.done())
        timeout = TICK_S
        if decision.wake_at is not None:
            timeout = min(timeout, (decision.wake_at - now).total_seconds())
        self.clock.wait(self.shared.wake_play, timeout)
        self.shared.wake_play.clear()
        return decision

    def _record(self, entries: list[PlayEntry]) -> None:
        if not entries:
            return
        try:
            self.queue.add(entries)
        except (sqlite3.Error, OSError) as exc:
            # Playback goes on; these items count as done in memory so they are not retried.
            log.error("the reports of %s cannot be queued in %s (%s); playback goes on, these "
                      "reports are lost", ", ".join(e.item for e in entries), self.queue.path,
                      exc)
        self.done.update(e.item for e in entries)
        for entry in entries:
            log.info("%s %s%s", entry.outcome, entry.item,
                     f" ({entry.detail})" if entry.detail else "")
        self.shared.wake_report.set()

    def _start(self, cue: Cue, now: datetime) -> PlayEntry | None:
        """Start the cue; a report entry when it cannot start at all."""
        item = cue.item
        duration = (cue.until - now).total_seconds()
        try:
            if item.relay_url:
                playback: Playback = RelayPlayback(
                    self.player, item, cue.until, self.clock, lambda: self._recorded(item),
                    self.settings.relay_retries, self.settings.relay_retry_s)
            else:
                if not self.cache.check(item.media):
                    log.warning("%s: media %s failed its check before play; not played, "
                                "fetched again", item.id, item.media.name)
                    self.shared.wake_fetch.set()
                    return None
                playback = self.player.play(Track(
                    item.id, item.title, "media", path=self.cache.path(item.media),
                    sha256=item.media.sha256, scheduled_start=item.start,
                    offset_s=cue.offset_ms / 1000, duration_s=duration))
        except OSError as exc:
            return PlayEntry(item.id, item.start, "failed", now, now,
                             f"the player could not start: {exc}", item.end)
        resumed = item.id in self.interrupted
        started = self.interrupted.pop(item.id, now)
        self.current = _Current(item, playback, started, cue.offset_ms, resumed)
        log.info("playing %s '%s' from %.3f s (scheduled %s, %+.3f s)", item.id, item.title,
                 cue.offset_ms / 1000, iso(item.start), (now - item.start).total_seconds())
        return None

    def _recorded(self, item: Item) -> Path | None:
        return self.cache.path(item.media) if self.cache.check(item.media) else None

    def _stop_current(self, stop: Stop, now: datetime) -> PlayEntry:
        cur = self.current
        assert cur is not None and cur.item.id == stop.item_id
        self.current = None
        cur.playback.stop(SINK_OUTCOME[stop.outcome])
        details = [stop.detail] if stop.detail else []
        if isinstance(cur.playback, RelayPlayback):
            details.append(cur.playback.describe())
        if cur.resumed:
            details.append(f"resumed at {cur.offset_ms / 1000:.1f} s after the agent restarted")
        return PlayEntry(cur.item.id, cur.item.start, stop.outcome, cur.started_at, now,
                         "; ".join(details), cur.item.end)

    def _missed(self, missed: Missed) -> PlayEntry:
        item = missed.item
        started = self.interrupted.pop(item.id, None)
        if started is not None:
            return PlayEntry(item.id, item.start, "failed", started, None,
                             "the agent stopped while it played it", item.end)
        return PlayEntry(item.id, item.start, missed.outcome, None, None, missed.detail,
                         item.end)

    def _fill(self, now: datetime, until: datetime | None) -> None:
        """In a gap: keep the fallback playlist going (silence without one)."""
        if not self.fillers or (self.filler is not None and self.filler.running()):
            return
        if self.filler is not None:
            self.filler.stop("ended")
            self.filler = None
        if until is not None and until - now < MIN_PLAY:
            return
        path = self.fillers[self._filler_index % len(self.fillers)]
        self._filler_index += 1
        try:
            self.filler = self.player.play(Track(
                f"fallback:{path.name}", path.stem, "filler", path=path,
                duration_s=(until - now).total_seconds() if until else None))
        except OSError as exc:
            log.error("fallback file %s cannot be played: %s", path, exc)

    # -- what others see ---------------------------------------------------------------------

    def _publish_playing(self, now: datetime) -> None:
        cur = self.current
        playing: dict[str, Any] = {}
        if cur is not None:
            source = "media"
            if isinstance(cur.playback, RelayPlayback) and cur.playback.sources:
                source = cur.playback.sources[-1][0]
            playing = {"item": cur.item.id, "title": cur.item.title, "source": source,
                       "started_at": iso(cur.started_at),
                       "offset_s": round(offset_at(cur.item, now) / 1000, 3),
                       "sha256": cur.item.media.sha256}
        with self.shared.lock:
            self.shared.playing = playing

    def _write_state(self, now: datetime, force: bool = False) -> None:
        shared = self.shared
        manifest = shared.manifest
        with shared.lock:
            playing, contact, error = dict(shared.playing), shared.last_contact, \
                shared.last_error
        key = (playing.get("item"), playing.get("source"),
               manifest.digest if manifest else None, contact, error,
               shared.health.restarts())
        elapsed = self.clock.monotonic() - self._state_at
        if not force and key == self._state_written and elapsed < STATE_EVERY_S:
            return
        self._state_written, self._state_at = key, self.clock.monotonic()
        try:
            write_state(self.cache_dir, {
                "station": self.settings.station, "server": self.settings.server,
                "pid": os.getpid(), "install_id": self.queue.install_id,
                "updated_at": iso(now), "running_since": iso(self.running_since),
                "publication": manifest.publication if manifest else None,
                "digest": manifest.digest if manifest else "",
                "last_contact": iso(contact), "last_error": error, "playing": playing or None,
                "workers": shared.health.snapshot()})
        except OSError as exc:  # a full disk must not stop playback; tried again later
            log.warning("the state file in %s cannot be written: %s", self.cache_dir, exc)
