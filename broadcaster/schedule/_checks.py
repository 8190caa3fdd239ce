"""Checks across all schedule files: duplicate codes, references, the group tree.

Runs on what :mod:`broadcaster.schedule._sections` read from each file and merges the files into
one :class:`ScheduleSpec`, former codes replaced by current ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from broadcaster.schedule._nodes import Problem
from broadcaster.schedule._sections import File, Read
from broadcaster.schedule.spec import GroupSpec, Location, ScheduleSpec, StationSpec


class Checker:
    """Checks that need every file: duplicate codes, references, the group tree."""

    def __init__(self, files: Sequence[File], order: dict[str, int]) -> None:
        self.files = files
        self.order = order
        self.problems: list[Problem] = []
        self.groups: dict[str, Read[GroupSpec]] = {}
        self.stations: dict[str, Read[StationSpec]] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # former code -> (kind, current code)
        self.programmes: set[str] = set()

    def key(self, loc: Location) -> tuple[int, int, int]:
        return self.order.get(loc.file, len(self.order)), loc.line, loc.column

    def unique(self, defs: list[tuple[str, Location, str, str]]) -> None:
        """Refuse a code given twice ``(code, loc, path, what)``, at the second one."""
        first: dict[str, tuple[Location, str]] = {}
        for code, loc, path, what in sorted(defs, key=lambda d: self.key(d[1])):
            if code in first:
                where, used_by = first[code]
                at = f"line {where.line}" if where.file == loc.file else str(where)
                self.problems.append(Problem(loc, path, f"{code!r} is already used by "
                                             f"{used_by} at {at}"))
            else:
                first[code] = (loc, what)

    def run(self) -> None:
        units: list[tuple[str, Location, str, str]] = []
        programmes: list[tuple[str, Location, str, str]] = []
        entries: list[tuple[str, Location, str, str]] = []
        for f in self.files:
            for kind, reads in (("group", f.groups), ("station", f.stations)):
                for r in reads:
                    spec = cast(GroupSpec | StationSpec, r.spec)
                    units.append((spec.code, *r.site("code"), f"the {kind} {spec.code!r}"))
                    for i, alias in enumerate(spec.aliases):
                        units.append((alias.code, alias.loc, f"{r.path}.aliases[{i}].code",
                                      f"a former code of the {kind} {spec.code!r}"))
            programmes += [(r.spec.code, *r.site("code"), "a programme") for r in f.programmes]
            entries += [(r.spec.id, *r.site("id"), "an entry") for r in f.entries]
        for defs in (units, programmes, entries):
            self.unique(defs)
        for f in reversed(self.files):  # the first definition wins
            for group in reversed(f.groups):
                self.groups[group.spec.code] = group
                self.aliases.update({a.code: ("group", group.spec.code)
                                     for a in group.spec.aliases})
            for station in reversed(f.stations):
                self.stations[station.spec.code] = station
                self.aliases.update({a.code: ("station", station.spec.code)
                                     for a in station.spec.aliases})
            self.programmes.update(p.spec.code for p in f.programmes)
        self.references()
        self.cycles()

    def resolve(self, code: str) -> tuple[str | None, str]:
        """(kind, current code) of a group/station code or former code; kind None if unknown."""
        if code in self.groups:
            return "group", code
        if code in self.stations:
            return "station", code
        kind, current = self.aliases.get(code, (None, code))
        return kind, current

    def reference(self, code: str | None, site: tuple[Location, str], kinds: tuple[str, ...],
                  known: Sequence[str]) -> None:
        if code is None:
            return
        what = " or ".join(kinds)
        kind = self.resolve(code)[0] if kinds != ("programme",) else \
            ("programme" if code in self.programmes else None)
        if kind is None:
            close = difflib.get_close_matches(code, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problems.append(Problem(*site, f"no {what} has the code {code!r}{hint}"))
        elif kind not in kinds:
            self.problems.append(Problem(*site, f"{code!r} is a {kind}, not a {what}"))

    def references(self) -> None:
        groups = list(self.groups)
        units = groups + list(self.stations)
        for f in self.files:
            if f.province is not None:
                self.reference(f.province.spec.code, f.province.site("code"), ("group",), groups)
            for g in f.groups:
                self.reference(g.spec.parent, g.site("parent"), ("group",), groups)
            for s in f.stations:
                self.reference(s.spec.group, s.site("group"), ("group",), groups)
            for e in f.entries:
                self.reference(e.spec.target or None, e.site("target"), ("group", "station"),
                               units)
                self.reference(e.spec.programme, e.site("programme"), ("programme",),
                               sorted(self.programmes))
        headers = [f.province for f in self.files if f.province is not None]
        for header in headers[1:]:
            if header.spec != headers[0].spec:
                self.problems.append(Problem(header.spec.loc, "province", "a different province "
                                             f"is already given at {headers[0].spec.loc}"))

    def cycles(self) -> None:
        parent = {code: self.resolve(r.spec.parent)[1] for code, r in self.groups.items()
                  if r.spec.parent}
        reported: set[frozenset[str]] = set()
        for f in self.files:
            for read in f.groups:
                path = [read.spec.code]
                while (up := parent.get(path[-1])) is not None and up not in path:
                    path.append(up)
                if up != read.spec.code or frozenset(path) in reported:
                    continue
                reported.add(frozenset(path))
                self.problems.append(Problem(*read.site("parent"), "the group tree has a cycle: "
                                             + " -> ".join([*path, read.spec.code])))

    def spec(self) -> ScheduleSpec:
        """Everything read, with former codes replaced by current ones."""
        def current(code: str | None) -> str | None:
            return None if code is None else self.resolve(code)[1]

        out = ScheduleSpec()
        for f in self.files:
            province = f.province.spec if f.province else None
            out = out.merged(ScheduleSpec(
                replace(province, code=current(province.code) or "") if province else None,
                tuple(replace(g.spec, parent=current(g.spec.parent)) for g in f.groups),
                tuple(replace(s.spec, group=current(s.spec.group)) for s in f.stations),
                tuple(p.spec for p in f.programmes),
                tuple(replace(e.spec, target=current(e.spec.target) or "") for e in f.entries)))
        return out
