"""Make the database match schedule files, and write the database back as a schedule.

``apply_spec`` is idempotent: applying the same files twice changes nothing the second time. It
adds what the files add, changes what differs, and removes groups, stations, programmes and
entries the files no longer mention, all in one transaction (the caller's), and reports each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from broadcaster.db import Alias as AliasRow
from broadcaster.db import Entry, Group, Programme, Station, utcnow
from broadcaster.errors import InputError, NotFound
from broadcaster.programme import ItemDef, ProgrammeDef, get_programme, save_programme
from broadcaster.schedule.spec import (
    Alias,
    EntrySpec,
    GroupSpec,
    ItemSpec,
    ProgrammeSpec,
    ScheduleSpec,
    StationSpec,
)
from broadcaster.stations import (
    check_timezone,
    get_group,
    get_station,
    list_groups,
    rules_from_json,
)


@dataclass
class ApplyReport:
    """What ``apply`` did, one line per object."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        """True when the database already matched."""
        return not (self.added or self.changed or self.removed)


def _programme_def(spec: ProgrammeSpec) -> ProgrammeDef:
    items = tuple(ItemDef(i.kind, i.value,
                          int(i.duration.total_seconds() * 1000) if i.duration else None,
                          i.fallback) for i in spec.items)
    return ProgrammeDef(spec.code, spec.title, items, spec.gap_ms, spec.fade_ms)


def _entry_fields(spec: EntrySpec) -> dict[str, Any]:
    return {
        "programme": spec.programme, "clip_sha256": spec.clip, "target": spec.target,
        "start_time": spec.start_time.strftime("%H:%M") if spec.start_time else None,
        "start_at": spec.start_at.isoformat(timespec="seconds") if spec.start_at else None,
        "rrule": spec.rrule, "valid_from": spec.valid_from, "valid_until": spec.valid_until,
        "exdates": [d.isoformat() for d in spec.exdates], "priority": spec.priority,
        "on_collision": spec.on_collision, "slot_minutes": spec.slot_minutes,
    }


def _update(row: Any, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    if changed and hasattr(row, "updated_at"):
        row.updated_at = utcnow()
    return changed


def _sync_aliases(session: Session, aliases: tuple[Alias, ...], *, group: Group | None = None,
                  station: Station | None = None) -> bool:
    link = AliasRow.group_id == group.id if group else AliasRow.station_id == (
        station.id if station else -1)
    have = {(a.code, a.name) for a in session.scalars(select(AliasRow).where(link))}
    want = {(a.code, a.name) for a in aliases}
    if have == want:
        return False
    session.execute(delete(AliasRow).where(link))
    session.flush()
    for code, name in sorted(want):
        session.add(AliasRow(code=code, name=name, group_id=group.id if group else None,
                             station_id=station.id if station else None))
    session.flush()
    return True


def _ordered_groups(groups: tuple[GroupSpec, ...]) -> list[GroupSpec]:
    by_code = {g.code: g for g in groups}
    ordered: list[GroupSpec] = []
    done: set[str] = set()

    def visit(g: GroupSpec) -> None:
        if g.code in done:
            return
        if g.parent in by_code:
            visit(by_code[g.parent])
        done.add(g.code)
        ordered.append(g)

    for g in groups:
        visit(g)
    return ordered


def apply_spec(session: Session, spec: ScheduleSpec, valid_profiles: tuple[str, ...]
               ) -> ApplyReport:
    """Make the database hold exactly what ``spec`` says."""
    report = ApplyReport()
    groups = {g.code: g for g in session.scalars(select(Group))}
    for g in _ordered_groups(spec.groups):
        rules = g.rules.to_json() if g.rules else {}
        rules_from_json(rules, f"group {g.code} rules")
        parent = groups[g.parent] if g.parent else None
        values = {"name": g.name, "kind": g.kind, "parent_id": parent.id if parent else None,
                  "rules": rules}
        row = groups.get(g.code)
        if row is None:
            row = Group(code=g.code, **values)
            session.add(row)
            session.flush()
            groups[g.code] = row
            report.added.append(f"group {g.code}")
            _sync_aliases(session, g.aliases, group=row)
        elif _update(row, values) | _sync_aliases(session, g.aliases, group=row):
            report.changed.append(f"group {g.code}")
    session.flush()

    stations = {s.code: s for s in session.scalars(select(Station))}
    for s in spec.stations:
        if s.profile not in valid_profiles:
            raise InputError(f"{s.loc}: station {s.code}: unknown output profile {s.profile!r}; "
                             f"valid profiles: {', '.join(sorted(valid_profiles))}")
        values = {"name": s.name, "kind": s.kind, "profile": s.profile,
                  "timezone": check_timezone(s.timezone),
                  "group_id": groups[s.group].id if s.group else None}
        row_s = stations.get(s.code)
        if row_s is None:
            row_s = Station(code=s.code, **values)
            session.add(row_s)
            session.flush()
            report.added.append(f"station {s.code}")
            _sync_aliases(session, s.aliases, station=row_s)
        elif _update(row_s, values) | _sync_aliases(session, s.aliases, station=row_s):
            report.changed.append(f"station {s.code}")

    for p in spec.programmes:
        _, status = save_programme(session, _programme_def(p))
        if status != "unchanged":
            getattr(report, status).append(f"programme {p.code}")

    entries = {e.code: e for e in session.scalars(select(Entry))}
    for e in spec.entries:
        row_e = entries.get(e.id)
        if row_e is None:
            session.add(Entry(code=e.id, **_entry_fields(e)))
            report.added.append(f"entry {e.id}")
        elif _update(row_e, _entry_fields(e)):
            report.changed.append(f"entry {e.id}")
    session.flush()

    # Removals, dependants first.
    keep_entries = {e.id for e in spec.entries}
    for code, row_e in sorted(entries.items()):
        if code not in keep_entries:
            session.delete(row_e)
            report.removed.append(f"entry {code}")
    keep_programmes = {p.code for p in spec.programmes}
    for row_p in session.scalars(select(Programme).order_by(Programme.code)):
        if row_p.code not in keep_programmes:
            session.delete(row_p)
            report.removed.append(f"programme {row_p.code}")
    keep_stations = {s.code for s in spec.stations}
    for code, row_s in sorted(stations.items()):
        if code not in keep_stations:
            session.delete(row_s)
            report.removed.append(f"station {code}")
    session.flush()
    keep_groups = {g.code for g in spec.groups}
    for row_g in reversed(list_groups(session)):
        if row_g.code not in keep_groups:
            session.delete(row_g)
            session.flush()
            report.removed.append(f"group {row_g.code}")
    return report


def save_entry(session: Session, spec: EntrySpec) -> str:
    """Add or change one entry from the command line; returns 'added', 'changed' or
    'unchanged'. References are checked and former codes resolved like the file loader does."""


    try:
        target = get_station(session, spec.target).code
    except NotFound:
        try:
            target = get_group(session, spec.target).code
        except NotFound:
            raise InputError(f"entry {spec.id}: no station or group with code "
                             f"{spec.target!r}") from None
    if spec.programme:
        get_programme(session, spec.programme)
    if spec.rrule:
        if spec.start_time is None:
            raise InputError(f"entry {spec.id}: a repeating entry needs --start HH:MM")
        try:
            rrulestr(spec.rrule, dtstart=datetime.combine(spec.valid_from or date(2025, 1, 1),
                                                         spec.start_time))
        except (ValueError, TypeError) as exc:
            raise InputError(f"entry {spec.id}: rrule {spec.rrule!r} is not valid: {exc}") \
                from None
    elif spec.start_time is not None:
        raise InputError(f"entry {spec.id}: a one-off entry needs --start YYYY-MM-DDTHH:MM")
    elif spec.start_at is None and spec.priority == "emergency":
        raise InputError(f"entry {spec.id}: an emergency needs --start")
    fields = _entry_fields(spec) | {"target": target}
    row = session.scalar(select(Entry).where(Entry.code == spec.id))
    if row is None:
        session.add(Entry(code=spec.id, **fields))
        session.flush()
        return "added"
    return "changed" if _update(row, fields) else "unchanged"


def remove_entry(session: Session, code: str) -> None:
    """Delete one entry."""
    row = session.scalar(select(Entry).where(Entry.code == code))
    if row is None:
        raise InputError(f"no entry with id {code!r}")
    session.delete(row)
    session.flush()


def _aliases(session: Session, link: Any) -> tuple[Alias, ...]:
    return tuple(Alias(a.code, a.name) for a in
                 session.scalars(select(AliasRow).where(link).order_by(AliasRow.code)))


def export_spec(session: Session) -> ScheduleSpec:
    """The database as a schedule (what ``schedule export`` writes)."""
    groups = tuple(
        GroupSpec(g.code, g.name, g.kind,  # type: ignore[arg-type]
                  g.parent.code if g.parent else None,
                  rules_from_json(g.rules) if g.rules else None,
                  _aliases(session, AliasRow.group_id == g.id))
        for g in list_groups(session))
    stations = tuple(
        StationSpec(s.code, s.name, s.kind, s.group.code if s.group else None,  # type: ignore[arg-type]
                    s.profile, s.timezone, _aliases(session, AliasRow.station_id == s.id))
        for s in session.scalars(select(Station).order_by(Station.code)))
    programmes = []
    for row in session.scalars(select(Programme).order_by(Programme.code)):
        d = ProgrammeDef.from_json(row.definition)
        programmes.append(ProgrammeSpec(d.code, d.title, tuple(
            ItemSpec(i.kind, i.value,
                     timedelta(milliseconds=i.duration_ms) if i.duration_ms is not None
                     else None, i.fallback) for i in d.items), d.gap_ms, d.fade_ms))
    entries = tuple(
        EntrySpec(e.code, e.programme, e.clip_sha256, e.target,
                  time.fromisoformat(e.start_time) if e.start_time else None,
                  datetime.fromisoformat(e.start_at) if e.start_at else None,
                  e.rrule, e.valid_from, e.valid_until,
                  tuple(date.fromisoformat(d) for d in e.exdates or []),
                  e.priority, e.on_collision, e.slot_minutes)  # type: ignore[arg-type]
        for e in session.scalars(select(Entry).order_by(Entry.code)))
    return ScheduleSpec(None, groups, stations, tuple(programmes), entries)
