"""Schedule entries as rules: timed entries, and bulletins that each station places itself.

Pure functions over entry rows and resolved schedules (no queries);
:mod:`broadcaster.schedule.plan` calls them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from broadcaster.db import Entry
from broadcaster.domain.vocabulary import CollisionPolicy
from broadcaster.schedule.limits import sessions
from broadcaster.schedule.resolve import (
    Conflict,
    Occurrence,
    Policy,
    Priority,
    Resolution,
    Rule,
)


def is_bulletin(entry: Entry) -> bool:
    """An entry without a start time: a bulletin the station places itself (see below)."""
    return not entry.start_time and not entry.start_at and not entry.rrule


def bulletin_rule(entry: Entry, duration: timedelta, tz: ZoneInfo) -> Rule:
    """A bulletin as a rule whose ``start_at`` is the earliest it may play (local time)."""
    earliest = datetime.combine(entry.valid_from, time()) if entry.valid_from \
        else entry.created_at.astimezone(tz).replace(tzinfo=None)
    return Rule(id=entry.code, programme=entry.programme or entry.clip_sha256 or "",
                duration=duration, priority=cast(Priority, entry.priority),
                policy=CollisionPolicy.AFTER, start_at=earliest, valid_until=entry.valid_until,
                source=entry.target)


def entry_rule(entry: Entry, duration: timedelta) -> Rule:
    """A timed entry as a rule for :func:`broadcaster.schedule.resolve.expand`."""
    start_at = datetime.fromisoformat(entry.start_at) if entry.start_at else None
    return Rule(
        id=entry.code, programme=entry.programme or entry.clip_sha256 or "",
        duration=duration, priority=cast(Priority, entry.priority),
        policy=cast(Policy, entry.on_collision),
        start_time=time.fromisoformat(entry.start_time) if entry.start_time else None,
        start_at=start_at, rrule=entry.rrule, valid_from=entry.valid_from,
        valid_until=entry.valid_until,
        exdates=tuple(date.fromisoformat(d) for d in entry.exdates or []),
        slot=timedelta(minutes=entry.slot_minutes) if entry.slot_minutes else None,
        source=entry.target)


def place_bulletins(bulletins: Sequence[tuple[Entry, Rule]], resolution: Resolution,
                    slots: Mapping[str, timedelta], tz: ZoneInfo, start: datetime,
                    end: datetime) -> tuple[list[Occurrence], list[Conflict]]:
    """Place bulletins the way commune radio does (once per station each).

    - ``high``: inserted at the start of the station's next session (a run of items with
      gaps under five minutes) on or after the bulletin's ``valid_from``; the session's own
      items follow it.
    - ``normal``: the default rule for the commune's queue: placed after the programme of the
      first of the station's own slots (entries with ``slot_minutes``) that still has room
      for it; with no such slot it waits, and the plan says so.

    Emergencies always have a time, so they are never bulletins. ``slots`` maps the ids of
    slot entries to their length.
    """
    occurrences: list[Occurrence] = []
    notes: list[Conflict] = []
    taken: dict[tuple[str, datetime], timedelta] = {}
    runs = [run for run in sessions(resolution.items, tz) if run]
    slot_items = [i for i in resolution.items if i.part == 1 and i.rule_id in slots]
    for entry, rule in sorted(bulletins, key=lambda b: (b[1].priority != Priority.HIGH, b[0].code)):
        earliest = rule.start_at.replace(tzinfo=tz) if rule.start_at else start
        not_before = max(start, earliest)
        at: datetime | None = None
        if rule.priority == Priority.HIGH:
            nxt = next((run for run in runs if run[0].start >= not_before), None)
            at = nxt[0].start if nxt else None
            why = "no session left in the window"
        else:
            why = "no slot with room left in the window"
            for item in slot_items:
                if item.scheduled_start < not_before:
                    continue
                key = (item.rule_id, item.scheduled_start)
                used = taken.get(key, item.end - item.scheduled_start)
                if used + rule.duration <= slots[item.rule_id]:
                    at = item.scheduled_start + used
                    taken[key] = used + rule.duration
                    break
        if at is not None and rule.valid_until and at.astimezone(tz).date() > rule.valid_until:
            at, why = None, "its validity ends first"
        if at is None or at >= end:
            notes.append(Conflict(not_before, "", entry.code, "delayed",
                                  f"{rule.priority} bulletin '{entry.code}' waits: {why}"))
            continue
        local = at.astimezone(tz).replace(tzinfo=None)
        occurrences.append(Occurrence(dataclasses.replace(rule, start_at=local), at, tz))
    return occurrences, notes
