"""Coverage: which stations received and played what the province published for a period.

Three sources meet here. The publications say what each station was expected to play (the
item ids in each ``index.json``), the holdings say which publication each station reported
holding, and the plays are the stations' proof of play. See ``docs/coverage.md`` for the rules
in an operator's words; in short:

- An item is expected of a station when its scheduled start falls in the period and the
  publication in force for that station at that start lists it. The publications consulted are
  the one in force at ``since`` and every one taking effect before ``until``; a publication
  takes effect at the start of its window (a roll-back when it is made).
- A station received the items when it reported holding any publication that lists at least one
  of its expected items; the first such report is given.
- A station played when it reported the items (of the programme) as ``played``; the other
  outcomes are counted beside.

The database is read in a handful of set-based queries, whatever the number of stations, and
each ``index.json`` once per call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from broadcaster.db import (
    Announcement,
    Entry,
    Group,
    Holding,
    Play,
    Programme,
    Publication,
    Station,
    StationStatus,
    utcnow,
)
from broadcaster.errors import InputError, NotFound
from broadcaster.localtime import LOCAL, parse_time
from broadcaster.parts import Parts
from broadcaster.publish.publication import read_index, root
from broadcaster.stations import get_group, list_groups, subtree_ids

DEFAULT_PERIOD = timedelta(hours=24)
OTHER_OUTCOMES = ("preempted", "failed", "skipped")
# Items are read as (scheduled-start stamp, item id): ENTRY@20261127T013000Z#1.2.
ItemStamps = tuple[tuple[str, str], ...]
_Q = TypeVar("_Q", bound=Select)


@dataclass(frozen=True)
class StationCoverage:
    """One station over the period."""

    code: str
    name: str
    group: str | None
    expected: int                          # items expected of it in the period
    received_at: datetime | None = None    # first report holding a publication listing them
    received_publication: int | None = None
    played: int = 0                        # distinct items reported played
    first_played_at: datetime | None = None
    other: Mapping[str, int] = field(default_factory=dict)  # preempted/failed/skipped: count
    last_seen_at: datetime | None = None
    offline_since: datetime | None = None

    @property
    def received(self) -> bool:
        return self.received_at is not None

    @property
    def status(self) -> str:
        """``never`` (no report ever), ``offline`` (marked by the daemon) or ``online``."""
        if self.last_seen_at is None:
            return "never"
        return "offline" if self.offline_since is not None else "online"


@dataclass(frozen=True)
class GroupCoverage:
    """A group with every station below it (counts of stations)."""

    code: str
    name: str
    depth: int          # 0 for the top of the report's tree
    stations: int       # stations listed
    expected: int       # stations with at least one expected item
    received: int       # of those, stations that received
    played: int         # of those, stations that played at least one item
    offline: int        # of those, stations marked offline
    never: int          # of those, stations that never reported

    @property
    def received_pct(self) -> float | None:
        return _pct(self.received, self.expected)

    @property
    def played_pct(self) -> float | None:
        return _pct(self.played, self.expected)


@dataclass(frozen=True)
class Coverage:
    """The answer to "which stations received and played this?"."""

    since: datetime
    until: datetime
    programme: str | None
    group: str | None
    publications: tuple[int, ...]          # consulted, in order of taking effect
    stations: tuple[StationCoverage, ...]  # by code
    groups: tuple[GroupCoverage, ...]      # tree order, parents first
    total: GroupCoverage
    unreadable: tuple[int, ...] = ()       # publications whose index.json is gone (pruned)


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# -- the period ---------------------------------------------------------------------------------

def parse_period(since: str | None, until: str | None, now: datetime | None = None,
                 tz: ZoneInfo = LOCAL) -> tuple[datetime, datetime]:
    """``[since, until)`` in UTC from command-line text; by default the 24 hours up to now."""
    end = parse_time(until, "--until", end=True, tz=tz) if until else (now or utcnow())
    start = parse_time(since, "--since", tz=tz) if since else end - DEFAULT_PERIOD
    if end <= start:
        raise InputError(f"the period ends ({end.astimezone(tz):%Y-%m-%d %H:%M}) before it "
                         f"starts ({start.astimezone(tz):%Y-%m-%d %H:%M}); check --since and "
                         "--until")
    return start.astimezone(UTC), end.astimezone(UTC)


def _stamp(moment: datetime) -> str:
    """The item-id stamp of the first whole second at or after ``moment``.

    Stamps sort like the instants they name, so items are placed in time by comparing text,
    without parsing millions of dates.
    """
    moment = moment.astimezone(UTC)
    if moment.microsecond:
        moment = moment.replace(microsecond=0) + timedelta(seconds=1)
    return moment.strftime("%Y%m%dT%H%M%SZ")


# -- publications -------------------------------------------------------------------------------

class _Indexes:
    """Publications' index.json, each read once, kept as the scope's items in the period."""

    def __init__(self, folder: Path, codes: Iterable[str], period: tuple[str, str],
                 entries: frozenset[str] | None) -> None:
        self.folder = folder
        self.codes = frozenset(codes)
        self.period = period
        self.entries = entries
        self.unreadable: list[int] = []
        self._cache: dict[int, dict[str, ItemStamps] | None] = {}

    def get(self, number: int) -> dict[str, ItemStamps] | None:
        """Per station of the scope listed in publication ``number``: its items in the period
        (of the programme), possibly none; None when the index cannot be read."""
        if number not in self._cache:
            self._cache[number] = self._read(number)
        return self._cache[number]

    def _read(self, number: int) -> dict[str, ItemStamps] | None:
        try:
            stations = read_index(self.folder / f"{number:06d}")["stations"]
        except (OSError, ValueError, KeyError):
            self.unreadable.append(number)
            return None
        low, high = self.period
        out: dict[str, ItemStamps] = {}
        for code, listed in stations.items():
            if code not in self.codes:
                continue
            kept = []
            for item in listed.get("items", ()):
                entry, _, rest = item.partition("@")
                stamp = rest.partition("#")[0]
                if low <= stamp < high and (self.entries is None or entry in self.entries):
                    kept.append((stamp, item))
            out[code] = tuple(kept)
        return out


def _effective() -> ColumnElement[datetime]:
    """When a publication takes effect: its window's start; a roll-back's moment of making."""
    return case((Publication.rollback_of.is_(None), Publication.window_start),
                else_=Publication.created_at)


def _consulted(session: Session, since: datetime, until: datetime) -> list[tuple[int, datetime]]:
    """(number, takes effect) of the publication in force at ``since`` and of every one taking
    effect before ``until``, in order of taking effect."""
    effective = _effective()
    made = select(Publication.number, effective).where(Publication.created_at <= until)
    first = session.execute(made.where(effective <= since)
                            .order_by(effective.desc(), Publication.number.desc())
                            .limit(1)).first()
    later = session.execute(made.where(effective > since, effective < until)
                            .order_by(effective, Publication.number)).all()
    return [(n, e) for n, e in ([first] if first else []) + list(later)]


def _expected(indexes: _Indexes, consulted: Sequence[tuple[int, datetime]],
              since: datetime) -> dict[str, frozenset[str]]:
    """Per station: the items listed by the publication in force for it at each item's start."""
    reigns: dict[str, list[tuple[str, ItemStamps]]] = defaultdict(list)
    for number, effective in consulted:
        listed = indexes.get(number)
        for code, items in (listed or {}).items():
            reigns[code].append((_stamp(max(effective, since)), items))
    high = indexes.period[1]
    expected: dict[str, frozenset[str]] = {}
    for code, reign in reigns.items():
        found: set[str] = set()
        for k, (start, items) in enumerate(reign):
            low = indexes.period[0] if k == 0 else start
            end = reign[k + 1][0] if k + 1 < len(reign) else high
            found.update(item for stamp, item in items if low <= stamp < end)
        expected[code] = frozenset(found)
    return expected


# -- the database -------------------------------------------------------------------------------

def _entries_of(session: Session, programme: str) -> frozenset[str]:
    """Entry codes of a programme (announcements keep theirs after a cancel); NotFound when
    nothing knows the programme."""
    entries = set(session.scalars(select(Entry.code).where(Entry.programme == programme)))
    entries |= set(session.scalars(select(Announcement.entry_code)
                                   .where(Announcement.programme == programme)))
    if not entries and session.scalar(select(Programme.id)
                                      .where(Programme.code == programme)) is None:
        raise NotFound(f"no programme with code {programme!r}; see: broadcaster programme list")
    return frozenset(entries - {""})


def _in_scope(query: _Q, station_id: Any, groups: frozenset[int] | None) -> _Q:
    """The query limited to stations of the scope's groups (no limit without a scope)."""
    if groups is None:
        return query
    return query.join(Station, Station.id == station_id).where(Station.group_id.in_(groups))


@dataclass
class _Plays:
    played: int = 0
    first: datetime | None = None
    other: dict[str, int] = field(default_factory=dict)


def _plays(session: Session, since: datetime, until: datetime, programme: str | None,
           entries: frozenset[str], groups: frozenset[int] | None,
           expected: Mapping[int, frozenset[str]]) -> dict[int, _Plays]:
    """Per station id: plays scheduled in the period, of the programme (its name or its
    entries), or without a programme of the entries of the station's expected items."""
    query = (select(Play.station_id, Play.entry_code, Play.outcome,
                    func.count(distinct(Play.item_id)), func.min(Play.started_at))
             .where(Play.scheduled_start >= since, Play.scheduled_start < until)
             .group_by(Play.station_id, Play.entry_code, Play.outcome))
    if programme is not None:
        query = query.where(or_(Play.programme == programme, Play.entry_code.in_(entries)))
    out: dict[int, _Plays] = defaultdict(_Plays)
    for station_id, entry, outcome, count, first in session.execute(
            _in_scope(query, Play.station_id, groups)):
        if programme is None and entry not in expected.get(station_id, ()):
            continue
        tally = out[station_id]
        if outcome == "played":
            tally.played += count
            if first is not None and (tally.first is None or first < tally.first):
                tally.first = first
        else:
            tally.other[outcome] = tally.other.get(outcome, 0) + count
    return out


def _holdings(session: Session, since: datetime, until: datetime,
              groups: frozenset[int] | None) -> list[tuple[int, str, int, datetime]]:
    """(station id, code, publication, first held), oldest first, for the publications whose
    window meets the period."""
    query = (select(Holding.station_id, Station.code, Holding.publication, Holding.first_at)
             .join(Station, Station.id == Holding.station_id)
             .join(Publication, Publication.number == Holding.publication)
             .where(Publication.window_start < until, Publication.window_end > since,
                    Publication.created_at <= until)
             .order_by(Holding.first_at, Holding.publication))
    if groups is not None:
        query = query.where(Station.group_id.in_(groups))
    return [(sid, code, number, first) for sid, code, number, first in session.execute(query)]


# -- the report ---------------------------------------------------------------------------------

def coverage(app: Parts, since: datetime, until: datetime, programme: str | None = None,
             group: str | None = None) -> Coverage:
    """Who was expected to play (``programme``, or everything) in ``[since, until)``, who
    received it and who played it, per station and per group (``group`` and below, or all)."""
    with app.sessions() as session:
        tree = list_groups(session)
        top = get_group(session, group) if group else None
        scope = subtree_ids(((g.id, g.parent_id) for g in tree), top.id) if top else None
        entries = _entries_of(session, programme) if programme is not None else None
        query = select(Station.id, Station.code, Station.name, Station.group_id)
        if scope is not None:
            query = query.where(Station.group_id.in_(scope))
        stations = session.execute(query.order_by(Station.code)).all()
        indexes = _Indexes(root(app), (s.code for s in stations),
                           (_stamp(since), _stamp(until)), entries)
        consulted = _consulted(session, since, until)
        expected = _expected(indexes, consulted, since)
        ids = {s.code: s.id for s in stations}
        plays = _plays(session, since, until, programme, entries or frozenset(), scope,
                       {ids[c]: frozenset(i.partition("@")[0] for i in items)
                        for c, items in expected.items()})
        received = _received(indexes, expected, _holdings(session, since, until, scope))
        seen = {sid: (last, off) for sid, last, off in session.execute(_in_scope(
            select(StationStatus.station_id, StationStatus.last_seen_at,
                   StationStatus.offline_since), StationStatus.station_id, scope))}
    codes = {g.id: g.code for g in tree}
    rows = []
    for s in stations:
        wanted = len(expected.get(s.code, ()))
        if programme is not None and not wanted:
            continue
        got, play = received.get(s.id), plays.get(s.id, _Plays())
        last, off = seen.get(s.id, (None, None))
        rows.append(StationCoverage(
            s.code, s.name, codes.get(s.group_id), wanted, got[0] if got else None,
            got[1] if got else None, play.played, play.first,
            {k: play.other[k] for k in OTHER_OUTCOMES if play.other.get(k)}, last, off))
    groups, total = _summaries(tree, top, rows, {s.code: s.group_id for s in stations})
    return Coverage(since, until, programme, top.code if top else None,
                    tuple(n for n, _ in consulted), tuple(rows), groups, total,
                    tuple(sorted(indexes.unreadable)))


def _received(indexes: _Indexes, expected: Mapping[str, frozenset[str]],
              holdings: Sequence[tuple[int, str, int, datetime]]
              ) -> dict[int, tuple[datetime, int]]:
    """Per station id: the first report of holding a publication that lists one of its expected
    items, and that publication's number."""
    received: dict[int, tuple[datetime, int]] = {}
    for station_id, code, number, first_at in holdings:  # oldest first
        if station_id in received or not expected.get(code):
            continue
        listed = (indexes.get(number) or {}).get(code, ())
        if any(item in expected[code] for _, item in listed):
            received[station_id] = (first_at, number)
    return received


def _count(code: str, name: str, depth: int, rows: Sequence[StationCoverage]) -> GroupCoverage:
    wanted = [r for r in rows if r.expected]
    return GroupCoverage(code, name, depth, len(rows), len(wanted),
                         sum(r.received for r in wanted), sum(r.played > 0 for r in wanted),
                         sum(r.status == "offline" for r in wanted),
                         sum(r.status == "never" for r in wanted))


def _summaries(tree: Sequence[Group], top: Group | None, rows: Sequence[StationCoverage],
               group_of: Mapping[str, int | None]) -> tuple[tuple[GroupCoverage, ...],
                                                            GroupCoverage]:
    """Per group of the scope (parents before children): its stations and all below it."""
    parent = {g.id: g.parent_id for g in tree}
    depth: dict[int, int] = {}
    for g in tree:
        depth[g.id] = 0 if (top is not None and g.id == top.id) or g.parent_id is None \
            else depth.get(g.parent_id, -1) + 1
    below: dict[int, list[StationCoverage]] = defaultdict(list)
    for row in rows:
        node = group_of[row.code]
        while node is not None:
            below[node].append(row)
            node = None if top is not None and node == top.id else parent.get(node)
    groups = tuple(_count(g.code, g.name, depth[g.id], below[g.id]) for g in tree
                   if below.get(g.id))
    total = _count(top.code if top else "all", top.name if top else "all stations", 0, rows)
    return groups, total


def _local(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def station_json(row: StationCoverage, tz: ZoneInfo = LOCAL) -> dict[str, Any]:
    """One station as JSON (and CSV) fields, times local ISO 8601 with their offset."""
    return {
        "code": row.code, "name": row.name, "group": row.group, "expected": row.expected,
        "received": row.received, "received_at": _local(row.received_at, tz),
        "received_publication": row.received_publication, "played": row.played,
        "first_played_at": _local(row.first_played_at, tz),
        **{k: row.other.get(k, 0) for k in OTHER_OUTCOMES},
        "status": row.status, "last_seen_at": _local(row.last_seen_at, tz),
        "offline_since": _local(row.offline_since, tz),
    }


def group_json(row: GroupCoverage) -> dict[str, Any]:
    """One group's counts and percentages as JSON."""
    return {"code": row.code, "name": row.name, "depth": row.depth, "stations": row.stations,
            "expected": row.expected, "received": row.received, "played": row.played,
            "received_pct": row.received_pct, "played_pct": row.played_pct,
            "offline": row.offline, "never_reported": row.never}


def to_json(report: Coverage, tz: ZoneInfo = LOCAL) -> dict[str, Any]:
    """The whole report as a JSON-ready object."""
    return {
        "period": {"since": _local(report.since, tz), "until": _local(report.until, tz),
                   "timezone": str(tz.key)},
        "programme": report.programme, "group": report.group,
        "publications": list(report.publications),
        "unreadable_publications": list(report.unreadable),
        "stations": [station_json(r, tz) for r in report.stations],
        "groups": [group_json(g) for g in report.groups],
        "total": group_json(report.total),
    }
