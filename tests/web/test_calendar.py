"""The calendar page's week shows the airings the planner plans: the same expansion, the same
excluded dates, the same first day of an INTERVAL rule."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from broadcaster.db.models import Entry
from broadcaster.web.ui._calendar import week

MONDAY = date(2026, 11, 30)


def entry(code: str, **fields: Any) -> Entry:
    values: dict[str, Any] = {"programme": "ban-tin", "target": "BS", "priority": "normal",
                              "on_collision": "after", "exdates": []} | fields
    return Entry(code=code, **values)


def airings(*entries: Entry, monday: date = MONDAY) -> list[tuple[date, time, str]]:
    return [(day.day, slot.at, slot.entry) for day in week(list(entries), monday)
            for slot in day.slots]


def test_an_excluded_date_is_not_shown() -> None:
    daily = entry("sang", start_time="06:00", rrule="FREQ=DAILY",
                  exdates=["2026-12-02"])  # a Wednesday: the page showed it anyway
    assert [d.day for d, _, _ in airings(daily)] == [30, 1, 3, 4, 5, 6]
    assert {t for _, t, _ in airings(daily)} == {time(6, 0)}


def test_an_every_other_week_rule_without_a_start_day_falls_on_the_planners_weeks() -> None:
    # The planner counts a rule without valid_from from 2001-01-01 (a Monday); the page
    # counted from 400 days before the week shown, which put some weeks off by one.
    fortnight = entry("tuan", start_time="17:30", rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO")
    shown = {monday for monday in (date(2026, 11, 30), date(2026, 12, 7))
             if airings(fortnight, monday=monday)}
    weeks_since_anchor = (date(2026, 11, 30) - date(2001, 1, 1)).days // 7
    expected = date(2026, 11, 30) if weeks_since_anchor % 2 == 0 else date(2026, 12, 7)
    assert shown == {expected}


def test_one_offs_repeating_entries_given_by_a_date_and_bulletins() -> None:
    once = entry("mot-lan", start_at="2026-12-03T19:00:00")
    next_week = entry("tuan-sau", start_at="2026-12-07T19:00:00")
    weekly_from_a_date = entry("thu-sau", start_at="2026-12-04T07:15:00", rrule="FREQ=WEEKLY")
    bulletin = entry("ban-tin-xa")  # no time of its own: the planner places it
    assert airings(once, next_week, weekly_from_a_date, bulletin) == [
        (date(2026, 12, 3), time(19, 0), "mot-lan"), (date(2026, 12, 4), time(7, 15), "thu-sau")]
