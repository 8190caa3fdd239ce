"""Timing decisions, with the time given (no clock, no sleeps)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from broadcaster.agent.decide import MIN_PLAY, Cue, Playing, Stop, View, decide, offset_at
from broadcaster.agent.playlist import Item
from tests.agent.conftest import T0, make_item


def at(seconds: float):  # type: ignore[no-untyped-def]
    return T0 + timedelta(seconds=seconds)


def view(*ready: Item, playing: Playing | None = None, done: tuple[str, ...] = (),
         since: float = -3600) -> View:
    return View(playing, frozenset(i.media.sha256 for i in ready), frozenset(done), at(since))


def playing(item: Item, *, planned_end: float | None = None, finished: bool = False,
            error: str = "") -> Playing:
    end = at(planned_end) if planned_end is not None else item.end
    return Playing(item.id, item.media.sha256, end, finished, error)


PROG = make_item("sang@20261127T030000Z#1.1", 0, 60)


def test_nothing_to_play_is_a_silent_gap() -> None:
    decision = decide([], at(0), view())
    assert decision.gap and decision.play is None and decision.wake_at is None
    assert decision.gap_until is None and decision.missed == ()


def test_before_its_start_it_waits_for_the_start() -> None:
    decision = decide([PROG], at(-10), view(PROG))
    assert decision.play is None and decision.gap
    assert decision.wake_at == PROG.start and decision.gap_until == PROG.start


def test_at_its_start_it_plays_from_the_beginning_until_its_end() -> None:
    decision = decide([PROG], at(0), view(PROG))
    assert decision.play == Cue(PROG, 0, PROG.end)
    assert decision.wake_at == PROG.end and not decision.gap


@pytest.mark.parametrize(("late_s", "own_offset_ms", "expected_ms"), [
    (0.001, 0, 1),
    (12.5, 0, 12_500),
    (12.5, 5_000, 17_500),      # a resumed part starts at its own offset, plus the delay
    (59.4, 0, 59_400),
])
def test_a_late_start_resumes_at_the_right_second(late_s: float, own_offset_ms: int,
                                                  expected_ms: int) -> None:
    item = make_item("sang@X#2.1", 0, 60, offset_ms=own_offset_ms)
    decision = decide([item], at(late_s), view(item))
    assert decision.play is not None and decision.play.offset_ms == expected_ms
    assert offset_at(item, at(-5)) == own_offset_ms  # never a negative offset


def test_less_than_min_play_left_is_not_started_and_then_reported() -> None:
    late = at(60) - MIN_PLAY + timedelta(milliseconds=1)
    decision = decide([PROG], late, view(PROG))
    assert decision.play is None and decision.wake_at == PROG.end
    after = decide([PROG], at(60), view(PROG))
    assert [(m.item.id, m.outcome) for m in after.missed] == [(PROG.id, "skipped")]


def test_missing_media_waits_in_its_slot_then_plays_late_from_the_right_offset() -> None:
    waiting = decide([PROG], at(5), view())
    assert waiting.play is None and waiting.missed == () and waiting.wake_at == PROG.end
    arrived = decide([PROG], at(21.25), view(PROG))
    assert arrived.play == Cue(PROG, 21_250, PROG.end)


def test_media_never_ready_fails_when_its_slot_is_over() -> None:
    decision = decide([PROG], at(61), view())
    (missed,) = decision.missed
    assert missed.outcome == "failed" and PROG.media.name in missed.detail


def test_slots_passed_while_the_agent_was_down_are_skipped_once() -> None:
    early = make_item("a@X#1.1", 0, 30)
    late = make_item("b@X#1.1", 30, 60)
    decision = decide([early, late], at(100), view(early, late, since=45))
    assert [(m.item.id, m.outcome) for m in decision.missed] == [
        ("a@X#1.1", "skipped"), ("b@X#1.1", "skipped")]
    assert decision.missed[0].detail == "the agent was not running during its slot"
    assert "did not get its slot" in decision.missed[1].detail
    again = decide([early, late], at(101), view(early, late, done=(early.id, late.id)))
    assert again.missed == ()


def test_done_items_are_never_played_again() -> None:
    decision = decide([PROG], at(10), view(PROG, done=(PROG.id,)))
    assert decision.play is None and decision.missed == () and decision.gap


def test_the_playing_item_goes_on() -> None:
    decision = decide([PROG], at(30), view(PROG, playing=playing(PROG)))
    assert decision.keep and decision.play is None and decision.stop is None
    assert decision.wake_at == PROG.end and not decision.gap


def test_at_its_end_it_is_played_and_the_next_one_starts_back_to_back() -> None:
    nxt = make_item("trua@X#1.1", 60, 90)
    decision = decide([PROG, nxt], at(60), view(PROG, nxt, playing=playing(PROG)))
    assert decision.stop == Stop(PROG.id, "played")
    assert decision.play == Cue(nxt, 0, nxt.end)
    assert decision.missed == ()  # the stopped item is reported by the stop, not as missed


def test_a_higher_priority_overlap_preempts_and_the_other_is_not_resumed() -> None:
    emergency = make_item("lu@X#1.1", 10, 20, "emergency")
    items = [PROG, emergency]
    decision = decide(items, at(10), view(PROG, emergency, playing=playing(PROG)))
    assert decision.stop == Stop(PROG.id, "preempted", "pre-empted by lu@X#1.1 (emergency)")
    assert decision.play == Cue(emergency, 0, emergency.end)
    # Once reported, the pre-empted item stays done: the server's playlist says what resumes.
    after = decide(items, at(20), view(PROG, emergency, playing=playing(emergency),
                                       done=(PROG.id,)))
    assert after.stop == Stop(emergency.id, "played") and after.play is None


def test_equal_priorities_overlapping_the_newest_start_wins() -> None:
    first = make_item("a@X#1.1", 0, 60, "high")
    second = make_item("b@X#1.1", 10, 30, "high")
    lower = make_item("c@X#1.1", 5, 30, "normal")
    decision = decide([first, second, lower], at(12), view(first, second, lower))
    assert decision.play is not None and decision.play.item.id == "b@X#1.1"


def test_a_newer_playlist_cuts_the_playing_item_and_the_rest_resumes_after() -> None:
    """The server's answer to an emergency: part 1 ends early, part 2 resumes at its offset."""
    part1 = make_item(PROG.id, 0, 10, data=PROG.id.encode())
    emergency = make_item("thong-bao-3@X#1.1", 10, 25, "emergency")
    part2 = make_item("sang@20261127T030000Z#2.1", 25, 75, offset_ms=10_000,
                      data=PROG.id.encode())
    items = [part1, emergency, part2]
    ready = (part1, emergency)
    # The new playlist arrives 1.3 s after the emergency's start.
    decision = decide(items, at(11.3), view(*ready, playing=playing(part1, planned_end=60)))
    assert decision.stop == Stop(PROG.id, "preempted", "a newer playlist ended it early")
    assert decision.play == Cue(emergency, 1_300, emergency.end)
    resume = decide(items, at(25), view(*ready, playing=playing(emergency), done=(PROG.id,)))
    assert resume.stop == Stop(emergency.id, "played")
    assert resume.play == Cue(part2, 10_000, part2.end)


def test_an_item_cut_by_the_playlist_while_nothing_else_comes_is_still_preempted() -> None:
    shorter = make_item(PROG.id, 0, 30, data=PROG.id.encode())
    decision = decide([shorter], at(30.2), view(shorter, playing=playing(shorter,
                                                                          planned_end=60)))
    assert decision.stop is not None and decision.stop.outcome == "preempted"


def test_an_item_that_left_the_playlist_stops_at_once() -> None:
    decision = decide([], at(12), view(playing=playing(PROG)))
    assert decision.stop == Stop(PROG.id, "preempted", "it left the playlist")
    assert decision.gap


def test_new_media_for_the_same_item_restarts_it_at_the_right_offset() -> None:
    changed = make_item(PROG.id, 0, 60, data=b"re-rendered")
    decision = decide([changed], at(15), view(PROG, changed, playing=playing(PROG)))
    assert decision.stop == Stop(PROG.id, "preempted", "the playlist changed its media")
    assert decision.play == Cue(changed, 15_000, changed.end)


def test_a_player_that_stopped_by_itself_is_not_restarted() -> None:
    ended = decide([PROG], at(58), view(PROG, playing=playing(PROG, finished=True)))
    assert ended.stop == Stop(PROG.id, "played") and ended.play is None and ended.gap
    crashed = decide([PROG], at(3), view(PROG, playing=playing(
        PROG, finished=True, error="mpv exited with status 2")))
    assert crashed.stop == Stop(PROG.id, "failed", "mpv exited with status 2")
    assert crashed.play is None


def test_a_relay_needs_no_media_to_start() -> None:
    relay = make_item("vov@X#1.1", 0, 60, relay_url="http://radio.example.vn/live.mp3")
    decision = decide([relay], at(2), view())
    assert decision.play == Cue(relay, 2_000, relay.end)


def test_wake_at_is_the_nearest_start_or_end_and_gaps_last_until_the_next_start() -> None:
    a = make_item("a@X#1.1", 0, 20)
    b = make_item("b@X#1.1", 40, 50)
    c = make_item("c@X#1.1", 45, 80, "emergency")
    items = [a, b, c]
    assert decide(items, at(5), view(a, b, c)).wake_at == at(20)
    gap = decide(items, at(25), view(a, b, c, done=("a@X#1.1",)))
    assert gap.gap and gap.gap_until == at(40) and gap.wake_at == at(40)
    overlap = decide(items, at(46), view(a, b, c, playing=playing(b), done=("a@X#1.1",)))
    assert overlap.stop == Stop("b@X#1.1", "preempted", "pre-empted by c@X#1.1 (emergency)")
    assert overlap.play == Cue(c, 1_000, c.end) and overlap.wake_at == at(50)


def test_a_day_simulated_second_by_second() -> None:
    """Walk a playlist with a pretend player: every item starts on time, reported once."""
    items = [make_item("a@X#1.1", 0, 10), make_item("b@X#1.1", 10, 30, "high"),
             make_item("lu@X#1.1", 15, 18, "emergency"), make_item("d@X#1.1", 40, 45)]
    ready = frozenset(i.media.sha256 for i in items[:3])  # d's media never arrives
    log: list[tuple[float, str, str]] = []
    now, current, done = at(-2), None, set[str]()
    while now <= at(50):
        decision = decide(items, now, View(current, ready, frozenset(done), at(-2)))
        if decision.stop:
            log.append((round((now - T0).total_seconds(), 1), decision.stop.item_id,
                        decision.stop.outcome))
            done.add(decision.stop.item_id)
            current = None
        for missed in decision.missed:
            log.append((round((now - T0).total_seconds(), 1), missed.item.id, missed.outcome))
            done.add(missed.item.id)
        if decision.play:
            current = Playing(decision.play.item.id, decision.play.item.media.sha256,
                              decision.play.item.end)
            log.append((round((now - T0).total_seconds(), 1), decision.play.item.id,
                        f"start@{decision.play.offset_ms}"))
        step = min(0.5, (decision.wake_at - now).total_seconds()) if decision.wake_at else 0.5
        now += timedelta(seconds=max(step, 0.001))
    assert log == [
        (0.0, "a@X#1.1", "start@0"), (10.0, "a@X#1.1", "played"),
        (10.0, "b@X#1.1", "start@0"), (15.0, "b@X#1.1", "preempted"),
        (15.0, "lu@X#1.1", "start@0"), (18.0, "lu@X#1.1", "played"),
        (45.0, "d@X#1.1", "failed"),
    ]
