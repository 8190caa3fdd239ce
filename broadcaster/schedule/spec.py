"""What a schedule file says: groups, stations, programmes and entries as frozen dataclasses.

These objects are the parsed, validated form of ``schedules/*.yaml`` (see
:mod:`broadcaster.schedule.yamlfile`). References are already resolved: a target, parent or
group given by a former (pre-2025) code holds the current code here.

Every object carries ``loc``, where it was written (file, line, column). ``loc`` takes no part
in equality, so the same schedule read from two files (or dumped and read back) compares equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from broadcaster.domain.durations import format_duration, parse_duration
from broadcaster.domain.rules import Rules
from broadcaster.domain.vocabulary import (
    COLLISION_POLICIES,
    GROUP_KINDS,
    ITEM_KINDS,
    PRIORITIES,
    STATION_KINDS,
    CollisionPolicy,
    GroupKind,
    ItemKind,
    Priority,
    StationKind,
)
from broadcaster.localtime import DEFAULT_TIMEZONE

__all__ = [
    "COLLISION_POLICIES",
    "DEFAULT_TIMEZONE",
    "GROUP_KINDS",
    "ITEM_KINDS",
    "PRIORITIES",
    "STATION_KINDS",
    "Alias",
    "CollisionPolicy",
    "EntrySpec",
    "GroupKind",
    "GroupSpec",
    "ItemKind",
    "ItemSpec",
    "Location",
    "Priority",
    "ProgrammeSpec",
    "ProvinceSpec",
    "Rules",
    "ScheduleSpec",
    "StationKind",
    "StationSpec",
    "format_duration",
    "parse_duration",
]

DEFAULT_GAP_MS = 300
DEFAULT_FADE_MS = 30


@dataclass(frozen=True)
class Location:
    """Where something was written: file as given, 1-based line and column (0 = whole file)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


NOWHERE = Location("", 0, 0)


@dataclass(frozen=True)
class ProvinceSpec:
    """The optional file header: which province the files describe (a group code)."""

    code: str
    name: str
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class Alias:
    """A former (pre-2025) code and name of a group or station."""

    code: str
    name: str
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class GroupSpec:
    """A node of the group tree: province, commune or ward, special zone, cluster, area."""

    code: str
    name: str
    kind: GroupKind
    parent: str | None = None
    rules: Rules | None = None  # None: no ``rules`` key; a child inherits what it leaves unset
    aliases: tuple[Alias, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class StationSpec:
    """A place that plays: a commune loudspeaker system, a radio or a TV channel."""

    code: str
    name: str
    kind: StationKind = StationKind.LOUDSPEAKER
    group: str | None = None
    profile: str = "loudspeaker"
    timezone: str = DEFAULT_TIMEZONE
    aliases: tuple[Alias, ...] = ()
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ItemSpec:
    """One programme item.

    ``value`` is the asset name (jingle), the template (ident), the document key (document),
    the text (text), the file path (file), the stream URL (relay), or empty (silence).
    ``duration`` is set for silence and relay; ``fallback`` (a recorded file) only for relay.
    """

    kind: ItemKind
    value: str = ""
    duration: timedelta | None = None
    fallback: str | None = None
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class ProgrammeSpec:
    """An ordered list of items, assembled with gaps and short fades."""

    code: str
    title: str
    items: tuple[ItemSpec, ...]
    gap_ms: int = DEFAULT_GAP_MS
    fade_ms: int = DEFAULT_FADE_MS
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)


@dataclass(frozen=True)
class EntrySpec:
    """A programme (or one clip) for a station or group, once or recurring.

    Recurring: ``start_time`` (wall clock in the target stations' zone) and ``rrule``.
    One-off: ``start_at``, a naive local date-time, and no ``rrule``.
    """

    id: str
    programme: str | None
    clip: str | None
    target: str
    start_time: time | None = None
    start_at: datetime | None = None
    rrule: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    exdates: tuple[date, ...] = ()
    priority: Priority = Priority.NORMAL
    on_collision: CollisionPolicy = CollisionPolicy.AFTER
    slot_minutes: int | None = None
    loc: Location = field(default=NOWHERE, compare=False, kw_only=True)

    @property
    def recurring(self) -> bool:
        """True for an RRULE entry, False for a one-off."""
        return self.rrule is not None


@dataclass(frozen=True)
class ScheduleSpec:
    """Everything read from one or more schedule files, in file order."""

    province: ProvinceSpec | None = None
    groups: tuple[GroupSpec, ...] = ()
    stations: tuple[StationSpec, ...] = ()
    programmes: tuple[ProgrammeSpec, ...] = ()
    entries: tuple[EntrySpec, ...] = ()

    def merged(self, other: ScheduleSpec) -> ScheduleSpec:
        """This spec followed by ``other`` (the first province header given wins).

        No checks here: :func:`broadcaster.schedule.load_schedule` reports duplicates and
        conflicting headers across files.
        """
        return ScheduleSpec(
            province=self.province or other.province,
            groups=self.groups + other.groups,
            stations=self.stations + other.stations,
            programmes=self.programmes + other.programmes,
            entries=self.entries + other.entries,
        )
