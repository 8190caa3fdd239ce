"""Fixtures of the agent tests: a clock advanced by hand, items, real manifests, a cache."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from broadcaster.agent.cache import MediaCache
from broadcaster.agent.playlist import Item, MediaRef
from broadcaster.agent.settings import AgentSettings
from broadcaster.planning.items import Media, PlaylistItem, StationInfo
from tests.agent.hostile import HostileServer
from tests.publish.render import manifest_json

if TYPE_CHECKING:
    from broadcaster.agent.runner import Agent

T0 = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # 10:00 in Hồ Chí Minh City
STATION = StationInfo("TANTIEN-01", "Đài truyền thanh xã Tân Tiến", "commune",
                      "Asia/Ho_Chi_Minh")


class FakeClock:
    """A clock that moves only when waited on (or by ``advance``); waits never block."""

    def __init__(self, start: datetime = T0) -> None:
        self._now = start
        self._mono = 1000.0
        self._lock = threading.Lock()
        self.waits: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.advance(max(0.0, seconds))

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        self.sleep(seconds)
        return event.is_set()

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._mono += (moment - self._now).total_seconds()
            self._now = moment


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def media_ref(data: bytes, ext: str = "mp3", duration_ms: int = 60_000) -> MediaRef:
    sha = hashlib.sha256(data).hexdigest()
    return MediaRef(f"/media/{sha}.{ext}", sha, len(data), duration_ms, ext)


def make_item(item_id: str, start_s: float, end_s: float, priority: str = "normal",
              offset_ms: int = 0, data: bytes | None = None, relay_url: str = "",
              title: str = "") -> Item:
    """An item from T0 + start_s to T0 + end_s, with media made of ``data`` (or its id)."""
    media = media_ref(data if data is not None else item_id.encode(),
                      duration_ms=int((end_s - start_s) * 1000) + offset_ms)
    return Item(item_id, title or item_id, T0 + timedelta(seconds=start_s),
                T0 + timedelta(seconds=end_s), priority, media, offset_ms, relay_url)


def manifest_bytes(items: Sequence[Item], publication: int = 1) -> bytes:
    """The server's own ``playlist.json`` for these items (through broadcaster.publish.formats)."""
    playlist = [PlaylistItem(i.id, i.title, i.start, i.end, i.priority,
                             Media(i.media.sha256, i.media.ext, i.media.bytes,
                                   i.media.duration_ms), i.offset_ms, relay_url=i.relay_url)
                for i in items]
    return manifest_json(STATION, publication, (T0 - timedelta(hours=1), T0 + timedelta(days=2)),
                         playlist, T0 - timedelta(hours=1))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., AgentSettings]:
    """Agent settings with a cache and a file sink in tmp_path, and an unreachable server."""
    token = tmp_path / "token"
    token.write_text("secret-token\n")

    def make(**overrides: Any) -> AgentSettings:
        values: dict[str, Any] = {
            "server": "http://127.0.0.1:9", "station": "TANTIEN-01", "token_file": token,
            "cache": tmp_path / "cache", "player": "file", "sink_dir": tmp_path / "sink",
            "backoff_min_s": 0.05, "backoff_max_s": 0.2, "timeout_s": 5.0}
        return AgentSettings(**(values | overrides))

    return make


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    """A station server on loopback that answers as the test says (tests/agent/hostile.py)."""
    server = HostileServer().start()
    yield server
    server.stop()


def media_bytes(item: Item) -> bytes:
    return item.id.encode()


def stage(settings: AgentSettings, items: Sequence[Item], with_media: Sequence[Item] = (),
          publication: int = 1, agent: Agent | None = None) -> None:
    """A cache as a previous run (or the fetcher of ``agent``) left it: the playlist, and the
    media of ``with_media``."""
    cache_dir = settings.cache_dir
    cache_dir.mkdir(parents=True, exist_ok=True)
    (cache_dir / "playlist.json").write_bytes(manifest_bytes(items, publication))
    cache = agent.cache if agent is not None else MediaCache(cache_dir)
    for item in with_media:
        part = cache.part_path(item.media)
        part.write_bytes(media_bytes(item))
        cache.adopt(part, item.media)
