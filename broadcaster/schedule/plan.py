"""A station's plan: the entries that reach it, expanded, resolved and tied to built media.

This is where the database meets the pure schedule logic (:mod:`broadcaster.schedule.resolve`)
and the programme builder. Entries reach a station when they target it or any group above it
(children inherit their parents' entries). Every programme is built (or found in the cache) for
the station's profile before anything is planned, so durations are exact and every item points
at media that exists.

Planning scales with what differs between stations, not with their number: a
:class:`Planner` reads the database once (:class:`~broadcaster.schedule.catalogue.Catalogue`),
builds each programme variant once, and resolves each distinct set of reaching entries once.
Stations of one commune are reached by the same entries, so they share one resolution and
one layout; only a programme with a station ident (built per station name) gives a station
playlist items of its own.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select

from broadcaster.db import Clip, Entry, Station
from broadcaster.domain.rules import Rules
from broadcaster.domain.vocabulary import StationKind
from broadcaster.errors import InputError
from broadcaster.media import MediaStore
from broadcaster.parts import Parts
from broadcaster.planning.items import PlaylistItem, StationInfo, media_of, station_info
from broadcaster.programme import Builder, BuiltProgramme, Part
from broadcaster.schedule.catalogue import Catalogue, Target, load_targets
from broadcaster.schedule.entries import (
    bulletin_rule,
    entry_rule,
    is_bulletin,
    place_bulletins,
)
from broadcaster.schedule.limits import Violation, check_limits
from broadcaster.schedule.resolve import Conflict, Item, Resolution, Rule, expand, resolve

__all__ = [
    "Planner",
    "PlanningParts",
    "StationPlan",
    "Target",
    "is_bulletin",
    "media_of",
    "place_bulletins",
    "plan_all",
    "station_info",
]

# What a station's resolution depends on: zone, window, and each reaching entry with the
# length of its programme (as built for that station).
_ResolutionKey = tuple[str, datetime, datetime, tuple[tuple[str, timedelta], ...]]
_BuildKey = tuple[str, str, str]   # (programme, profile, variant) or ("", "", clip sha256)


class PlanningParts(Parts, Protocol):
    """What planning uses: the database, the media store, the profiles (``config``) and the
    programme builder (``App`` has them)."""

    @property
    def builder(self) -> Builder:
        """The programme builder (the planner copies it and swaps its store)."""


@dataclass(frozen=True)
class StationPlan:
    """Everything decided for one station over a window."""

    station: StationInfo
    resolution: Resolution
    violations: tuple[Violation, ...]
    items: tuple[PlaylistItem, ...]       # what the player plays: one per media part
    airings: tuple[PlaylistItem, ...] = ()  # what listeners see: one per programme piece
    titles: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Layout:
    items: tuple[PlaylistItem, ...]
    airings: tuple[PlaylistItem, ...]
    titles: dict[str, str]


@dataclass(frozen=True)
class CheckedStore(MediaStore):
    """The media store, remembering for one run which files it has verified.

    ``Builder.build`` verifies (hashes whole) every cached part it reuses. A programme with a
    station ident is built once per station, so without this its shared parts, often the
    longest, would be hashed again for every station. Publishing verifies all media through
    the same store (``plan_all(store=...)``), so a file is hashed once per publication.
    """

    checked: set[tuple[str, str]] = field(default_factory=set, compare=False)

    def verify(self, sha256: str, ext: str) -> bool:
        if (sha256, ext) not in self.checked:
            if not super().verify(sha256, ext):
                return False
            self.checked.add((sha256, ext))
        return True


class Planner:
    """Plans stations' windows; one Planner is one run (it reads the database once).

    Each programme variant is built once, each distinct resolution computed once, and each
    distinct layout (resolution + built programmes) made once, whatever the number of
    stations they serve.
    """

    def __init__(self, app: PlanningParts, store: CheckedStore | None = None) -> None:
        self.app = app
        self._builder: Builder = copy.copy(app.builder)  # the app's, with a memory (above)
        self._builder.store = store or CheckedStore(app.store.root)
        self._catalogue: Catalogue | None = None
        self._built: dict[_BuildKey, BuiltProgramme] = {}
        self._lengths: dict[_BuildKey, timedelta] = {}
        self._resolutions: dict[_ResolutionKey, Resolution] = {}
        self._violations: dict[tuple[_ResolutionKey, Rules], tuple[Violation, ...]] = {}
        self._layouts: dict[tuple[_ResolutionKey, tuple[_BuildKey, ...]], _Layout] = {}

    @property
    def catalogue(self) -> Catalogue:
        """Groups, entries and programme definitions, read on first use."""
        if self._catalogue is None:
            with self.app.sessions() as session:
                self._catalogue = Catalogue(session)
        return self._catalogue

    def build(self, programme: str, station: Station | Target) -> BuiltProgramme:
        """The programme built for this station's profile (and name, if it has an ident)."""
        return self._build(programme, station.profile, station.name)[1]

    def _build(self, programme: str, profile: str, name: str
               ) -> tuple[_BuildKey, BuiltProgramme]:
        defn = self.catalogue.programme(programme)
        key = (programme, profile, name if defn.has_ident else "")
        if key not in self._built:
            self._built[key] = self._builder.build(defn, self.app.config.get_profile(profile),
                                                   key[2])
        return key, self._built[key]

    def _clip_programme(self, sha256: str) -> tuple[_BuildKey, BuiltProgramme]:
        key = ("", "", sha256)
        if key not in self._built:
            with self.app.sessions() as session:
                clip = session.scalar(select(Clip).where(Clip.sha256 == sha256))
            if clip is None:
                raise InputError(f"no clip with sha256 {sha256}")
            self._built[key] = BuiltProgramme(sha256[:12], f"clip {sha256[:12]}",
                                              (Part("audio", clip.duration_ms, clip=clip),))
        return key, self._built[key]

    def entries_for(self, station: Station | Target) -> list[Entry]:
        """Entries targeting the station or any of its groups, by code."""
        return list(self.catalogue.entries_for(station.code, station.group_id))

    def plan(self, station: Station | Target, start: datetime, end: datetime) -> StationPlan:
        """Expand, resolve and check one station's window, and lay out its playlist items."""
        target = station if isinstance(station, Target) else Target.of(station)
        entries = self.catalogue.entries_for(target.code, target.group_id)
        keys: list[_BuildKey] = []
        built: dict[str, BuiltProgramme] = {}
        for entry in entries:
            key, programme = self._build(entry.programme, target.profile, target.name) \
                if entry.programme else self._clip_programme(entry.clip_sha256 or "")
            keys.append(key)
            built[entry.code] = programme
            if key not in self._lengths:
                self._lengths[key] = programme.duration
        rkey: _ResolutionKey = (target.timezone, start, end, tuple(
            (e.code, self._lengths[k]) for e, k in zip(entries, keys, strict=True)))
        resolution = self._resolutions.get(rkey)
        if resolution is None:
            resolution = _resolve(entries, built, ZoneInfo(target.timezone), start, end)
            self._resolutions[rkey] = resolution
        violations: tuple[Violation, ...] = ()
        if target.kind == StationKind.LOUDSPEAKER:
            rules = self.catalogue.rules(target.group_id)
            if (rkey, rules) not in self._violations:
                self._violations[rkey, rules] = tuple(check_limits(
                    resolution.items, rules, ZoneInfo(target.timezone)))
            violations = self._violations[rkey, rules]
        lkey = (rkey, tuple(keys))
        layout = self._layouts.get(lkey)
        if layout is None:
            layout = _layout(resolution, built)
            self._layouts[lkey] = layout
        return StationPlan(station_info(target), resolution, violations, layout.items,
                           layout.airings, dict(layout.titles))


def _resolve(entries: Sequence[Entry], built: dict[str, BuiltProgramme], tz: ZoneInfo,
             start: datetime, end: datetime) -> Resolution:
    """Expand and resolve the entries; place bulletins (see ``entries.place_bulletins``)."""
    rules: list[Rule] = []
    bulletins: list[tuple[Entry, Rule]] = []
    for entry in entries:
        duration = built[entry.code].duration
        if is_bulletin(entry):
            bulletins.append((entry, bulletin_rule(entry, duration, tz)))
        else:
            rules.append(entry_rule(entry, duration))
    occurrences = expand(rules, tz, start, end)
    resolution = resolve(occurrences)
    if not bulletins:
        return resolution
    # A bulletin is placed at its first chance after it was sent (or its valid.from),
    # which may lie before this window: plan from there, keep what falls inside.
    first = min([start, *(_aware(r.start_at, tz) for _, r in bulletins)])
    base = resolution if first >= start else resolve(expand(rules, tz, first, end))
    slots = {r.id: r.slot for r in rules if r.slot}
    placed, notes = place_bulletins(bulletins, base, slots, tz, first, end)
    inside = [o for o in placed if o.end > start]
    resolution = resolve(sorted([*occurrences, *inside], key=lambda o: (o.start, o.rule.id)))
    kept: list[Conflict] = [n for n in notes if n.time < end]
    return dataclasses.replace(
        resolution, conflicts=tuple(sorted([*resolution.conflicts, *kept],
                                           key=lambda c: c.time)))


def _aware(local: datetime | None, tz: ZoneInfo) -> datetime:
    assert local is not None
    return local.replace(tzinfo=tz)


def _layout(resolution: Resolution, built: dict[str, BuiltProgramme]) -> _Layout:
    items: list[PlaylistItem] = []
    airings: list[PlaylistItem] = []
    for item in resolution.items:
        parts = _lay_out(item, built[item.rule_id])
        items.extend(parts)
        if parts:
            airings.append(dataclasses.replace(
                parts[0], id=parts[0].id.rsplit(".", 1)[0], start=item.start, end=item.end,
                offset_ms=int(item.offset.total_seconds() * 1000), relay_url=""))
    return _Layout(tuple(items), tuple(airings), {code: b.title for code, b in built.items()})


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


def plan_all(app: PlanningParts, start: datetime, end: datetime,
             codes: Sequence[str] | None = None, store: CheckedStore | None = None
             ) -> list[StationPlan]:
    """Plans for every station (or the given ones), by code; media verified through
    ``store`` when given (it then knows which files were)."""
    planner = Planner(app, store)
    with app.sessions() as session:
        targets = load_targets(session, codes)
    return [planner.plan(t, start, end) for t in targets]
