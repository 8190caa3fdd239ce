"""A week of schedule entries laid out by day for the calendar page (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from dateutil.rrule import rrulestr

from broadcaster.db.models import Entry
from broadcaster.web.ui._conflicts import ConflictRow, SlotKey

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
         conflicts: Sequence[ConflictRow] = ()) -> list[Day]:
    """The airings of ``entries`` in the week starting ``monday``, each with the resolver's
    ``marks`` (see :func:`broadcaster.web.ui._conflicts.summarise`), and the ``conflicts`` of
    each day. ``clip_names`` names clips (by sha256) after their documents."""
    clip_names, marks = clip_names or {}, marks or {}
    start = datetime.combine(monday, time())
    end = start + timedelta(days=7)
    found: dict[date, list[Slot]] = {monday + timedelta(days=i): [] for i in range(7)}
    for e in entries:
        what = e.programme or clip_names.get(e.clip_sha256 or "") \
            or f"clip {(e.clip_sha256 or '')[:12]}"
        if e.rrule and e.start_time:
            first = datetime.combine(e.valid_from or monday - timedelta(days=400),
                                     time.fromisoformat(e.start_time))
            moments = rrulestr(e.rrule, dtstart=first).between(start, end, inc=True)
            if e.valid_until:
                moments = [m for m in moments if m.date() <= e.valid_until]
        elif e.start_at:
            moment = datetime.fromisoformat(e.start_at)
            moments = [moment] if start <= moment < end else []
        else:
            moments = []
        for m in moments:
            found[m.date()].append(Slot(m.time(), e.code, e.target, what, e.priority,
                                        bool(e.rrule), marks.get((e.code, m), ())))
    return [Day(day, WEEKDAYS[i], tuple(sorted(slots, key=lambda s: (s.at, s.entry))),
                tuple(c for c in conflicts if c.day == day))
            for i, (day, slots) in enumerate(sorted(found.items()))]
