"""The ``file`` player: plays nothing aloud, writes down exactly what it would play.

For tests and dry runs (``--player file --sink-dir DIR``). Every track adds a ``start`` line to
``DIR/plays.jsonl`` (item, title, media sha256, scheduled start, actual start by the agent's
clock, offset, and the sha256 of the bytes of the file handed to it) and a ``stop`` line when it
ends (``ended``, ``preempted``, ...). Media files are copied into DIR (copies, not links: damage
done to the cache later does not reach them), so what "played" can be checked byte for byte.
A live stream
is really read (into ``DIR/ITEM.stream``) until the slot ends or the stream drops, so relays and
their reconnects behave as with a real player.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from broadcaster.agent.cache import sha256_of
from broadcaster.agent.clock import Clock
from broadcaster.agent.players.base import Playback, Player, Track, register
from broadcaster.agent.queue import iso
from broadcaster.fsutil import atomic_copy

if TYPE_CHECKING:
    from broadcaster.agent.settings import AgentSettings  # settings asks this registry

PLAYS = "plays.jsonl"


class _Sink:
    """The JSON-lines file, appended and fsynced one line at a time."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, line: dict[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        with self._lock, (self.folder / PLAYS).open("ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def keep(self, path: Path) -> None:
        target = self.folder / path.name
        if not target.exists():  # whole or not at all: a cut-off copy would stay for good
            atomic_copy(path, target)


class _Play(Playback):
    """A track "playing" in the sink: it lasts its duration by the agent's clock."""

    def __init__(self, player: FilePlayer, track: Track) -> None:
        self.player, self.track = player, track
        self.started = player.clock.now()
        self._begun = player.clock.monotonic()
        self._stopped = False
        self._error = ""
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if track.url:
            self._thread = threading.Thread(target=self._read_stream, daemon=True,
                                            name=f"sink-stream {track.item}")
            self._thread.start()

    def line(self, event: str, **extra: Any) -> dict[str, Any]:
        t = self.track
        return {"event": event, "item": t.item, "title": t.title, "source": t.source,
                "sha256": t.sha256, "url": t.url,
                "scheduled_start": iso(t.scheduled_start), "actual_start": iso(self.started),
                "offset_s": round(t.offset_s, 3), **extra}

    def _read_stream(self) -> None:
        target = self.player.sink.folder / (re.sub(r"[^\w.@#-]", "_", self.track.item)
                                            + ".stream")
        import httpx  # the agent's own dependency: imported late, so settings load without it

        try:
            with httpx.stream("GET", self.track.url, timeout=self.player.settings.timeout_s,
                              follow_redirects=True) as response:
                response.raise_for_status()
                with target.open("ab") as fh:
                    for chunk in response.iter_bytes():
                        fh.write(chunk)
                        if self._done.is_set():
                            return
            if not self._done.is_set():
                self._error = "the stream ended"
        except (httpx.HTTPError, OSError) as exc:
            self._error = f"the stream failed: {exc}"

    def running(self) -> bool:
        if self._stopped or (self._thread is not None and not self._thread.is_alive()):
            return False
        limit = self.track.duration_s
        return limit is None or self.player.clock.monotonic() - self._begun < limit

    @property
    def error(self) -> str:
        return self._error

    def stop(self, outcome: str = "stopped") -> None:
        if self._stopped:
            return
        self._stopped = True
        self._done.set()
        self.player.sink.write(self.line("stop", outcome=outcome,
                                         ended_at=iso(self.player.clock.now()),
                                         **({"error": self._error} if self._error else {})))


@register
class FilePlayer(Player):
    """Writes plays to ``sink_dir/plays.jsonl`` and keeps their media there."""

    NAME = "file"

    def __init__(self, settings: AgentSettings, clock: Clock) -> None:
        super().__init__(settings, clock)
        assert settings.sink_dir is not None, "the file player needs sink_dir"
        self.sink = _Sink(Path(settings.sink_dir))

    def play(self, track: Track) -> Playback:
        """Record the start (and keep the media file); the stop is recorded by ``stop``."""
        playback = _Play(self, track)
        extra = {}
        if track.path is not None:
            extra["file_sha256"] = sha256_of(track.path)
            self.sink.keep(track.path)
        self.sink.write(playback.line("start", **extra))
        return playback
