"""The playback loop with a clock moved by hand and the file player (no server, no sleeps)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from broadcaster.agent.playlist import parse_manifest
from broadcaster.agent.runner import Agent
from broadcaster.agent.settings import AgentSettings
from broadcaster.agent.state import format_status, read_state, status
from tests.agent.conftest import T0, FakeClock, make_item, media_bytes, stage

PROG = make_item("sang@20261127T030000Z#1.1", 0, 60, title="Thời sự buổi sáng")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sink(settings: AgentSettings) -> list[dict[str, Any]]:
    assert settings.sink_dir is not None
    path = settings.sink_dir / "plays.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run_until(agent: Agent, clock: FakeClock, seconds: float) -> None:
    while clock.now() < at(seconds):
        agent.step()


def reports(agent: Agent) -> list[tuple[str, str, str]]:
    return [(p["item"], p["outcome"], p["detail"]) for p in agent.queue.pending()]


def test_an_item_plays_at_its_time_and_is_reported(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    nxt = make_item("trua@X#1.1", 60, 90)
    stage(settings, [PROG, nxt], [PROG, nxt])
    clock.set(at(-5))
    agent = Agent(settings, clock)
    run_until(agent, clock, 91)
    lines = sink(settings)
    assert [(line["event"], line["item"]) for line in lines] == [
        ("start", PROG.id), ("stop", PROG.id), ("start", nxt.id), ("stop", nxt.id)]
    first = lines[0]
    assert first["actual_start"] == first["scheduled_start"] == "2026-11-27T03:00:00.000Z"
    assert first["offset_s"] == 0 and first["sha256"] == PROG.media.sha256
    assert first["title"] == "Thời sự buổi sáng" and first["source"] == "media"
    assert lines[1]["outcome"] == "ended" and lines[1]["ended_at"] == "2026-11-27T03:01:00.000Z"
    assert (settings.sink_dir / PROG.media.name).read_bytes() == media_bytes(PROG)
    assert reports(agent) == [(PROG.id, "played", ""), (nxt.id, "played", "")]
    played = agent.queue.pending()[0]
    assert played["started_at"] == "2026-11-27T03:00:00.000Z"
    assert played["ended_at"] == "2026-11-27T03:01:00.000Z"


def test_a_restart_mid_item_resumes_at_the_right_second(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    stage(settings, [PROG], [PROG])
    clock.set(at(0))
    first = Agent(settings, clock)
    run_until(first, clock, 12)
    first._shutdown()  # as at SIGTERM; a kill -9 leaves the same state file behind
    assert read_state(settings.cache_dir)["playing"]["item"] == PROG.id
    clock.set(at(20.5))
    second = Agent(settings, clock)
    run_until(second, clock, 61)
    starts = [line for line in sink(settings) if line["event"] == "start"]
    assert [s["offset_s"] for s in starts] == [0, 20.5]
    assert starts[1]["actual_start"] == "2026-11-27T03:00:20.500Z"
    assert reports(second) == [(PROG.id, "played",
                                "resumed at 20.5 s after the agent restarted")]
    assert second.queue.pending()[0]["started_at"] == "2026-11-27T03:00:00.000Z"


def test_an_item_interrupted_by_a_stop_that_outlasted_it_is_failed(make_settings,  # type: ignore[no-untyped-def]
                                                                   clock: FakeClock) -> None:
    settings = make_settings()
    stage(settings, [PROG], [PROG])
    first = Agent(settings, clock)
    run_until(first, clock, 5)
    first._shutdown()
    clock.set(at(120))
    second = Agent(settings, clock)
    second.step()
    assert reports(second) == [(PROG.id, "failed", "the agent stopped while it played it")]


def test_a_new_playlist_preempts_and_the_rest_resumes(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    stage(settings, [PROG], [PROG])
    agent = Agent(settings, clock)
    run_until(agent, clock, 10)
    # An emergency at 10 s, learnt at 11.3 s: part 1 ends at 10, part 2 resumes at 25.
    part1 = make_item(PROG.id, 0, 10, data=media_bytes(PROG))
    emergency = make_item("thong-bao-3@20261127T030010Z#1.1", 10, 25, "emergency")
    part2 = make_item("sang@20261127T030000Z#2.1", 25, 75, offset_ms=10_000,
                      data=media_bytes(PROG))
    stage(settings, [part1, emergency, part2], [emergency], publication=2, agent=agent)
    clock.set(at(11.3))
    agent.shared.manifest = parse_manifest(
        (settings.cache_dir / "playlist.json").read_bytes())
    run_until(agent, clock, 76)
    lines = [(line["event"], line["item"], line["offset_s"], line.get("outcome"))
             for line in sink(settings)]
    assert lines == [
        ("start", PROG.id, 0, None), ("stop", PROG.id, 0, "preempted"),
        ("start", emergency.id, 1.3, None), ("stop", emergency.id, 1.3, "ended"),
        ("start", part2.id, 10.0, None), ("stop", part2.id, 10.0, "ended")]
    assert [(r[0], r[1]) for r in reports(agent)] == [
        (PROG.id, "preempted"), (emergency.id, "played"), (part2.id, "played")]


def test_corrupted_media_is_never_played(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    stage(settings, [PROG], [PROG])
    cached = settings.cache_dir / "media" / PROG.media.name
    cached.write_bytes(b"garbage of the same size!"[:len(media_bytes(PROG))])
    clock.set(at(-1))
    agent = Agent(settings, clock)
    run_until(agent, clock, 3)
    assert sink(settings) == [] and not cached.exists()
    assert agent.shared.wake_fetch.is_set()  # the fetcher is asked to download it again
    stage(settings, [PROG], [PROG], agent=agent)  # the fetcher brings it back at 3 s
    run_until(agent, clock, 61)
    (start,) = [line for line in sink(settings) if line["event"] == "start"]
    assert start["offset_s"] == 3.0
    assert (settings.sink_dir / PROG.media.name).read_bytes() == media_bytes(PROG)


def test_media_that_never_arrive_fail_the_item(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    stage(settings, [PROG], [])
    agent = Agent(settings, clock)
    run_until(agent, clock, 61)
    assert sink(settings) == []
    ((item, outcome, detail),) = reports(agent)
    assert (item, outcome) == (PROG.id, "failed") and PROG.media.name in detail


def test_gaps_are_filled_by_the_fallback_playlist(make_settings, clock: FakeClock,  # type: ignore[no-untyped-def]
                                                  tmp_path: Path) -> None:
    folder = tmp_path / "fallback"
    folder.mkdir()
    for name in ("1-nhac.mp3", "2-nhac.mp3", "notes.txt"):
        (folder / name).write_bytes(name.encode())
    settings = make_settings(fallback=(folder,))
    stage(settings, [PROG], [PROG])
    clock.set(at(-30))
    agent = Agent(settings, clock)
    run_until(agent, clock, 1)
    lines = [(line["event"], line["item"], line["source"], line.get("outcome"))
             for line in sink(settings)]
    assert lines == [("start", "fallback:1-nhac.mp3", "filler", None),
                     ("stop", "fallback:1-nhac.mp3", "filler", "preempted"),
                     ("start", PROG.id, "media", None)]
    assert sink(settings)[2]["actual_start"] == "2026-11-27T03:00:00.000Z"
    assert reports(agent) == []  # fillers are not playlist items: nothing to report


def test_state_and_status(make_settings, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings()
    later = make_item("chieu@X#1.1", 3600, 3900, "high", title="Thời sự buổi chiều")
    stage(settings, [PROG, later], [PROG])
    agent = Agent(settings, clock)
    run_until(agent, clock, 5)
    state = read_state(settings.cache_dir)
    assert state["playing"]["item"] == PROG.id and state["publication"] == 1
    assert state["last_contact"] is None
    st = status(settings.cache_dir, at(5))
    assert st.publication == 1 and st.media_ready == 1
    assert st.media_missing == [later.media.name]
    assert [(i["id"], i["media"]) for i in st.next_items] == [(PROG.id, "ready"),
                                                              (later.id, "missing")]
    assert st.playing is not None and st.playing["offset_s"] >= 0
    text = format_status(st, at(5))
    assert f"playing       {PROG.id}  Thời sự buổi sáng  since 2026-11-27 10:00:00 (media)" in text
    assert "media         1 ready, 1 missing" in text and "last contact  never" in text


def test_a_token_file_others_can_read_is_warned_about(make_settings, clock: FakeClock,  # type: ignore[no-untyped-def]
                                                      caplog) -> None:
    settings = make_settings()
    settings.token_file.chmod(0o644)
    Agent(settings, clock)
    assert "can be read by other users (mode 644)" in caplog.text
    caplog.clear()
    settings.token_file.chmod(0o600)
    Agent(settings, clock)
    assert "other users" not in caplog.text
