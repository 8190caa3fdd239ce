"""Broadcast rules checked on the schedule files themselves, before anything is built.

What can be known without building programmes: an entry's start must lie within the allowed
hours of every loudspeaker station it reaches, and its slot must not be longer than the longest
allowed session. (Session lengths and counts depend on programme durations; ``schedule show``
and ``publish`` check those on the resolved schedule.) Emergencies are exempt.
"""

from __future__ import annotations

from collections.abc import Iterator

from broadcaster.domain.rules import Rules, inherit
from broadcaster.domain.tree import ancestors
from broadcaster.domain.vocabulary import Priority, StationKind
from broadcaster.schedule.spec import EntrySpec, GroupSpec, ScheduleSpec


def _chain(code: str | None, groups: dict[str, GroupSpec]) -> Iterator[GroupSpec]:
    """The group ``code`` and its ancestors, nearest first; a cycle (reported by the file
    checks) ends the walk."""
    return ancestors(groups.get(code) if code else None,
                     lambda g: groups.get(g.parent) if g.parent else None, stop_at_cycle=True)


def _effective(code: str | None, groups: dict[str, GroupSpec]) -> Rules:
    return inherit(group.rules for group in _chain(code, groups))


def _reached(entry: EntrySpec, spec: ScheduleSpec, groups: dict[str, GroupSpec]
             ) -> Iterator[tuple[str, Rules]]:
    """(station code, rules in force) for every loudspeaker station the entry reaches."""
    for station in spec.stations:
        if station.kind != StationKind.LOUDSPEAKER:
            continue
        chain = [group.code for group in _chain(station.group, groups)]
        if entry.target == station.code or entry.target in chain:
            yield station.code, _effective(station.group, groups)


def rule_problems(spec: ScheduleSpec) -> list[tuple[EntrySpec, str, str]]:
    """(entry, field, message) for each rule an entry breaks on its face."""
    groups = {g.code: g for g in spec.groups}
    problems: list[tuple[EntrySpec, str, str]] = []
    for entry in spec.entries:
        if entry.priority == Priority.EMERGENCY:
            continue
        start = entry.start_time or (entry.start_at.time() if entry.start_at else None)
        reported: set[str] = set()
        for station, rules in _reached(entry, spec, groups):
            if start and rules.hours and not rules.hours[0] <= start < rules.hours[1] \
                    and "hours" not in reported:
                reported.add("hours")
                problems.append((entry, "start", (
                    f"{start:%H:%M} is outside the allowed hours "
                    f"{rules.hours[0]:%H:%M}-{rules.hours[1]:%H:%M} of station {station} "
                    "(rule hours; only emergencies may break it)")))
            if entry.slot_minutes and rules.max_session_minutes and \
                    entry.slot_minutes > rules.max_session_minutes and "slot" not in reported:
                reported.add("slot")
                problems.append((entry, "slot_minutes", (
                    f"a {entry.slot_minutes}-minute slot is longer than the "
                    f"{rules.max_session_minutes} minutes a session may last at station "
                    f"{station} (rule max_session_minutes)")))
    return problems
