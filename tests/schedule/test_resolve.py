"""Recurrence, collisions and broadcast rules: concrete Asia/Ho_Chi_Minh days, exact instants."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from broadcaster.domain.rules import Rules as Limits
from broadcaster.errors import InputError
from broadcaster.schedule.limits import check_limits, sessions
from broadcaster.schedule.resolve import (
    Conflict,
    Item,
    Occurrence,
    Resolution,
    Rule,
    _local_starts,
    dtstart,
    expand,
    resolve,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
          tz: ZoneInfo = VN) -> datetime:
    """A local wall-clock time as an aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=tz).astimezone(UTC)


def days(first: date, count: int, tz: ZoneInfo = VN) -> tuple[datetime, datetime]:
    """The window of ``count`` local days from ``first``."""
    start = datetime.combine(first, time(), tz)
    return start, datetime.combine(first + timedelta(days=count), time(), tz)


def recurring(rule_id: str, at: time, rrule: str, minutes: int = 15, **kw: object) -> Rule:
    return Rule(rule_id, rule_id, timedelta(minutes=minutes), start_time=at, rrule=rrule,
                **kw)  # type: ignore[arg-type]


def once(rule_id: str, at: datetime, minutes: float, **kw: object) -> Rule:
    return Rule(rule_id, rule_id, timedelta(minutes=minutes), start_at=at,
                **kw)  # type: ignore[arg-type]


def starts(rules: list[Rule], first: date, count: int, tz: ZoneInfo = VN) -> list[datetime]:
    return [o.start for o in expand(rules, tz, *days(first, count, tz))]


def occ(rule: Rule, tz: ZoneInfo = VN) -> Occurrence:
    """The one-off's occurrence."""
    assert rule.start_at is not None
    return Occurrence(rule, rule.start_at.replace(tzinfo=tz).astimezone(UTC), tz)


def plays(resolution: Resolution, tz: ZoneInfo = VN) -> list[tuple[str, str, str, int, int]]:
    """(entry, local start, local end, part, offset in minutes) for each resolved item."""
    items = resolution.items
    return [(i.rule_id, f"{i.start.astimezone(tz):%H:%M}", f"{i.end.astimezone(tz):%H:%M}",
             i.part, int(i.offset / MIN)) for i in items]


# -- recurrence ------------------------------------------------------------------------------

def test_local_six_is_eleven_pm_utc_the_day_before() -> None:
    rule = recurring("sang", time(6), "FREQ=DAILY")
    assert starts([rule], date(2026, 1, 1), 1) == [utc(2025, 12, 31, 23, 0)]


def test_daily_at_0600_and_1730() -> None:
    rules = [recurring("sang", time(6), "FREQ=DAILY"),
             recurring("chieu", time(17, 30), "FREQ=DAILY")]
    assert starts(rules, date(2026, 3, 2), 2) == [
        utc(2026, 3, 1, 23, 0), utc(2026, 3, 2, 10, 30),
        utc(2026, 3, 2, 23, 0), utc(2026, 3, 3, 10, 30)]


def test_byhour_gives_two_times_a_day() -> None:
    rule = recurring("ban-tin", time(6), "FREQ=DAILY;BYHOUR=6,17")
    assert starts([rule], date(2026, 3, 2), 1) == [utc(2026, 3, 1, 23, 0), utc(2026, 3, 2, 10, 0)]


def test_weekdays_only() -> None:
    rule = recurring("chieu", time(17, 30), "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")
    # Saturday 2026-03-07 to Sunday 2026-03-15: Monday 9 to Friday 13 only.
    assert starts([rule], date(2026, 3, 7), 9) == [
        local(2026, 3, d, 17, 30) for d in (9, 10, 11, 12, 13)]


def test_every_monday() -> None:
    rule = recurring("thu-hai", time(11, 30), "FREQ=WEEKLY;BYDAY=MO")
    assert starts([rule], date(2026, 3, 1), 31) == [
        local(2026, 3, d, 11, 30) for d in (2, 9, 16, 23, 30)]


def test_weekly_without_byday_repeats_on_the_weekday_of_valid_from() -> None:
    rule = recurring("thu-tu", time(8), "FREQ=WEEKLY", valid_from=date(2026, 3, 4))  # a Wednesday
    assert starts([rule], date(2026, 3, 1), 14) == [local(2026, 3, 4, 8), local(2026, 3, 11, 8)]


def test_every_other_sunday_counts_from_valid_from() -> None:
    rule = recurring("cn", time(7), "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU", valid_from=date(2026, 3, 8))
    assert starts([rule], date(2026, 3, 1), 36) == [
        local(2026, 3, 8, 7), local(2026, 3, 22, 7), local(2026, 4, 5, 7)]


def test_monthly_on_the_first_across_the_year_end() -> None:
    rule = recurring("chuyen-de", time(19), "FREQ=MONTHLY;BYMONTHDAY=1")
    assert starts([rule], date(2025, 11, 15), 90) == [
        local(2025, 12, 1, 19), local(2026, 1, 1, 19), local(2026, 2, 1, 19)]


def test_last_day_of_the_month_in_a_leap_year() -> None:
    rule = recurring("cuoi-thang", time(19), "FREQ=MONTHLY;BYMONTHDAY=-1")
    assert starts([rule], date(2028, 1, 15), 60) == [local(2028, 1, 31, 19), local(2028, 2, 29, 19)]


def test_validity_range_is_inclusive_at_both_ends() -> None:
    rule = recurring("nghi-quyet", time(11, 30), "FREQ=DAILY",
                     valid_from=date(2026, 3, 3), valid_until=date(2026, 3, 5))
    assert starts([rule], date(2026, 3, 1), 7) == [
        local(2026, 3, 3, 11, 30), local(2026, 3, 4, 11, 30), local(2026, 3, 5, 11, 30)]


def test_exception_dates_are_skipped() -> None:
    rule = recurring("chieu", time(17, 30), "FREQ=DAILY",
                     exdates=(date(2026, 9, 2), date(2026, 9, 4)))
    assert starts([rule], date(2026, 9, 1), 5) == [
        local(2026, 9, d, 17, 30) for d in (1, 3, 5)]


def test_one_off() -> None:
    rule = once("quoc-khanh", datetime(2026, 9, 2, 7, 0), 10)
    assert starts([rule], date(2026, 9, 2), 1) == [utc(2026, 9, 2, 0, 0)]
    assert starts([rule], date(2026, 9, 3), 1) == []
    assert starts([rule], date(2026, 9, 1), 1) == []


def test_occurrence_started_before_the_window_is_included_when_it_overlaps() -> None:
    late = recurring("toi", time(23, 50), "FREQ=DAILY", minutes=20)  # ends 00:10 next day
    found = expand([late], VN, *days(date(2026, 3, 2), 1))
    assert [o.start for o in found] == [local(2026, 3, 1, 23, 50), local(2026, 3, 2, 23, 50)]
    assert found[0].end == local(2026, 3, 2, 0, 10)
    # One that ends exactly where the window starts does not overlap it.
    ten = recurring("toi", time(23, 50), "FREQ=DAILY", minutes=10)
    assert starts([ten], date(2026, 3, 2), 1) == [local(2026, 3, 2, 23, 50)]


def test_occurrences_sorted_by_start_then_priority_then_id() -> None:
    at = datetime(2026, 3, 2, 6, 0)
    rules = [once("b", at, 5), once("a", at, 5), once("z", at, 5, priority="emergency"),
             once("h", at, 5, priority="high"), once("early", at - MIN, 5)]
    found = expand(rules, VN, *days(date(2026, 3, 2), 1))
    assert [o.rule.id for o in found] == ["early", "z", "h", "a", "b"]


def test_berlin_keeps_local_wall_clock_across_dst_changes() -> None:
    rule = recurring("morgen", time(6), "FREQ=DAILY")
    # Summer time starts on Sunday 2026-03-29 and ends on Sunday 2026-10-25.
    assert starts([rule], date(2026, 3, 28), 3, BERLIN) == [
        utc(2026, 3, 28, 5), utc(2026, 3, 29, 4), utc(2026, 3, 30, 4)]
    assert starts([rule], date(2026, 10, 24), 3, BERLIN) == [
        utc(2026, 10, 24, 4), utc(2026, 10, 25, 5), utc(2026, 10, 26, 5)]


def test_berlin_skipped_and_repeated_hours() -> None:
    gap = recurring("nacht", time(2, 30), "FREQ=DAILY")
    # 02:30 does not exist on 2026-03-29: it plays at 03:30 summer time (01:30 UTC).
    assert starts([gap], date(2026, 3, 29), 1, BERLIN) == [utc(2026, 3, 29, 1, 30)]
    # 02:30 happens twice on 2026-10-25: it plays at the first (summer time, 00:30 UTC).
    assert starts([gap], date(2026, 10, 25), 1, BERLIN) == [utc(2026, 10, 25, 0, 30)]


def test_until_in_utc_is_read_as_local_time() -> None:
    rule = recurring("sang", time(6), "RRULE:FREQ=DAILY;UNTIL=20260302T230000Z")
    assert starts([rule], date(2026, 3, 1), 5) == [
        local(2026, 3, 1, 6), local(2026, 3, 2, 6), local(2026, 3, 3, 6)]


def test_count_counts_from_valid_from() -> None:
    rule = recurring("ba-lan", time(6), "FREQ=DAILY;COUNT=3", valid_from=date(2026, 3, 1))
    assert starts([rule], date(2026, 2, 20), 30) == [
        local(2026, 3, 1, 6), local(2026, 3, 2, 6), local(2026, 3, 3, 6)]


def test_dtstart_defaults() -> None:
    assert dtstart(recurring("a", time(6), "FREQ=DAILY")) == datetime(2001, 1, 1, 6)
    assert dtstart(recurring("a", time(6), "FREQ=DAILY", valid_from=date(2026, 3, 4))) \
        == datetime(2026, 3, 4, 6)


@pytest.mark.parametrize("rrule, first", [
    ("FREQ=DAILY", None),
    ("FREQ=DAILY;INTERVAL=3", date(2025, 7, 1)),
    ("FREQ=WEEKLY", date(2025, 7, 2)),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE", date(2025, 7, 3)),
    ("FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA", date(2024, 2, 29)),
    ("FREQ=MONTHLY", date(2025, 1, 31)),
    ("FREQ=MONTHLY;INTERVAL=5", date(2024, 8, 31)),
    ("FREQ=MONTHLY;BYDAY=-1FR", None),
    ("FREQ=MONTHLY;INTERVAL=2;BYDAY=MO,TU;BYSETPOS=2", date(2025, 5, 1)),
    ("FREQ=YEARLY", date(2024, 2, 29)),
    ("FREQ=YEARLY;BYMONTH=9", date(2020, 9, 2)),
    ("FREQ=YEARLY;BYWEEKNO=10;BYDAY=TU", None),
    ("FREQ=HOURLY;INTERVAL=5", date(2025, 12, 30)),
    ("FREQ=MINUTELY;INTERVAL=97", date(2026, 2, 25)),
])
def test_moving_the_start_forward_changes_nothing(rrule: str, first: date | None) -> None:
    rule = recurring("r", time(6, 45), rrule, valid_from=first)
    found = 0
    for window in (days(date(2026, 2, 27), 4), days(date(2026, 5, 29), 45),
                   days(date(2027, 12, 20), 800)):
        lo, hi = (w.astimezone(UTC) for w in window)
        fast = _local_starts(rule, VN, lo, hi)
        assert fast == _local_starts(rule, VN, lo, hi, shift=False)
        found += len(fast)
    assert found, "the windows should hold some occurrences"


def test_bad_rrule_names_the_entry() -> None:
    rule = recurring("xa-sang", time(6), "FREQ=DAILY;BYDAY=MO,XX")
    with pytest.raises(InputError, match="entry 'xa-sang'.*not a valid RRULE"):
        expand([rule], VN, *days(date(2026, 3, 2), 1))
    with pytest.raises(InputError, match="no FREQ"):
        expand([recurring("x", time(6), "BYDAY=MO")], VN, *days(date(2026, 3, 2), 1))


def test_rule_refuses_bad_values() -> None:
    with pytest.raises(InputError, match="entry 'x': priority 'urgent'"):
        once("x", datetime(2026, 3, 2, 6), 5, priority="urgent")
    with pytest.raises(InputError, match="entry 'x': collision policy 'skip'"):
        once("x", datetime(2026, 3, 2, 6), 5, policy="skip")
    with pytest.raises(InputError, match="has no length"):
        once("x", datetime(2026, 3, 2, 6), 0)
    with pytest.raises(InputError, match="one-off entry needs"):
        Rule("x", "p", MIN)
    with pytest.raises(InputError, match="repeating entry needs a start time"):
        Rule("x", "p", MIN, rrule="FREQ=DAILY")


def test_window_must_be_aware() -> None:
    with pytest.raises(ValueError, match="window_start must be an aware datetime"):
        expand([], VN, datetime(2026, 3, 2), datetime(2026, 3, 3, tzinfo=UTC))


# -- collisions ------------------------------------------------------------------------------

DAY = datetime(2026, 3, 2)


def at(hour: int, minute: int = 0) -> datetime:
    return DAY.replace(hour=hour, minute=minute)


def test_emergency_preempts_and_the_programme_resumes_as_part_two() -> None:
    news = once("thoi-su-sang", at(6), 30, policy="preempt")
    flood = once("bao-lu", at(6, 10), 5, priority="emergency")
    result = resolve([occ(news), occ(flood)])
    assert plays(result) == [("thoi-su-sang", "06:00", "06:10", 1, 0),
                             ("bao-lu", "06:10", "06:15", 1, 0),
                             ("thoi-su-sang", "06:15", "06:35", 2, 10)]
    rest = result.items[2]
    assert rest.offset == timedelta(minutes=10)
    assert rest.scheduled_start == utc(2026, 3, 1, 23, 0)
    assert rest.priority == "normal"
    assert result.conflicts == (Conflict(
        utc(2026, 3, 1, 23, 10), "bao-lu", "thoi-su-sang", "preempted",
        "emergency 'bao-lu' pre-empted 'thoi-su-sang' at 06:10; it resumes at 06:15 from 10:00"),)
    assert result.dropped == ()


def test_high_preempt_interrupts_normal() -> None:
    news = once("thoi-su", at(6), 30)
    bulletin = once("quoc-khanh", at(6, 20), 5, priority="high", policy="preempt")
    result = resolve([occ(news), occ(bulletin)])
    assert plays(result) == [("thoi-su", "06:00", "06:20", 1, 0),
                             ("quoc-khanh", "06:20", "06:25", 1, 0),
                             ("thoi-su", "06:25", "06:35", 2, 20)]
    assert result.conflicts[0].note == ("high-priority 'quoc-khanh' pre-empted 'thoi-su' at "
                                        "06:20; it resumes at 06:25 from 20:00")


def test_normal_after_waits_for_the_running_one() -> None:
    news = once("thoi-su", at(6), 30)
    notice = once("thong-bao", at(6, 20), 5, policy="after")
    result = resolve([occ(news), occ(notice)])
    assert plays(result) == [("thoi-su", "06:00", "06:30", 1, 0),
                             ("thong-bao", "06:30", "06:35", 1, 0)]
    assert result.conflicts == (Conflict(
        local(2026, 3, 2, 6, 20), "thoi-su", "thong-bao", "delayed",
        "'thong-bao' could not start at 06:20 because 'thoi-su' plays then; it starts at 06:30 "
        "instead, 10 min late"),)


def test_high_after_waits_for_the_current_item_then_goes_first() -> None:
    news = once("thoi-su", at(6), 30)
    queued = once("thong-bao", at(6, 10), 5)
    bulletin = once("khan", at(6, 20), 5, priority="high", policy="after")
    result = resolve([occ(news), occ(queued), occ(bulletin)])
    assert plays(result) == [("thoi-su", "06:00", "06:30", 1, 0),
                             ("khan", "06:30", "06:35", 1, 0),
                             ("thong-bao", "06:35", "06:40", 1, 0)]
    assert [(c.loser, c.resolution) for c in result.conflicts] == [
        ("thong-bao", "delayed"), ("khan", "delayed")]


def test_drop_is_dropped_and_recorded() -> None:
    news = once("thoi-su", at(6), 30)
    weather = once("thoi-tiet", at(6, 15), 5, policy="drop")
    result = resolve([occ(news), occ(weather)])
    assert plays(result) == [("thoi-su", "06:00", "06:30", 1, 0)]
    assert result.dropped == (occ(weather),)
    assert result.conflicts == (Conflict(
        local(2026, 3, 2, 6, 15), "thoi-su", "thoi-tiet", "dropped",
        "'thoi-tiet' was dropped: it could not start at 06:15 because 'thoi-su' plays then"),)


def test_drop_plays_when_the_channel_is_free() -> None:
    weather = once("thoi-tiet", at(6, 30), 5, policy="drop")
    result = resolve([occ(once("thoi-su", at(6), 30)), occ(weather)])
    assert plays(result)[-1] == ("thoi-tiet", "06:30", "06:35", 1, 0)
    assert result.conflicts == () and result.dropped == ()


def test_high_drop_does_not_interrupt() -> None:
    bulletin = once("khan", at(6, 10), 5, priority="high", policy="drop")
    result = resolve([occ(once("thoi-su", at(6), 30)), occ(bulletin)])
    assert [o.rule.id for o in result.dropped] == ["khan"]


@pytest.mark.parametrize("policy", ["after", "preempt"])
def test_equal_priority_later_item_is_delayed(policy: str) -> None:
    first = once("a", at(17, 30), 15)
    second = once("b", at(17, 40), 10, policy=policy)
    result = resolve([occ(second), occ(first)])
    assert plays(result) == [("a", "17:30", "17:45", 1, 0), ("b", "17:45", "17:55", 1, 0)]
    assert [(c.winner, c.loser, c.resolution) for c in result.conflicts] == [
        ("a", "b", "delayed")]


def test_same_instant_higher_priority_goes_first_without_a_cut() -> None:
    normal = once("a", at(6), 10, policy="preempt")
    high = once("b", at(6), 10, priority="high")
    result = resolve([occ(normal), occ(high)])
    assert plays(result) == [("b", "06:00", "06:10", 1, 0), ("a", "06:10", "06:20", 1, 0)]
    assert [(c.winner, c.loser, c.resolution) for c in result.conflicts] == [
        ("b", "a", "delayed")]


def test_cascading_preemption_by_two_emergencies() -> None:
    news = once("thoi-su-sang", at(6), 30)
    flood = once("bao-lu", at(6, 10), 5, priority="emergency")
    storm = once("bao-so-3", at(6, 20), 5, priority="emergency")
    result = resolve([occ(news), occ(flood), occ(storm)])
    assert plays(result) == [("thoi-su-sang", "06:00", "06:10", 1, 0),
                             ("bao-lu", "06:10", "06:15", 1, 0),
                             ("thoi-su-sang", "06:15", "06:20", 2, 10),
                             ("bao-so-3", "06:20", "06:25", 1, 0),
                             ("thoi-su-sang", "06:25", "06:40", 3, 15)]
    assert [c.note for c in result.conflicts] == [
        "emergency 'bao-lu' pre-empted 'thoi-su-sang' at 06:10; it resumes at 06:15 from 10:00",
        "emergency 'bao-so-3' pre-empted 'thoi-su-sang' at 06:20; it resumes at 06:25 from 15:00",
    ]


def test_a_later_emergency_interrupts_an_earlier_one() -> None:
    flood = once("bao-lu", at(6), 10, priority="emergency")
    fire = once("chay-rung", at(6, 4), 3, priority="emergency", policy="drop")
    news = once("thoi-su", at(6, 5), 10)
    result = resolve([occ(flood), occ(fire), occ(news)])
    assert plays(result) == [("bao-lu", "06:00", "06:04", 1, 0),
                             ("chay-rung", "06:04", "06:07", 1, 0),
                             ("bao-lu", "06:07", "06:13", 2, 4),
                             ("thoi-su", "06:13", "06:23", 1, 0)]
    assert [(c.winner, c.loser, c.resolution) for c in result.conflicts] == [
        ("chay-rung", "bao-lu", "preempted"), ("chay-rung", "thoi-su", "delayed")]


def test_emergencies_due_together_play_in_id_order() -> None:
    b = once("b", at(6), 5, priority="emergency", policy="drop")
    a = once("a", at(6), 5, priority="emergency")
    result = resolve([occ(b), occ(a)])
    assert plays(result) == [("a", "06:00", "06:05", 1, 0), ("b", "06:05", "06:10", 1, 0)]
    assert result.dropped == ()


def test_interrupted_item_resumes_before_those_queued_behind_it() -> None:
    news = once("thoi-su", at(6), 30)
    alert = once("bao-lu", at(6, 10), 10, priority="emergency")
    notice = once("thong-bao", at(6, 15), 5)
    due_then = once("dung-gio", at(6, 20), 5)  # due just as the alert ends
    result = resolve([occ(news), occ(alert), occ(notice), occ(due_then)])
    assert plays(result) == [("thoi-su", "06:00", "06:10", 1, 0),
                             ("bao-lu", "06:10", "06:20", 1, 0),
                             ("thoi-su", "06:20", "06:40", 2, 10),
                             ("thong-bao", "06:40", "06:45", 1, 0),
                             ("dung-gio", "06:45", "06:50", 1, 0)]


def test_over_slot_is_flagged_on_every_part() -> None:
    long = once("dai", at(6), 20, slot=timedelta(minutes=15))
    short = once("ngan", at(7), 15, slot=timedelta(minutes=15))
    alert = once("bao-lu", at(6, 5), 1, priority="emergency")
    result = resolve([occ(long), occ(short), occ(alert)])
    assert [(i.rule_id, i.part, i.over_slot) for i in result.items] == [
        ("dai", 1, True), ("bao-lu", 1, False), ("dai", 2, True), ("ngan", 1, False)]


def test_notes_use_the_station_zone() -> None:
    news = once("news", DAY.replace(hour=18), 30)
    late = once("late", DAY.replace(hour=18, minute=10), 5)
    result = resolve([occ(news, BERLIN), occ(late, BERLIN)])
    assert "at 18:10" in result.conflicts[0].note and "starts at 18:30" in result.conflicts[0].note


def test_nothing_to_resolve() -> None:
    assert resolve([]).items == ()


def test_random_schedules_never_overlap_and_play_everything_once() -> None:
    rng = random.Random(20260302)
    seen: set[str] = set()
    for trial in range(300):
        occurrences = []
        free_minutes = rng.sample(range(240), 4)  # emergencies never share a start
        for n in range(rng.randint(1, 14)):
            priority = rng.choice(["normal", "normal", "high", "emergency"])
            if priority == "emergency" and not free_minutes:
                priority = "high"
            minute = free_minutes.pop() if priority == "emergency" else rng.randrange(240)
            rule = once(f"r{n:02d}", DAY.replace(hour=5) + minute * MIN, rng.randint(1, 45),
                        priority=priority, policy=rng.choice(["preempt", "after", "drop"]))
            occurrences.append(occ(rule))
        result = resolve(occurrences)
        items = result.items
        for a, b in pairwise(items):
            assert a.end <= b.start, f"trial {trial}: {a} overlaps {b}"
            if b.start > b.scheduled_start:  # late only because the channel was busy
                assert a.end == b.start, f"trial {trial}: the channel idles before {b}"
        dropped = {o.rule.id for o in result.dropped}
        for o in occurrences:
            pieces = [i for i in items if i.rule_id == o.rule.id]
            if o.rule.id in dropped:
                assert pieces == [] and o.rule.policy == "drop"
                assert o.rule.priority != "emergency"
                continue
            assert sum((i.end - i.start for i in pieces), timedelta()) == o.rule.duration
            assert [i.part for i in pieces] == list(range(1, len(pieces) + 1))
            played = timedelta()
            for piece in pieces:
                assert piece.offset == played and piece.start >= o.start
                assert piece.scheduled_start == o.start
                played += piece.end - piece.start
            if o.rule.priority == "emergency":
                assert pieces[0].start == o.start, f"trial {trial}: {o.rule.id} is late"
        # Every conflict names real entries and a known resolution.
        ids = {o.rule.id for o in occurrences}
        for c in result.conflicts:
            assert c.winner in ids and c.loser in ids and c.winner != c.loser
            assert c.resolution in ("preempted", "delayed", "dropped")
        assert len(result.conflicts) >= len(result.dropped)
        seen.update(c.resolution for c in result.conflicts)
    assert seen == {"preempted", "delayed", "dropped"}


# -- broadcast rules -------------------------------------------------------------------------

def item(rule_id: str, start: datetime, minutes: float, priority: str = "normal") -> Item:
    begin = start.replace(tzinfo=VN).astimezone(UTC)
    return Item(rule_id, rule_id, begin, begin + timedelta(minutes=minutes), timedelta(),
                priority, begin)  # type: ignore[arg-type]


def test_outside_allowed_hours() -> None:
    items = [item("som", at(4, 50), 15), item("sang", at(6), 30), item("vua-kip", at(20, 45), 15),
             item("toi-muon", at(21, 10), 30)]
    found = check_limits(items, Limits(hours=(time(5), time(21))), VN)
    assert [(v.rule, v.rule_id, v.time) for v in found] == [
        ("hours", "som", local(2026, 3, 2, 4, 50)), ("hours", "toi-muon", local(2026, 3, 2, 21, 10))]
    assert found[1].message == ("entry 'toi-muon' plays 21:10-21:40 on 2026-03-02, outside the "
                                "allowed hours 05:00-21:00")


def test_session_too_long() -> None:
    items = [item("thoi-su", at(6), 10), item("nghi-quyet", at(6, 12), 10),
             item("thong-bao", at(6, 22), 5)]
    assert check_limits(items, Limits(max_session_minutes=27), VN) == []
    found = check_limits(items, Limits(max_session_minutes=15), VN)
    assert [(v.rule, v.rule_id) for v in found] == [("max_session_minutes", "nghi-quyet")]
    assert found[0].message == ("entry 'nghi-quyet' makes the session from 06:00 to 06:27 on "
                                "2026-03-02 last 27 minutes; at most 15 are allowed")


def test_too_many_sessions() -> None:
    items = [item("sang", at(5, 30), 10), item("trua", at(11, 30), 10),
             item("chieu", at(17, 30), 10), item("toi", at(19), 10),
             item("hom-sau", datetime(2026, 3, 3, 5, 30), 10)]
    found = check_limits(items, Limits(max_sessions_per_day=2), VN)
    assert [(v.rule, v.rule_id) for v in found] == [
        ("max_sessions_per_day", "chieu"), ("max_sessions_per_day", "toi")]
    assert found[0].message == ("entry 'chieu' starts session 3 on 2026-03-02 at 17:30; at most "
                                "2 sessions a day are allowed")


def test_emergency_is_exempt_from_every_rule() -> None:
    items = [item("sang", at(6), 10), item("bao-lu", at(6, 10), 30, "emergency"),
             item("sang-2", at(6, 40), 5), item("dem", at(23), 60, "emergency"),
             item("chieu", at(17, 30), 10)]
    limits = Limits(hours=(time(5), time(21)), max_session_minutes=15, max_sessions_per_day=2)
    assert check_limits(items, limits, VN) == []
    # The alert neither splits the morning session nor counts as one of its own.
    assert [[i.rule_id for i in s] for s in sessions(items, VN)] == [
        ["sang", "sang-2"], ["chieu"]]


def test_sessions_split_at_the_gap_and_at_midnight() -> None:
    items = [item("a", at(6), 10), item("b", at(6, 14, ), 5), item("c", at(6, 24), 5),
             item("d", at(23, 50), 10), item("e", datetime(2026, 3, 3, 0, 1), 5)]
    grouped = sessions(items, VN)
    assert [[i.rule_id for i in s] for s in grouped] == [["a", "b"], ["c"], ["d"], ["e"]]
    assert [[i.rule_id for i in s] for s in sessions(items, VN, gap=timedelta(minutes=6))] == [
        ["a", "b", "c"], ["d"], ["e"]]


def test_limits_on_resolved_items() -> None:
    rules = [recurring("sang", time(6), "FREQ=DAILY", minutes=10),
             recurring("them", time(6, 5), "FREQ=DAILY", minutes=10)]
    resolved = resolve(expand(rules, VN, *days(date(2026, 3, 2), 1)))
    found = check_limits(resolved.items, Limits(max_session_minutes=15), VN)
    assert [(v.rule_id, v.time) for v in found] == [("them", local(2026, 3, 2, 6, 10))]
