"""Make the database match schedule files, and write the database back as a schedule.

``apply_spec`` is idempotent: applying the same files twice changes nothing the second time. It
reconciles only the rows the files own (origin ``file``, see :mod:`broadcaster.origins`): adds
what the files add, changes what differs, and removes the groups, stations, programmes and
entries of the files that they no longer mention, all in one transaction (the caller's), and
reports each. Rows made with the command line, in the web UI or by ``announce`` are never
changed or removed by it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil.rrule import rrulestr
from sqlalchemy import delete, select, true
from sqlalchemy.orm import Session

from broadcaster.codes import check_code
from broadcaster.db import Alias as AliasRow
from broadcaster.db import Document, Entry, Group, Programme, Station, utcnow
from broadcaster.db.models import User
from broadcaster.domain.vocabulary import Priority
from broadcaster.errors import InputError, NotFound
from broadcaster.origins import Origin, check_change, check_removal, label
from broadcaster.programme import ItemDef, ProgrammeDef, get_programme, save_programme
from broadcaster.schedule.bounds import rule_problem
from broadcaster.schedule.spec import (
    Alias,
    EntrySpec,
    GroupSpec,
    ItemSpec,
    Location,
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
    adopted: list[str] = field(default_factory=list)   # rows made elsewhere, now the files'

    @property
    def unchanged(self) -> bool:
        """True when the database already matched."""
        return not (self.added or self.changed or self.removed or self.adopted)


class OwnershipError(InputError):
    """``schedule apply`` refused: the files name rows made elsewhere, or would remove rows
    that rows made elsewhere still need. ``problems`` holds one sentence per row."""

    def __init__(self, problems: list[str], hint: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems) + f"\n{len(problems)} problem(s): {hint}")


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


def _foreign(session: Session, spec: ScheduleSpec) -> list[tuple[str, str, Location, Any]]:
    """(kind, code, where the files name it, the row) for every row the files name that was
    made elsewhere (there are few of those: read them, not every row)."""
    tables: tuple[tuple[str, Any, dict[str, Location]], ...] = (
        ("group", Group, {g.code: g.loc for g in spec.groups}),
        ("station", Station, {s.code: s.loc for s in spec.stations}),
        ("programme", Programme, {p.code: p.loc for p in spec.programmes}),
        ("entry", Entry, {e.id: e.loc for e in spec.entries}))
    return [(kind, row.code, named[row.code], row) for kind, model, named in tables
            for row in session.scalars(select(model).where(model.origin != Origin.FILE.value)
                                       .order_by(model.code))
            if row.code in named]


def _take_over(session: Session, spec: ScheduleSpec, adopt: bool, report: ApplyReport) -> None:
    """Refuse a file that names rows made elsewhere; with ``adopt``, give them to the files."""
    foreign = _foreign(session, spec)
    if not foreign:
        return
    if not adopt:
        raise OwnershipError([
            f"{loc}: {kind} {code} was made {label(row.origin)} (origin {row.origin}); the "
            "files may not change it" for kind, code, loc, row in foreign],
            "remove those from the files (or use other codes), or apply with --adopt to let "
            "the files own them from now on")
    for kind, code, _, row in foreign:
        report.adopted.append(f"{kind} {code} (made {label(row.origin)})")
        row.origin = Origin.FILE.value
    session.flush()


def apply_spec(session: Session, spec: ScheduleSpec, valid_profiles: tuple[str, ...], *,
               adopt: bool = False) -> ApplyReport:
    """Make the rows the files own hold exactly what ``spec`` says.

    Only rows made by the files (origin ``file``) are added, changed or removed. A file that
    names a row made elsewhere (the command line, the web UI, announce) is refused with
    :class:`OwnershipError` unless ``adopt`` gives the row to the files; a row the files no
    longer name is not removed while a row made elsewhere still needs it (see
    :func:`_removals`). Nothing is written when it refuses (the caller's transaction rolls
    back).
    """
    report = ApplyReport()
    _take_over(session, spec, adopt, report)
    groups = {g.code: g for g in session.scalars(select(Group))}
    for g in _ordered_groups(spec.groups):
        rules = g.rules.to_json() if g.rules else {}
        rules_from_json(rules, f"group {g.code} rules")
        parent = groups[g.parent] if g.parent else None
        values = {"name": g.name, "kind": g.kind, "parent_id": parent.id if parent else None,
                  "rules": rules}
        row = groups.get(g.code)
        if row is None:
            row = Group(code=g.code, origin=Origin.FILE.value, **values)
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
            row_s = Station(code=s.code, origin=Origin.FILE.value, **values)
            session.add(row_s)
            session.flush()
            report.added.append(f"station {s.code}")
            _sync_aliases(session, s.aliases, station=row_s)
        elif _update(row_s, values) | _sync_aliases(session, s.aliases, station=row_s):
            report.changed.append(f"station {s.code}")

    for p in spec.programmes:
        _, status = save_programme(session, _programme_def(p), origin=Origin.FILE.value)
        if status != "unchanged":
            getattr(report, status).append(f"programme {p.code}")

    entries = {e.code: e for e in session.scalars(select(Entry))}
    for e in spec.entries:
        row_e = entries.get(e.id)
        if row_e is None:
            session.add(Entry(code=e.id, origin=Origin.FILE.value, **_entry_fields(e)))
            report.added.append(f"entry {e.id}")
        elif _update(row_e, _entry_fields(e)):
            report.changed.append(f"entry {e.id}")
    session.flush()
    _removals(session, spec, report)
    return report


def _removals(session: Session, spec: ScheduleSpec, report: ApplyReport) -> None:
    """Remove the rows of the files that the files no longer name, dependants first; refuse
    (naming both) while a row made elsewhere still needs one of them."""
    def gone(model: Any, keep: set[str]) -> list[Any]:
        return [row for row in session.scalars(select(model).order_by(model.code)
                                               .where(model.origin == Origin.FILE.value))
                if row.code not in keep]

    entries = gone(Entry, {e.id for e in spec.entries})
    programmes = gone(Programme, {p.code for p in spec.programmes})
    stations = gone(Station, {s.code for s in spec.stations})
    groups = gone(Group, {g.code for g in spec.groups})
    blockers = _blockers(session, entries, programmes, stations, groups)
    if blockers:
        raise OwnershipError(blockers, "keep them in the files, or first change or remove "
                             "what needs them")
    for kind, rows in (("entry", entries), ("programme", programmes), ("station", stations)):
        for row in rows:
            session.delete(row)
            report.removed.append(f"{kind} {row.code}")
        session.flush()
    removing = {g.id for g in groups}
    for row_g in reversed(list_groups(session)):   # children before parents
        if row_g.id in removing:
            session.delete(row_g)
            session.flush()
            report.removed.append(f"group {row_g.code}")


def _blockers(session: Session, entries: list[Entry], programmes: list[Programme],
              stations: list[Station], groups: list[Group]) -> list[str]:
    """Why rows of the files cannot go: what, made elsewhere, still needs them."""
    out: list[str] = []
    if not (programmes or stations or groups):
        return out   # entries are needed by nothing

    def needs(kind: str, code: str, row: Any, what: str, how: str) -> None:
        made = f" (made {label(row.origin)})" if hasattr(row, "origin") else ""
        out.append(f"cannot remove {kind} {code} (no longer in the files): {what}{made} {how}")

    leaving = {e.code for e in entries}
    programme_codes = {p.code for p in programmes}
    station_codes = {s.code for s in stations}
    group_codes = {g.code: g.id for g in groups}
    for entry in session.scalars(select(Entry).order_by(Entry.code)):
        if entry.code in leaving:
            continue
        if entry.programme in programme_codes:
            needs("programme", entry.programme, entry, f"entry {entry.code}", "plays it")
        if entry.target in station_codes or entry.target in group_codes:
            kind = "station" if entry.target in station_codes else "group"
            needs(kind, entry.target, entry, f"entry {entry.code}", "is scheduled for it")
    if group_codes:
        ids = set(group_codes.values())
        by_id = {gid: code for code, gid in group_codes.items()}
        for station in session.scalars(select(Station).where(Station.group_id.in_(ids))
                                       .order_by(Station.code)):
            if station.code not in station_codes:
                needs("group", by_id[station.group_id or 0], station,
                      f"station {station.code}", "is in it")
        for child in session.scalars(select(Group).where(Group.parent_id.in_(ids))
                                     .order_by(Group.code)):
            if child.id not in ids:
                needs("group", by_id[child.parent_id or 0], child, f"group {child.code}",
                      "is below it")
        for user in session.scalars(select(User).where(User.group_code.in_(group_codes))
                                    .order_by(User.name)):
            needs("group", user.group_code or "", user, f"user {user.name} ({user.role})",
                  "belongs to it")
        for programme in session.scalars(select(Programme).order_by(Programme.code)
                                         .where(Programme.owner_group.in_(group_codes))):
            if programme.code not in programme_codes:
                needs("group", programme.owner_group or "", programme,
                      f"programme {programme.code}", "is owned by it")
        for document in session.scalars(select(Document).order_by(Document.key)
                                        .where(Document.owner_group.in_(group_codes))):
            needs("group", document.owner_group or "", document, f"document {document.key}",
                  "is owned by it")
    return out


def save_entry(session: Session, spec: EntrySpec, *, origin: str) -> str:
    """Add or change one entry made by ``origin`` (the command line, the web UI); returns
    'added', 'changed' or 'unchanged'. The id is checked, references too, and former codes
    resolved like the file loader does; an entry another maker owns is refused (see
    :mod:`broadcaster.origins`)."""
    check_code(spec.id, "entry")
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
        reason = rule_problem(spec.rrule)
        if reason:
            raise InputError(f"entry {spec.id}: rrule {spec.rrule!r} is refused: {reason}")
        try:
            rrulestr(spec.rrule, dtstart=datetime.combine(spec.valid_from or date(2025, 1, 1),
                                                         spec.start_time))
        except (ValueError, TypeError) as exc:
            raise InputError(f"entry {spec.id}: rrule {spec.rrule!r} is not valid: {exc}") \
                from None
    elif spec.start_time is not None:
        raise InputError(f"entry {spec.id}: a one-off entry needs --start YYYY-MM-DDTHH:MM")
    elif spec.start_at is None and spec.priority == Priority.EMERGENCY:
        raise InputError(f"entry {spec.id}: an emergency needs --start")
    fields = _entry_fields(spec) | {"target": target}
    row = session.scalar(select(Entry).where(Entry.code == spec.id))
    if row is None:
        session.add(Entry(code=spec.id, origin=origin, **fields))
        session.flush()
        return "added"
    check_change("entry", spec.id, row.origin, origin)
    return "changed" if _update(row, fields) else "unchanged"


def remove_entry(session: Session, code: str, *, origin: str) -> str:
    """Delete one entry, for the maker ``origin``; returns the origin of the entry removed
    (``file``: the next ``schedule apply`` adds it again). An announcement's entry is refused:
    cancel the announcement instead."""
    row = session.scalar(select(Entry).where(Entry.code == code))
    if row is None:
        raise InputError(f"no entry with id {code!r}")
    check_removal("entry", code, row.origin, origin)
    made = row.origin
    session.delete(row)
    session.flush()
    return made


def _aliases(session: Session, link: Any) -> tuple[Alias, ...]:
    return tuple(Alias(a.code, a.name) for a in
                 session.scalars(select(AliasRow).where(link).order_by(AliasRow.code)))


def export_spec(session: Session, origins: Collection[str] | None = (Origin.FILE.value,)
                ) -> ScheduleSpec:
    """The rows made by ``origins`` (default: the files' own; None: every row) as a schedule
    (what ``schedule export`` writes). The files' own rows only ever name each other, so
    their export applies back as it is; an export of every row names rows made elsewhere,
    which ``schedule apply`` takes over only with ``adopt``."""
    def made(model: Any) -> Any:
        return model.origin.in_(list(origins)) if origins is not None else true()

    groups = tuple(
        GroupSpec(g.code, g.name, g.kind,  # type: ignore[arg-type]
                  g.parent.code if g.parent else None,
                  rules_from_json(g.rules) if g.rules else None,
                  _aliases(session, AliasRow.group_id == g.id))
        for g in list_groups(session) if origins is None or g.origin in origins)
    stations = tuple(
        StationSpec(s.code, s.name, s.kind, s.group.code if s.group else None,  # type: ignore[arg-type]
                    s.profile, s.timezone, _aliases(session, AliasRow.station_id == s.id))
        for s in session.scalars(select(Station).where(made(Station)).order_by(Station.code)))
    programmes = []
    for row in session.scalars(select(Programme).where(made(Programme))
                               .order_by(Programme.code)):
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
        for e in session.scalars(select(Entry).where(made(Entry)).order_by(Entry.code)))
    return ScheduleSpec(None, groups, stations, tuple(programmes), entries)
