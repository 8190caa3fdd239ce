"""Live relays with the file player and a real clock: a live stream on a local socket that
keeps going, drops, or is not there at all."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from broadcaster.agent.cache import MediaCache
from broadcaster.agent.clock import SystemClock
from broadcaster.agent.players import build_player
from broadcaster.agent.playlist import Item
from broadcaster.agent.relay import RelayPlayback
from tests.agent.conftest import media_ref


class Stream(BaseHTTPRequestHandler):
    """``/live``: 1 kB every 50 ms for ever; ``/drop``: three blocks then the end."""

    connections: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Stream.connections.append(self.path)
        if self.path not in ("/live", "/drop"):
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        blocks = 3 if self.path == "/drop" else 10_000
        try:
            for _ in range(blocks):
                self.wfile.write(b"\xff" * 1024)
                self.wfile.flush()
                time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def radio() -> Iterator[str]:
    Stream.connections = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stream)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def relay_item(url: str, seconds: float) -> Item:
    start = datetime.now(UTC)
    return Item("vov@X#1.1", "Tiếp sóng VOV1", start, start + timedelta(seconds=seconds),
                "normal", media_ref(b"recorded programme", duration_ms=60_000), 0, url)


def play(settings: Any, item: Item, recorded: Path | None) -> tuple[RelayPlayback,
                                                                    list[dict[str, Any]]]:
    clock = SystemClock()
    playback = RelayPlayback(build_player(settings, clock), item, item.end, clock,
                             lambda: recorded, retries=2, retry_s=0.1)
    deadline = time.monotonic() + item_s(item) + 20
    while playback.running():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    playback.stop("ended")
    lines = [json.loads(line) for line in
             (settings.sink_dir / "plays.jsonl").read_text().splitlines()]
    return playback, lines


def item_s(item: Item) -> float:
    return (item.end - item.start).total_seconds()


def recorded_file(settings: Any) -> Path:
    cache = MediaCache(settings.cache_dir)
    ref = media_ref(b"recorded programme", duration_ms=60_000)
    cache.part_path(ref).write_bytes(b"recorded programme")
    return cache.adopt(cache.part_path(ref), ref)


def test_a_live_stream_plays_for_its_slot(make_settings, radio: str) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    playback, lines = play(settings, relay_item(radio + "/live", 3.0), None)
    assert [(line["event"], line["source"]) for line in lines] == [("start", "stream"),
                                                                   ("stop", "stream")]
    assert lines[0]["url"] == radio + "/live" and playback.error == ""
    assert (settings.sink_dir / "vov@X#1.1.stream").stat().st_size > 10_000
    assert Stream.connections == ["/live"]


def test_a_dropped_stream_reconnects_then_falls_back_to_the_recording(  # type: ignore[no-untyped-def]
        make_settings, radio: str) -> None:
    settings = make_settings()
    recorded = recorded_file(settings)
    # Three connections of 0.15 s and two pauses of 0.1 s: the slot leaves room for a slow,
    # loaded machine (its last seconds are the recording's).
    playback, lines = play(settings, relay_item(radio + "/drop", 8.0), recorded)
    events = [(line["event"], line["source"], line.get("outcome")) for line in lines]
    assert events == [("start", "stream", None), ("stop", "stream", "dropped")] * 3 + [
        ("start", "recorded", None), ("stop", "recorded", "ended")]
    assert Stream.connections == ["/drop"] * 3  # the first try and two reconnects
    assert lines[-1]["sha256"] == recorded.name.split(".")[0] and lines[-1]["offset_s"] > 0
    assert "live stream from 0." in playback.describe()
    assert "recorded fallback from" in playback.describe()


def test_an_unreachable_stream_without_a_recording_fails(make_settings, radio: str) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    playback, lines = play(settings, relay_item(radio + "/nothing-here", 6.0), None)
    assert [line["source"] for line in lines] == ["stream"] * 6
    assert "could not be reached" in playback.error and "not in the cache" in playback.error
