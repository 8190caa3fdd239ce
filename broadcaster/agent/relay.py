"""Live relay items: the stream for the slot, reconnects on drops, then the recorded fallback.

A relay item carries ``relay.url`` (the live stream) and ``media`` (a recording of the same
programme). :class:`RelayPlayback` plays the stream until the slot ends; when it drops it
reconnects after ``relay_retry_s``, at most ``relay_retries`` times in a row (a connection that
held :data:`STABLE_S` seconds resets the count); after that, or when the stream cannot be
reached at all, it plays the recording from the position the slot has reached, if the
recording is verified in the cache. What was played is kept in :attr:`sources` and summed up
in :meth:`describe` for the proof-of-play report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from broadcaster.agent.clock import Clock
from broadcaster.agent.decide import offset_at
from broadcaster.agent.players import Playback, Player, Track
from broadcaster.agent.playlist import Item

log = logging.getLogger(__name__)

STABLE_S = 10.0
POLL_S = 0.2


class RelayPlayback(Playback):
    """The live stream of ``item`` until ``until``, with reconnects and the recorded fallback."""

    def __init__(self, player: Player, item: Item, until: datetime, clock: Clock,
                 recorded: Callable[[], Path | None], retries: int = 3,
                 retry_s: float = 2.0) -> None:
        self.player, self.item, self.until, self.clock = player, item, until, clock
        self.recorded, self.retries, self.retry_s = recorded, retries, retry_s
        self.sources: list[tuple[str, datetime]] = []
        self._error = ""
        self._outcome = "stopped"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"relay {item.id}")
        self._thread.start()

    # -- Playback ----------------------------------------------------------------------------

    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def error(self) -> str:
        return self._error

    def stop(self, outcome: str = "stopped") -> None:
        self._outcome = outcome
        self._stop.set()
        self._thread.join(timeout=5)

    def describe(self) -> str:
        """What played, e.g. ``stream from 0.0 s; recorded fallback from 31.5 s``."""
        return "; ".join(f"{'live stream' if source == 'stream' else 'recorded fallback'} "
                         f"from {offset_at(self.item, at) / 1000:.1f} s"
                         for source, at in self.sources)

    # -- the supervisor thread ---------------------------------------------------------------

    def _left(self) -> float:
        return (self.until - self.clock.now()).total_seconds()

    def _hold(self, playback: Playback) -> bool:
        """Wait while ``playback`` runs in the slot; True when the agent stopped it."""
        while playback.running() and not self._stop.is_set() and self._left() > 0:
            self.clock.wait(self._stop, min(POLL_S, max(0.0, self._left())))
        if self._stop.is_set():
            playback.stop(self._outcome)
            return True
        return False

    def _run(self) -> None:
        """The supervisor thread: an unexpected error ends the relay as failed (logged with
        its traceback), never silently."""
        try:
            self._relay()
        except Exception as exc:  # the edge of the thread: logged, and the item fails
            self._error = f"the relay failed: {type(exc).__name__}: {exc}"
            log.exception("relay %s: %s", self.item.id, self._error)

    def _relay(self) -> None:
        failures = 0
        while self._left() > 0.5 and not self._stop.is_set():
            now = self.clock.now()
            self.sources.append(("stream", now))
            began = self.clock.monotonic()
            playback = self.player.play(Track(
                self.item.id, self.item.title, "stream", url=self.item.relay_url,
                scheduled_start=self.item.start, offset_s=offset_at(self.item, now) / 1000,
                duration_s=self._left()))
            if self._hold(playback):
                return
            playback.stop("dropped" if self._left() > 0.5 else "ended")
            if self._left() <= 0.5:
                return
            failures = 0 if self.clock.monotonic() - began >= STABLE_S else failures + 1
            if failures > self.retries:
                break
            log.warning("relay %s: the stream %s stopped (%s); reconnecting in %.0f s",
                        self.item.id, self.item.relay_url, playback.error or "no reason",
                        self.retry_s)
            if self.clock.wait(self._stop, self.retry_s):
                return
        if self._stop.is_set() or self._left() <= 0.5:
            return
        self._fallback()

    def _fallback(self) -> None:
        path = self.recorded()
        if path is None:
            self._error = (f"the stream {self.item.relay_url} could not be reached and the "
                           f"recorded fallback {self.item.media.name} is not in the cache")
            log.error("relay %s: %s", self.item.id, self._error)
            return
        now = self.clock.now()
        log.warning("relay %s: the stream %s cannot be reached; playing the recording",
                    self.item.id, self.item.relay_url)
        self.sources.append(("recorded", now))
        playback = self.player.play(Track(
            self.item.id, self.item.title, "recorded", path=path, sha256=self.item.media.sha256,
            scheduled_start=self.item.start, offset_s=offset_at(self.item, now) / 1000,
            duration_s=self._left()))
        if not self._hold(playback):
            playback.stop("ended")
            self._error = playback.error
