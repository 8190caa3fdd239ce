"""A week of schedule entries laid out by day for the calendar page (pure).

Airings come from the planner's own expansion (:func:`broadcaster.schedule.resolve.expand`
over :func:`broadcaster.schedule.entries.entry_rule`), so the page shows exactly the days and
times that publish plans: the same DTSTART for INTERVAL and COUNT rules, excluded dates left
out, a repeating entry given by a date and time counted from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from broadcaster.db.models import Entry
from broadcaster.schedule.entries import entry_rule, is_bulletin
from broadcaster.schedule.resolve import expand
from broadcaster.web.ui._conflicts import ConflictRow, SlotKey

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Slot:
    """One airing of an entry on the calendar (local wall-clock time)."""

    at: time
    entry: str
    target: str
    what: str
    priority: str
    recurring: bool
    notes: tuple[str, ...] = ()   # from the resolver: pre-empted, delayed, dropped

    @property
    def conflict(self) -> bool:
        """True when the resolver did not play this airing whole and on time."""
        return bool(self.notes)


@dataclass(frozen=True)
class Day:
    """A day of the week and its slots, by time."""

    day: date
    name: str
    slots: tuple[Slot, ...]
    conflicts: tuple[ConflictRow, ...] = ()


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week(entries: Sequence[Entry], monday: date,
         clip_names: Mapping[str, str] | None = None,
         marks: Mapping[SlotKey, tuple[str, ...]] | None = None,
         conflicts: Sequence[ConflictRow] = (), tz: ZoneInfo = LOCAL) -> list[Day]:
    """The airings of ``entries`` in the week starting ``monday`` (local days of ``tz``), each
    with the resolver's ``marks`` (see :func:`broadcaster.web.ui._conflicts.summarise`), and
    the ``conflicts`` of each day. ``clip_names`` names clips (by sha256) after their
    documents. Bulletins (no time of their own) are placed by the planner, not shown here."""
    clip_names, marks = clip_names or {}, marks or {}
    start = datetime.combine(monday, time(), tz)
    end = start + timedelta(days=7)
    found: dict[date, list[Slot]] = {monday + timedelta(days=i): [] for i in range(7)}
    timed = [e for e in entries if not is_bulletin(e)]
    # Only the start of each airing matters here: a one-second length keeps to the airings
    # that begin inside the week.
    rows = {e.code: e for e in timed}
    for occurrence in expand([entry_rule(e, timedelta(seconds=1)) for e in timed], tz,
                             start, end):
        e = rows[occurrence.rule.id]
        m = occurrence.start.astimezone(tz).replace(tzinfo=None)
        what = e.programme or clip_names.get(e.clip_sha256 or "") \
            or f"clip {(e.clip_sha256 or '')[:12]}"
        found[m.date()].append(Slot(m.time(), e.code, e.target, what, e.priority,
                                    bool(e.rrule), marks.get((e.code, m), ())))
    return [Day(day, WEEKDAYS[i], tuple(sorted(slots, key=lambda s: (s.at, s.entry))),
                tuple(c for c in conflicts if c.day == day))
            for i, (day, slots) in enumerate(sorted(found.items()))]
