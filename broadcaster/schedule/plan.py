"""A station's plan: the entries that reach it, expanded, resolved and tied to built media.

This is where the database meets the pure schedule logic (:mod:`broadcaster.schedule.resolve`)
and the programme builder. Entries reach a station when they target it or any group above it
(children inherit their parents' entries). Every programme is built (or found in the cache) for
the station's profile before anything is planned, so durations are exact and every item points
at media that exists.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import Clip, Entry, Station
from broadcaster.errors import InputError
from broadcaster.programme import BuiltProgramme, Part, get_programme
from broadcaster.publish.formats import Media, PlaylistItem, StationInfo
from broadcaster.schedule.limits import Limits, Violation, check_limits, sessions
from broadcaster.schedule.resolve import (
    Conflict,
    Item,
    Occurrence,
    Policy,
    Priority,
    Resolution,
    Rule,
    expand,
    resolve,
)
from broadcaster.stations import effective_rules, group_chain, list_stations


@dataclass(frozen=True)
class StationPlan:
    """Everything decided for one station over a window."""

    station: StationInfo
    resolution: Resolution
    violations: tuple[Violation, ...]
    items: tuple[PlaylistItem, ...]       # what the player plays: one per media part
    airings: tuple[PlaylistItem, ...] = ()  # what listeners see: one per programme piece
    titles: dict[str, str] = field(default_factory=dict)


def station_info(station: Station) -> StationInfo:
    """The publication's view of a station."""
    return StationInfo(station.code, station.name, station.kind, station.timezone)


def media_of(clip: Clip) -> Media:
    """The publication's view of a clip."""
    return Media(clip.sha256, clip.ext, clip.size_bytes, clip.duration_ms)


def _rule(entry: Entry, duration: timedelta) -> Rule:
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


class Planner:
    """Plans stations' windows; builds each programme variant once per run."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._built: dict[tuple[str, str, str], BuiltProgramme] = {}

    def build(self, programme: str, station: Station) -> BuiltProgramme:
        """The programme built for this station's profile (and name, if it has an ident)."""
        with self.app.sessions() as session:
            defn = get_programme(session, programme)
        variant = station.name if defn.has_ident else ""
        key = (programme, station.profile, variant)
        if key not in self._built:
            profile = self.app.config.get_profile(station.profile)
            self._built[key] = self.app.builder.build(defn, profile, variant)
        return self._built[key]

    def _clip_programme(self, sha256: str) -> BuiltProgramme:
        with self.app.sessions() as session:
            clip = session.scalar(select(Clip).where(Clip.sha256 == sha256))
        if clip is None:
            raise InputError(f"no clip with sha256 {sha256}")
        return BuiltProgramme(sha256[:12], f"clip {sha256[:12]}",
                              (Part("audio", clip.duration_ms, clip=clip),))

    def entries_for(self, station: Station) -> list[Entry]:
        """Entries targeting the station or any of its groups."""
        targets = {station.code} | {g.code for g in group_chain(station.group)}
        with self.app.sessions() as session:
            return list(session.scalars(select(Entry).where(Entry.target.in_(targets))
                                        .order_by(Entry.code)))

    def plan(self, station: Station, start: datetime, end: datetime) -> StationPlan:
        """Expand, resolve and check one station's window, and lay out its playlist items."""
        tz = ZoneInfo(station.timezone)
        built: dict[str, BuiltProgramme] = {}
        rules: list[Rule] = []
        bulletins: list[tuple[Entry, Rule]] = []
        for entry in self.entries_for(station):
            programme = self.build(entry.programme, station) if entry.programme \
                else self._clip_programme(entry.clip_sha256 or "")
            built[entry.code] = programme
            if is_bulletin(entry):
                bulletins.append((entry, _bulletin_rule(entry, programme.duration, tz)))
            else:
                rules.append(_rule(entry, programme.duration))
        occurrences = expand(rules, tz, start, end)
        resolution = resolve(occurrences)
        notes: list[Conflict] = []
        if bulletins:
            # A bulletin is placed at its first chance after it was sent (or its valid.from),
            # which may lie before this window: plan from there, keep what falls inside.
            first = min([start, *(_aware(r.start_at, tz) for _, r in bulletins)])
            base = resolution if first >= start else resolve(expand(rules, tz, first, end))
            slots = {r.id: r.slot for r in rules if r.slot}
            placed, notes = place_bulletins(bulletins, base, slots, tz, first, end)
            inside = [o for o in placed if o.end > start]
            resolution = resolve(sorted([*occurrences, *inside],
                                        key=lambda o: (o.start, o.rule.id)))
            notes = [n for n in notes if n.time < end]
            resolution = dataclasses.replace(
                resolution, conflicts=tuple(sorted([*resolution.conflicts, *notes],
                                                   key=lambda c: c.time)))
        rules_in_force = effective_rules(station.group)
        limits = Limits(rules_in_force.hours, rules_in_force.max_session_minutes,
                        rules_in_force.max_sessions_per_day)
        violations = tuple(check_limits(resolution.items, limits, tz)) \
            if station.kind == "loudspeaker" else ()
        items: list[PlaylistItem] = []
        airings: list[PlaylistItem] = []
        for item in resolution.items:
            parts = _lay_out(item, built[item.rule_id])
            items.extend(parts)
            if parts:
                airings.append(dataclasses.replace(
                    parts[0], id=parts[0].id.rsplit(".", 1)[0], start=item.start, end=item.end,
                    offset_ms=int(item.offset.total_seconds() * 1000), relay_url=""))
        titles = {code: b.title for code, b in built.items()}
        return StationPlan(station_info(station), resolution, violations, tuple(items),
                           tuple(airings), titles)


def is_bulletin(entry: Entry) -> bool:
    """An entry without a start time: a bulletin the station places itself (see below)."""
    return not entry.start_time and not entry.start_at and not entry.rrule


def _bulletin_rule(entry: Entry, duration: timedelta, tz: ZoneInfo) -> Rule:
    """A bulletin as a rule whose ``start_at`` is the earliest it may play (local time)."""
    earliest = datetime.combine(entry.valid_from, time()) if entry.valid_from \
        else entry.created_at.astimezone(tz).replace(tzinfo=None)
    return Rule(id=entry.code, programme=entry.programme or entry.clip_sha256 or "",
                duration=duration, priority=cast(Priority, entry.priority),
                policy="after", start_at=earliest, valid_until=entry.valid_until,
                source=entry.target)


def _aware(local: datetime | None, tz: ZoneInfo) -> datetime:
    assert local is not None
    return local.replace(tzinfo=tz)


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
    for entry, rule in sorted(bulletins, key=lambda b: (b[1].priority != "high", b[0].code)):
        earliest = rule.start_at.replace(tzinfo=tz) if rule.start_at else start
        not_before = max(start, earliest)
        at: datetime | None = None
        if rule.priority == "high":
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


def _lay_out(item: Item, programme: BuiltProgramme) -> list[PlaylistItem]:
    """The playlist items of one resolved piece: the programme's parts from its offset on."""
    out: list[PlaylistItem] = []
    cursor = item.start
    skip = item.offset
    remaining = item.end - item.start
    for index, part in enumerate(programme.parts, 1):
        length = timedelta(milliseconds=part.duration_ms)
        if skip >= length:
            skip -= length
            continue
        play = min(length - skip, remaining)
        if play <= timedelta(0):
            break
        clip = part.clip or part.fallback
        if clip is None:
            raise InputError(f"programme {programme.code}: part {index} has no media")
        stamp = item.scheduled_start.strftime("%Y%m%dT%H%M%SZ")
        out.append(PlaylistItem(
            id=f"{item.rule_id}@{stamp}#{item.part}.{index}", title=programme.title,
            start=cursor, end=cursor + play, priority=item.priority, media=media_of(clip),
            offset_ms=int(skip.total_seconds() * 1000), entry_id=item.rule_id,
            relay_url=part.url if part.kind == "relay" else ""))
        cursor += play
        remaining -= play
        skip = timedelta(0)
    return out


def plan_all(app: App, start: datetime, end: datetime,
             codes: Sequence[str] | None = None) -> list[StationPlan]:
    """Plans for every station (or the given ones), by code."""
    planner = Planner(app)
    with app.sessions() as session:
        stations = [s for s in list_stations(session) if codes is None or s.code in codes]
        for s in stations:  # load the group chain while the session is open
            group_chain(s.group)
    return [planner.plan(s, start, end) for s in stations]
