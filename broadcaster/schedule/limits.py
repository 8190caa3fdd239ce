"""Broadcast rules checked on a station's resolved items (pure functions, no database).

Loudspeaker rules: allowed local hours, minutes per session and sessions per local day.
Emergency items are exempt and are not counted: they neither make nor lengthen a session, and
the time they take does not split one (see :func:`sessions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from broadcaster.domain.rules import Rules
from broadcaster.domain.vocabulary import Priority
from broadcaster.schedule.resolve import ZERO, Item, _clock, _minutes

__all__ = ["Violation", "check_limits", "sessions"]


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, the entry breaking it, when, and a sentence for operators."""

    rule: Literal["hours", "max_session_minutes", "max_sessions_per_day"]
    rule_id: str
    time: datetime
    message: str


def sessions(items: Sequence[Item], tz: ZoneInfo,
             gap: timedelta = timedelta(minutes=5)) -> list[list[Item]]:
    """Group non-emergency items into sessions: consecutive items less than ``gap`` apart.

    A session stays within one local day (the day an item starts). Emergency items are left
    out, and the time they take does not count as a gap: a bulletin cut by an alert and resumed
    after it is still one session.
    """
    ordered = sorted(items, key=lambda item: item.start)
    alerts = [(i.start, i.end) for i in ordered if i.priority == Priority.EMERGENCY]
    out: list[list[Item]] = []
    for item in ordered:
        if item.priority == Priority.EMERGENCY:
            continue
        if out:
            last = out[-1][-1]
            pause = item.start - last.end - _covered(alerts, last.end, item.start)
            if pause < gap and _day(item.start, tz) == _day(out[-1][0].start, tz):
                out[-1].append(item)
                continue
        out.append([item])
    return out


def check_limits(items: Sequence[Item], limits: Rules, tz: ZoneInfo) -> list[Violation]:
    """Every broken broadcast rule (``None`` is no limit), in time order; emergency items are
    exempt."""
    found: list[Violation] = []
    if limits.hours is not None:
        opens, closes = limits.hours
        allowed = f"{opens:%H:%M}-{closes:%H:%M}"
        for item in items:
            day = _day(item.start, tz)
            if item.priority == Priority.EMERGENCY or (
                    item.start >= datetime.combine(day, opens, tz)
                    and item.end <= datetime.combine(day, closes, tz)):
                continue
            found.append(Violation(
                "hours", item.rule_id, item.start,
                f"entry {item.rule_id!r} plays {_clock(item.start, tz)}-{_clock(item.end, tz)} "
                f"on {day:%Y-%m-%d}, outside the allowed hours {allowed}"))
    alerts = [(i.start, i.end) for i in items if i.priority == Priority.EMERGENCY]
    per_day: dict[date, int] = {}
    for session in sessions(items, tz):
        first, day = session[0], _day(session[0].start, tz)
        per_day[day] = per_day.get(day, 0) + 1
        limit = limits.max_sessions_per_day
        if limit is not None and per_day[day] > limit:
            found.append(Violation(
                "max_sessions_per_day", first.rule_id, first.start,
                f"entry {first.rule_id!r} starts session {per_day[day]} on {day:%Y-%m-%d} at "
                f"{_clock(first.start, tz)}; at most {limit} sessions a day are allowed"))
        if limits.max_session_minutes is None:
            continue
        cap = timedelta(minutes=limits.max_session_minutes)
        for item in session:
            length = item.end - first.start - _covered(alerts, first.start, item.end)
            if length > cap:
                end = session[-1].end
                total = end - first.start - _covered(alerts, first.start, end)
                found.append(Violation(
                    "max_session_minutes", item.rule_id, item.start,
                    f"entry {item.rule_id!r} makes the session from {_clock(first.start, tz)} "
                    f"to {_clock(end, tz)} on {day:%Y-%m-%d} last {_minutes(total)} minutes; "
                    f"at most {limits.max_session_minutes} are allowed"))
                break
    return sorted(found, key=lambda v: v.time)


def _day(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _covered(spans: Sequence[tuple[datetime, datetime]], start: datetime,
             end: datetime) -> timedelta:
    """How much of [start, end) the given spans cover (they do not overlap one another)."""
    return sum((min(b, end) - max(a, start) for a, b in spans if a < end and b > start), ZERO)
