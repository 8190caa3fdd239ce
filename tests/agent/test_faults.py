"""Stations that must not go deaf: the agent's loops against a server that answers badly.

The agent's real client and loops talk to :class:`tests.agent.hostile.HostileServer` on a
loopback socket: playlists with out-of-range times or fields, answers far too long, media
that are missing or longer than declared, report answers that are not the protocol's. Each
loop must log, back off, keep what it has and go on; one bad file must not hold up the
others.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from broadcaster.agent.cache import MediaCache
from broadcaster.agent.client import ServerClient, ServerUnavailable
from broadcaster.agent.clock import SystemClock
from broadcaster.agent.playlist import Item, parse_manifest
from broadcaster.agent.queue import PlayEntry, ReportQueue
from broadcaster.agent.settings import AgentSettings
from broadcaster.agent.state import format_status, status
from broadcaster.agent.sync import Fetcher, Poller, Reporter, Shared
from tests.agent.conftest import T0, FakeClock, make_item, manifest_bytes, media_ref
from tests.agent.hostile import PLAYLIST_PATH, Answer, HostileServer, json_answer, not_modified
from tests.helpers import wait_for

MiB = 1024 * 1024


def token() -> str:
    return "secret-token"


def spaces(total: int) -> Any:
    """A body of ``total`` bytes made on the fly (never held in memory whole)."""
    def chunks() -> Iterator[bytes]:
        block = b" " * (64 * 1024)
        for _ in range(total // len(block)):
            yield block
    return chunks


class StoppedClock(SystemClock):
    """Real waiting, but the time of day fixed at T0 (which items are due never depends on
    when the test runs)."""

    def now(self) -> datetime:
        return T0


def settings_for(make_settings: Any, hostile: HostileServer, **overrides: Any) -> AgentSettings:
    settings: AgentSettings = make_settings(server=hostile.url, wait_s=1, **overrides)
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    return settings


# -- the playlist loop -------------------------------------------------------------------------

def test_the_playlist_loop_survives_bad_playlists(make_settings, hostile: HostileServer,  # type: ignore[no-untyped-def]
                                                  caplog) -> None:
    caplog.set_level(logging.INFO, logger="broadcaster.agent")
    morning = make_item("sang@X#1.1", 0, 60)
    flood = make_item("lu@X#1.1", 60, 120, "emergency")
    noon = make_item("trua@X#1.1", 120, 180)
    # 1. An out-of-range time in one item (it raised OverflowError and killed the thread).
    first = json.loads(manifest_bytes([morning, flood], publication=1))
    first["items"][0]["end"] = "9999-12-31T23:59:59-01:00"
    # 2. A playlist that cannot be used at all, then 3. one announcing 600 MB.
    broken = json.loads(manifest_bytes([morning, noon], publication=2))
    broken["publication"] = "hai"
    hostile.playlists = [Answer(body=json.dumps(first).encode()),
                         Answer(body=json.dumps(broken).encode()),
                         Answer(body=spaces(8 * MiB), length=600 * MiB),
                         Answer(body=manifest_bytes([morning, flood, noon], publication=3)),
                         not_modified()]
    settings = settings_for(make_settings, hostile, backoff_min_s=0.05, backoff_max_s=0.2)
    shared = Shared()
    poller = Poller(settings, shared, ServerClient(settings, token), SystemClock(),
                    cache_dir=settings.cache_dir)
    held: list[tuple[int, tuple[str, ...]]] = []

    def watch() -> bool:
        manifest = shared.manifest
        if manifest is not None and (not held or held[-1][0] != manifest.publication):
            held.append((manifest.publication, tuple(i.id for i in manifest.items)))
        return manifest is not None and manifest.publication == 3

    thread = threading.Thread(target=poller.run, daemon=True)
    thread.start()
    try:
        wait_for(watch, 30, "publication 3 after the bad answers")
        assert thread.is_alive()
    finally:
        shared.stopping.set()
        thread.join(timeout=10)
    # The bad item was left out, the emergency beside it kept; the bad answers were refused
    # and publication 1 kept until a good one came.
    assert held[0] == (1, (flood.id,))
    assert held[-1] == (3, (morning.id, flood.id, noon.id))
    assert "publication 1: 1 item(s) left out, the others play: items.0 (sang@X#1.1).end: " \
           "'9999-12-31T23:59:59-01:00' is out of range" in caplog.text
    assert "playlist.publication: expected a whole number from 1" in caplog.text
    assert "announced 629145600 bytes, more than the 16777216 the agent accepts; refused " \
           "without reading it; keeping publication 1" in caplog.text
    # Asked again after the normal short backoff, not a minute.
    asked = [at for at, _, path, _ in hostile.requests if path == PLAYLIST_PATH]
    assert len(asked) >= 4 and asked[3] - asked[1] < 10
    assert json.loads((settings.cache_dir / "playlist.json").read_bytes())["publication"] == 3


def test_a_playlist_longer_than_the_limit_is_cut_off(make_settings,  # type: ignore[no-untyped-def]
                                                     hostile: HostileServer) -> None:
    # No Content-Length: the answer ends when the connection closes; the agent stops at its cap.
    hostile.playlists = [Answer(body=spaces(64 * MiB))]
    settings = settings_for(make_settings, hostile)
    client = ServerClient(settings, token, max_playlist_bytes=MiB)
    with pytest.raises(ServerUnavailable, match="longer than the 1048576 bytes the agent "
                                                "accepts; refused after reading"):
        client.playlist(None)
    client.close()
    wait_for(lambda: hostile.busy == 0, 20, "the server to notice the agent hung up")
    assert max(n for path, n in hostile.sent_each) < 32 * MiB  # (buffers hold a few MB)


# -- the media loop ----------------------------------------------------------------------------

def test_one_failing_file_waits_on_its_own_and_emergencies_still_come_first(  # type: ignore[no-untyped-def]
        make_settings, hostile: HostileServer, clock: FakeClock, caplog) -> None:
    flood = make_item("lu@X#1.1", 600, 700, "emergency", data=b"E" * 1000)
    morning = make_item("sang@X#1.1", 100, 200, data=b"A" * 160_000)
    noon = make_item("trua@X#1.1", 200, 300, data=b"B" * 1000)
    names = {item.media.name: item.id.split("@")[0] for item in (flood, morning, noon)}
    hostile.media = {
        # The emergency's file is missing at first (404), then back.
        flood.media.name: [json_answer({"error": "no media file"}, 404),
                           Answer(body=b"E" * 1000)],
        morning.media.name: Answer(body=b"A" * 160_000, ranges=True),
        # Noon's answer is longer than the playlist says: announced, then not announced.
        noon.media.name: [Answer(body=spaces(64 * MiB), length=64 * MiB),
                          Answer(body=spaces(64 * MiB))]}
    # 16 kB/s: the 160 kB file takes ten (fake) seconds, long enough for the emergency's
    # retry to fall due in the middle of it.
    settings = settings_for(make_settings, hostile, backoff_min_s=1, backoff_max_s=60,
                            max_bytes_per_s=16 * 1024)
    shared = Shared(manifest=parse_manifest(manifest_bytes([flood, morning, noon])))
    cache = MediaCache(settings.cache_dir)
    fetcher = Fetcher(settings, shared, ServerClient(settings, token), clock, cache=cache)
    rounds = 0
    while clock.now() < T0.replace(minute=5):   # five minutes of the media loop
        assert fetcher.step() == 0.0             # nothing escapes a round
        rounds += 1
    asked = [(names[path.rsplit("/", 1)[1]], ranged) for _, _, path, ranged in hostile.requests]
    # The emergency first; its retry fell due during the long download, which paused for it
    # and then resumed where it was (Range).
    assert asked[:4] == [("lu", ""), ("sang", ""), ("lu", ""), ("sang", asked[3][1])]
    assert asked[3][1].startswith("bytes=") and asked[3][1] != "bytes=0-"
    assert cache.path(flood.media).read_bytes() == b"E" * 1000
    assert cache.path(morning.media).read_bytes() == b"A" * 160_000
    # Noon's answers were refused, nothing of them kept, and tried again with a growing
    # backoff: a handful of times in five minutes, not every round.
    noon_asked = [a for a in asked if a[0] == "trua"]
    assert 3 <= len(noon_asked) <= 16 and rounds >= 3 * len(noon_asked)
    assert noon.media.sha256 not in cache.ready()
    assert not cache.part_path(noon.media).exists() and not cache.path(noon.media).exists()
    assert f"media {noon.media.name}: the server announced 67108864 bytes from byte 0, more " \
           "than the 1000 bytes the playlist declares; refused" in caplog.text
    assert f"media {noon.media.name}: the server sent more than the 1000 bytes" in caplog.text
    assert "this file is tried again in" in caplog.text
    wait_for(lambda: hostile.busy == 0, 20, "the server to notice the agent hung up")
    # No answer of 64 MB was read to its end (socket buffers hold a few MB).
    assert max(n for path, n in hostile.sent_each if noon.media.name in path) < 32 * MiB


def test_a_missing_file_does_not_stop_the_media_loop(make_settings,  # type: ignore[no-untyped-def]
                                                     hostile: HostileServer) -> None:
    """The finding as seen: a 404 on one file killed the media thread (ResponseNotRead)."""
    gone = make_item("sang@X#1.1", 100, 200, data=b"A" * 1000)
    there = make_item("trua@X#1.1", 200, 300, data=b"B" * 1000)
    hostile.media = {there.media.name: Answer(body=b"B" * 1000)}
    settings = settings_for(make_settings, hostile, backoff_min_s=0.05, backoff_max_s=0.2)
    shared = Shared(manifest=parse_manifest(manifest_bytes([gone, there])))
    cache = MediaCache(settings.cache_dir)
    fetcher = Fetcher(settings, shared, ServerClient(settings, token), StoppedClock(),
                      cache=cache)
    thread = threading.Thread(target=fetcher.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: there.media.sha256 in cache.ready(), 20, "the other file")
        assert "the server answered 404: no media file" in shared.last_error
        hostile.media[gone.media.name] = Answer(body=b"A" * 1000)  # the file is back
        wait_for(lambda: gone.media.sha256 in cache.ready(), 20, "the file once it is back")
        assert thread.is_alive()
    finally:
        shared.stopping.set()
        shared.wake_all()
        thread.join(timeout=10)


# -- the reports loop --------------------------------------------------------------------------

def queued(settings: AgentSettings, count: int) -> ReportQueue:
    queue = ReportQueue(settings.cache_dir / "reports.db")
    queue.add([PlayEntry(f"item{n}@X#1.1", T0, "played", T0, T0, ends_at=T0)
               for n in range(count)])
    return queue


def test_odd_report_answers_are_retried_not_fatal(make_settings, hostile: HostileServer,  # type: ignore[no-untyped-def]
                                                  clock: FakeClock) -> None:
    settings = settings_for(make_settings, hostile)
    queue = queued(settings, 3)
    shared = Shared()
    reporter = Reporter(settings, shared, ServerClient(settings, token), clock, queue=queue,
                        cache_dir=settings.cache_dir)
    reporter.batch = 2
    # A captive portal's page, then an answer far too long: nothing counts as acknowledged.
    for answer, message in (
            (Answer(body=b"<html>Dang nhap Wi-Fi</html>"), "the answer is not the server's"),
            (Answer(body=spaces(8 * MiB), length=8 * MiB), "the server announced 8388608 "
                                                           "bytes, more than the 65536")):
        hostile.report_answer = lambda _, a=answer: a  # type: ignore[misc]
        with pytest.raises(ServerUnavailable, match=f"report of TANTIEN-01: {message}"):
            reporter.step()
        assert queue.count() == 3
    # Counts that are not numbers and a last_id beyond anything sent: only what was sent goes.
    hostile.report_answer = lambda body: json_answer(
        {"received": "ba", "duplicates": None, "last_id": f"{queue.install_id}:" + "9" * 30})
    assert reporter.step() == 0.0
    assert [p["item"] for p in queue.pending()] == ["item2@X#1.1"]


def test_a_refused_heartbeat_does_not_hold_up_the_plays(make_settings,  # type: ignore[no-untyped-def]
                                                        hostile: HostileServer,
                                                        clock: FakeClock) -> None:
    settings = settings_for(make_settings, hostile)
    queue = queued(settings, 2)
    shared = Shared(manifest=parse_manifest(manifest_bytes([make_item("a@X#1.1", 0, 60)])))
    reporter = Reporter(settings, shared, ServerClient(settings, token), clock, queue=queue,
                        cache_dir=settings.cache_dir)

    def strict(body: dict[str, Any]) -> Answer:
        if "heartbeat" in body:
            return json_answer({"error": "the report is invalid: heartbeat.playing: too "
                                         "large"}, 422)
        return HostileServer._acknowledge(body)

    hostile.report_answer = strict
    for _ in range(3):
        reporter.step()
    assert queue.count() == 0
    assert [("heartbeat" in r, len(r["plays"])) for r in hostile.reports] == [(True, 2),
                                                                              (False, 2),
                                                                              (False, 0)]


# -- any error in one round --------------------------------------------------------------------

class Boom(Exception):
    """An error no loop expects."""


@pytest.mark.parametrize("loop", ["playlist", "media", "reports"])
def test_any_error_of_one_round_is_logged_and_backed_off(make_settings,  # type: ignore[no-untyped-def]
                                                         hostile: HostileServer,
                                                         clock: FakeClock, caplog,
                                                         loop: str) -> None:
    hostile.playlists = [Answer(body=manifest_bytes([make_item("a@X#1.1", 0, 60)]))]
    settings = settings_for(make_settings, hostile, backoff_min_s=2, backoff_max_s=8)
    shared = Shared()
    args = (settings, shared, ServerClient(settings, token), clock)
    loops = {"playlist": lambda: Poller(*args, cache_dir=settings.cache_dir),
             "media": lambda: Fetcher(*args, cache=MediaCache(settings.cache_dir)),
             "reports": lambda: Reporter(*args, queue=queued(settings, 0),
                                         cache_dir=settings.cache_dir)}
    worker = loops[loop]()
    real_step = worker.step
    failures = iter([Boom("one"), Boom("two")])

    def step() -> float:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_step()

    worker.step = step  # type: ignore[method-assign]
    delays = [worker.once(), worker.once()]
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4   # backoff with jitter, growing
    record = next(r for r in caplog.records if "unexpected error (Boom: one)" in r.message)
    assert record.exc_info is not None and record.levelname == "ERROR"  # with the traceback
    assert shared.health.snapshot()[loop] == {"errors": 2, "restarts": 0,
                                             "last_error": "Boom: two"}
    worker.once()   # the next round runs as usual
    assert worker.backoff.failures == 0


def test_a_dead_worker_is_restarted_and_the_heartbeat_says_so(tmp_path: Path,  # type: ignore[no-untyped-def]
                                                              make_settings,
                                                              hostile: HostileServer) -> None:
    from broadcaster.agent.runner import Agent

    item = make_item("sang@X#1.1", 0, 60)
    hostile.playlists = [Answer(body=manifest_bytes([item])), not_modified()]
    settings = settings_for(make_settings, hostile, backoff_min_s=0.05, backoff_max_s=0.2,
                            heartbeat_s=0.5)
    agent = Agent(settings)
    real_playlist = agent.client.playlist
    calls = []

    def playlist(*args: Any) -> Any:
        calls.append(args)
        if len(calls) == 1:
            raise SystemExit("a thread-killing error")  # not an Exception: the thread ends
        return real_playlist(*args)

    agent.client.playlist = playlist  # type: ignore[method-assign,assignment]
    runner = threading.Thread(target=agent.run, daemon=True)
    runner.start()
    try:
        def restarted() -> dict[str, Any] | None:
            beats = [r["heartbeat"]["playing"] for r in list(hostile.reports)
                     if "heartbeat" in r]
            return next((b for b in beats if b.get("restarts") == 1), None)

        beat = wait_for(restarted, 30, "a heartbeat that tells of the restart")
        assert beat["workers"]["playlist"] == {"errors": 0, "restarts": 1,
                                               "last_error": "SystemExit: a thread-killing "
                                                             "error"}
        assert beat["workers"]["media"] == {"errors": 0, "restarts": 0}
        assert set(beat["workers"]) == {"playlist", "media", "reports", "playback"}
        wait_for(lambda: agent.shared.manifest is not None, 20, "the playlist, after all")
    finally:
        agent.stop()
        runner.join(timeout=20)
    state = json.loads((settings.cache_dir / "state.json").read_bytes())
    assert state["workers"]["playlist"]["restarts"] == 1


def test_an_error_in_one_round_of_playback_is_survived(make_settings, clock: FakeClock,  # type: ignore[no-untyped-def]
                                                       caplog) -> None:
    from broadcaster.agent.runner import Agent

    agent = Agent(make_settings(), clock)
    real_step = agent.step
    failures = iter([OverflowError("date value out of range")])

    def step() -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return real_step()

    agent.step = step  # type: ignore[method-assign]
    agent.play_once()
    agent.play_once()
    assert agent.shared.health.snapshot()["playback"]["errors"] == 1
    assert "playback: unexpected error (OverflowError: date value out of range)" in caplog.text
    assert clock.waits[0] <= 0.25   # playback retries soon: an item's start is at stake
    # The state file and ``agent status`` say so.
    agent._write_state(clock.now(), force=True)
    assert "workers       playback: 1 error(s), 0 restart(s) (last: OverflowError: date " \
           "value out of range)" in format_status(status(agent.cache_dir, clock.now()))


# -- the agent as a process --------------------------------------------------------------------

def test_an_agent_process_outlives_a_hostile_server(tmp_path: Path,
                                                    hostile: HostileServer) -> None:
    """``broadcaster agent`` as a real process: a playlist with an out-of-range item and an
    emergency whose file is missing at first; it keeps everything else going, fetches the
    file once it is there, and its heartbeats say all is well (no worker died)."""
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=10)
    flood = Item("lu@X#1.1", "Lũ", soon + timedelta(minutes=5), soon + timedelta(minutes=6),
                 "emergency", media_ref(b"E" * 5000))
    news = Item("sang@X#1.1", "Thời sự", soon, soon + timedelta(minutes=1), "normal",
                media_ref(b"A" * 5000))
    body = json.loads(manifest_bytes([news, flood]))
    body["items"].append(dict(body["items"][0], id="hong@X#1.1",
                              start="9999-12-31T23:59:59-01:00"))
    hostile.playlists = [Answer(body=json.dumps(body).encode()), not_modified(1.0)]
    hostile.media = {news.media.name: Answer(body=b"A" * 5000)}
    (tmp_path / "token").write_text("secret-token")
    (tmp_path / "token").chmod(0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROADCASTER_")}
    log = (tmp_path / "agent.log").open("ab")
    agent = subprocess.Popen(
        [sys.executable, "-m", "broadcaster", "agent", "--server", hostile.url, "--station",
         "TANTIEN-01", "--token-file", str(tmp_path / "token"), "--cache",
         str(tmp_path / "cache"), "--player", "file", "--sink-dir", str(tmp_path / "sink"),
         "--backoff-min-s", "0.2", "--backoff-max-s", "1", "--wait-s", "1",
         "--heartbeat-s", "1"], env=env, stdout=log, stderr=log)
    media = tmp_path / "cache" / "media"
    try:
        wait_for(lambda: (media / news.media.name).exists(), 60, "the file that is there")
        text = (tmp_path / "agent.log").read_text()
        assert "1 item(s) left out, the others play: items.2 (hong@X#1.1).start: " \
               "'9999-12-31T23:59:59-01:00' is out of range" in text
        assert f"media {flood.media.name}: the server answered 404" in text
        hostile.media[flood.media.name] = Answer(body=b"E" * 5000)
        wait_for(lambda: (media / flood.media.name).exists(), 30, "the emergency's file")

        def all_ready() -> dict[str, Any] | None:
            beats = [r["heartbeat"]["playing"] for r in list(hostile.reports)]
            return next((b for b in reversed(beats) if b.get("media_ready") == 2), None)

        beat = wait_for(all_ready, 30, "a heartbeat with both files ready")
        assert beat["restarts"] == 0 and beat["items_refused"] == 1
        assert beat["workers"]["media"]["errors"] == 0 and agent.poll() is None
    finally:
        agent.send_signal(signal.SIGTERM)
        code = agent.wait(timeout=30)
    assert code == 0
