"""Stations and groups: who plays, how they are organised, and their secret tokens.

Groups form a tree that follows the administration since 2025 (province -> commune or ward ->
loudspeaker cluster; any depth). A station belongs to a group and inherits its entries and
broadcast rules. Former (pre-2025) codes and names are kept as aliases, so old schedules and
logs still resolve to the current unit.

Tokens: 32 random bytes, shown once; only their sha256 is stored. A token has 256 bits of
entropy, so a plain hash is as strong as a slow KDF here and keeps each request's check cheap.
Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.codes import CODE_RE, check_code  # noqa: F401  (re-exported: one code syntax)
from broadcaster.db import Alias, Group, Station, utcnow
from broadcaster.domain.rules import RULE_KEYS as RULE_KEYS  # re-exported (its old home)
from broadcaster.domain.rules import Rules, merge_stored, rules_from_json
from broadcaster.domain.rules import parse_hours as parse_hours  # re-exported (its old home)
from broadcaster.domain.tree import ancestors
from broadcaster.domain.vocabulary import GROUP_KINDS, STATION_KINDS, Origin
from broadcaster.errors import InputError, NotFound
from broadcaster.localtime import DEFAULT_TIMEZONE


def effective_rules(group: Group | None) -> Rules:
    """The rules in force for a group: its own, filling in what is unset from its ancestors."""
    return rules_from_json(merge_stored(node.rules for node in group_chain(group)))


def group_chain(group: Group | None) -> list[Group]:
    """The group and its ancestors, nearest first."""
    return list(ancestors(group, lambda node: node.parent))


def check_timezone(name: str) -> str:
    """A valid IANA zone name, or a clear error."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r}; use an IANA name such as "
                         f"{DEFAULT_TIMEZONE}") from None
    return name


def _code_taken(session: Session, code: str) -> str | None:
    if session.scalar(select(Group.id).where(Group.code == code)):
        return "a group"
    if session.scalar(select(Station.id).where(Station.code == code)):
        return "a station"
    if session.scalar(select(Alias.id).where(Alias.code == code)):
        return "a former code"
    return None


def _by_code(session: Session, model: type[Group] | type[Station], code: str) -> Any:
    row = session.scalar(select(model).where(model.code == code))
    if row is None:
        link = Alias.group_id if model is Group else Alias.station_id
        alias = session.scalar(select(Alias).where(Alias.code == code, link.is_not(None)))
        row = session.get(model, alias.group_id if model is Group else alias.station_id) \
            if alias else None
    if row is None:
        raise NotFound(f"no {model.__tablename__[:-1]} with code {code!r}")
    return row


def get_group(session: Session, code: str) -> Group:
    """The group with this code or former code."""
    group: Group = _by_code(session, Group, code)
    return group


def get_station(session: Session, code: str) -> Station:
    """The station with this code or former code."""
    station: Station = _by_code(session, Station, code)
    return station


def add_group(session: Session, code: str, name: str, kind: str = "commune",
              parent: str | None = None, rules: dict[str, Any] | None = None,
              aliases: list[tuple[str, str]] | None = None, *,
              origin: str = Origin.CLI.value) -> Group:
    """Create a group under ``parent`` (a code or former code), made by ``origin``."""
    check_code(code, "group")
    if kind not in GROUP_KINDS:
        raise InputError(f"group {code}: kind {kind!r} is not one of {', '.join(GROUP_KINDS)}")
    if not name.strip():
        raise InputError(f"group {code}: the name is empty")
    if taken := _code_taken(session, code):
        raise InputError(f"group code {code!r} is already used by {taken}")
    rules_from_json(rules or {}, f"group {code} rules")
    group = Group(code=code, name=name.strip(), kind=kind, rules=dict(rules or {}),
                  parent=get_group(session, parent) if parent else None, origin=origin)
    session.add(group)
    session.flush()
    for old_code, old_name in aliases or []:
        add_alias(session, old_code, old_name, group=group)
    return group


def add_station(session: Session, code: str, name: str, kind: str = "loudspeaker",
                profile: str = "loudspeaker", timezone: str = DEFAULT_TIMEZONE,
                group: str | None = None, aliases: list[tuple[str, str]] | None = None,
                valid_profiles: tuple[str, ...] | None = None, *,
                origin: str = Origin.CLI.value) -> Station:
    """Create a station in ``group`` (a code or former code), made by ``origin``."""
    check_code(code, "station")
    if kind not in STATION_KINDS:
        raise InputError(f"station {code}: kind {kind!r} is not one of "
                         f"{', '.join(STATION_KINDS)}")
    if valid_profiles is not None and profile not in valid_profiles:
        raise InputError(f"station {code}: unknown output profile {profile!r}; valid profiles: "
                         f"{', '.join(sorted(valid_profiles))}")
    if not name.strip():
        raise InputError(f"station {code}: the name is empty")
    if taken := _code_taken(session, code):
        raise InputError(f"station code {code!r} is already used by {taken}")
    station = Station(code=code, name=name.strip(), kind=kind, profile=profile,
                      timezone=check_timezone(timezone),
                      group=get_group(session, group) if group else None, origin=origin)
    session.add(station)
    session.flush()
    for old_code, old_name in aliases or []:
        add_alias(session, old_code, old_name, station=station)
    return station


def add_alias(session: Session, code: str, name: str, *, group: Group | None = None,
              station: Station | None = None) -> Alias:
    """Record a former code and name of a group or station."""
    check_code(code, "former")
    if taken := _code_taken(session, code):
        raise InputError(f"former code {code!r} is already used by {taken}")
    alias = Alias(code=code, name=name, group_id=group.id if group else None,
                  station_id=station.id if station else None)
    session.add(alias)
    session.flush()
    return alias


def aliases_of(session: Session, *, group: Group | None = None,
               station: Station | None = None) -> list[Alias]:
    """Former codes of a group or a station."""
    query = select(Alias).order_by(Alias.code)
    query = query.where(Alias.group_id == group.id) if group else \
        query.where(Alias.station_id == (station.id if station else -1))
    return list(session.scalars(query))


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def rotate_token(session: Session, station: Station) -> str:
    """Issue a new token for ``station`` (the old one stops working) and return it, once."""
    token = secrets.token_urlsafe(32)
    station.token_sha256 = hash_token(token)
    station.token_issued_at = station.updated_at = utcnow()
    session.flush()
    return token


def token_matches(station: Station, token: str) -> bool:
    """Constant-time check of a presented token."""
    if not station.token_sha256:
        return False
    return hmac.compare_digest(station.token_sha256, hash_token(token))


def station_summary(session: Session, station: Station) -> dict[str, Any]:
    """A JSON-ready description of a station (never its token)."""
    chain = group_chain(station.group)
    return {
        "code": station.code, "name": station.name, "kind": station.kind,
        "profile": station.profile, "timezone": station.timezone,
        "group": station.group.code if station.group else None, "origin": station.origin,
        "groups": [g.code for g in chain],
        "rules": effective_rules(station.group).to_json(),
        "aliases": [{"code": a.code, "name": a.name} for a in aliases_of(session, station=station)],
        "token_issued_at": station.token_issued_at.isoformat() if station.token_issued_at
        else None,
    }


def group_summary(session: Session, group: Group) -> dict[str, Any]:
    """A JSON-ready description of a group."""
    return {
        "code": group.code, "name": group.name, "kind": group.kind,
        "parent": group.parent.code if group.parent else None, "origin": group.origin,
        "rules": group.rules or {}, "effective_rules": effective_rules(group).to_json(),
        "aliases": [{"code": a.code, "name": a.name} for a in aliases_of(session, group=group)],
        "stations": sorted(session.scalars(select(Station.code)
                                           .where(Station.group_id == group.id))),
    }


def list_stations(session: Session, group: str | None = None) -> list[Station]:
    """Stations, by code; with ``group``, those in that group or below it."""
    query = select(Station).order_by(Station.code)
    if group is not None:
        below = subtree_ids(session.execute(select(Group.id, Group.parent_id)).all(),
                            get_group(session, group).id)
        query = query.where(Station.group_id.in_(below))
    return list(session.scalars(query))


def subtree_ids(groups: Iterable[tuple[int, int | None]], top: int) -> frozenset[int]:
    """The ids of group ``top`` and of every group below it, from (id, parent id) pairs in
    any order: a country has thousands of stations but few groups, so read them all once."""
    children: dict[int | None, list[int]] = {}
    for gid, parent in groups:
        children.setdefault(parent, []).append(gid)
    below, todo = {top}, [top]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in below:
                below.add(child)
                todo.append(child)
    return frozenset(below)


def list_groups(session: Session) -> list[Group]:
    """Every group, parents before children, siblings by code."""
    groups = list(session.scalars(select(Group).order_by(Group.code)))
    children: dict[int | None, list[Group]] = {}
    for g in groups:
        children.setdefault(g.parent_id, []).append(g)
    ordered: list[Group] = []

    def walk(parent: int | None) -> None:
        for g in children.get(parent, []):
            ordered.append(g)
            walk(g.id)

    walk(None)
    return ordered
