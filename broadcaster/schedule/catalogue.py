"""What planning reads from the database, read once per run.

Planning 10,000 stations must not cost 10,000 rounds of queries. A :class:`Catalogue` reads
every group, entry and programme definition in three queries and then answers per station
from memory: its group chain, the entries that reach it (its own and its groups', sorted by
code) and the broadcast rules in force. :func:`load_targets` reads the stations themselves as
plain rows. The catalogue is a snapshot: build a new one for each run.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broadcaster.db import Entry, Group, Programme, Station
from broadcaster.domain.rules import Rules, merge_stored, rules_from_json
from broadcaster.domain.tree import ancestors
from broadcaster.errors import NotFound
from broadcaster.programme import ProgrammeDef


@dataclass(frozen=True)
class Target:
    """A station as planning sees it: a plain row, usable without a session."""

    code: str
    name: str
    kind: str
    profile: str
    timezone: str
    group_id: int | None

    @classmethod
    def of(cls, station: Station) -> Target:
        """The row of a loaded station."""
        return cls(station.code, station.name, station.kind, station.profile,
                   station.timezone, station.group_id)


@dataclass(frozen=True)
class _GroupRow:
    id: int
    code: str
    parent_id: int | None
    rules: dict[str, Any]


def load_targets(session: Session, codes: Collection[str] | None = None) -> list[Target]:
    """Every station (or those whose code is in ``codes``), by code, in one query."""
    rows = session.execute(select(Station.code, Station.name, Station.kind, Station.profile,
                                  Station.timezone, Station.group_id).order_by(Station.code))
    wanted = None if codes is None else set(codes)
    return [Target(*row) for row in rows if wanted is None or row[0] in wanted]


class Catalogue:
    """Groups, entries and programme definitions, read once; per-station answers cached."""

    def __init__(self, session: Session) -> None:
        self._groups = {row.id: _GroupRow(row.id, row.code, row.parent_id, row.rules or {})
                        for row in session.execute(select(Group.id, Group.code,
                                                          Group.parent_id, Group.rules))}
        self._entries: dict[str, list[Entry]] = {}
        for entry in session.scalars(select(Entry).order_by(Entry.code)):
            self._entries.setdefault(entry.target, []).append(entry)
        self._programmes = {row.code: row.definition for row in
                            session.execute(select(Programme.code, Programme.definition))}
        self._defs: dict[str, ProgrammeDef] = {}
        self._chains: dict[int | None, tuple[_GroupRow, ...]] = {}
        self._reaching: dict[int | None, tuple[Entry, ...]] = {}
        self._rules: dict[int | None, Rules] = {}

    def chain(self, group_id: int | None) -> tuple[_GroupRow, ...]:
        """The group and its ancestors, nearest first (see ``stations.group_chain``)."""
        if group_id not in self._chains:
            start = self._groups.get(group_id) if group_id is not None else None
            self._chains[group_id] = tuple(ancestors(start, self._parent))
        return self._chains[group_id]

    def _parent(self, node: _GroupRow) -> _GroupRow | None:
        return self._groups.get(node.parent_id) if node.parent_id is not None else None

    def entries_for(self, code: str, group_id: int | None) -> tuple[Entry, ...]:
        """Entries targeting the station ``code`` or any group above it, by entry code."""
        if group_id not in self._reaching:
            reaching = [e for g in self.chain(group_id) for e in self._entries.get(g.code, ())]
            self._reaching[group_id] = tuple(sorted(reaching, key=lambda e: e.code))
        own = self._entries.get(code)
        if not own:
            return self._reaching[group_id]
        return tuple(sorted([*self._reaching[group_id], *own], key=lambda e: e.code))

    def rules(self, group_id: int | None) -> Rules:
        """The rules in force for a group: its own, the unset ones from its ancestors."""
        if group_id not in self._rules:
            self._rules[group_id] = rules_from_json(
                merge_stored(node.rules for node in self.chain(group_id)))
        return self._rules[group_id]

    def programme(self, code: str) -> ProgrammeDef:
        """The programme definition with this code."""
        if code not in self._defs:
            if code not in self._programmes:
                raise NotFound(f"no programme with code {code!r}")
            self._defs[code] = ProgrammeDef.from_json(self._programmes[code])
        return self._defs[code]
