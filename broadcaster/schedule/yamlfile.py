"""Schedule files (``schedules/*.yaml``): read with exact locations, validate, write back.

Reading walks PyYAML's composed node tree (not the constructed Python objects), so every value
keeps the line and column it was written at, and values are taken from their source text: an
unquoted ``05:30`` stays a time (YAML 1.1 would make it the number 330) and ``2025-09-02`` a
date. Validation never stops at the first problem: each file is read to the end, then the
files are checked together (duplicate codes, references, the group tree), and every problem is
reported with file, line, column and the field's path, e.g. ``entries[3].start``. Files are
read within the bounds of :mod:`broadcaster.yamlbounds` (size, nesting, aliases).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import Node

from broadcaster.errors import InputError
from broadcaster.schedule._checks import Checker
from broadcaster.schedule._nodes import DATE_RE, NULL_TAG, Problem, is_null
from broadcaster.schedule._sections import (
    ALIAS_KEYS,
    ANCHOR_DAY,
    DATETIME_RE,
    ENTRY_KEYS,
    GROUP_KEYS,
    ID_RE,
    IDENT_FIELDS,
    NAME_RE,
    PATH_RE,
    PROGRAMME_KEYS,
    PROVINCE_KEYS,
    RELAY_KEYS,
    RELAY_SCHEMES,
    SECTIONS,
    SHA256_RE,
    STATION_KEYS,
    TIME_RE,
    VALID_KEYS,
    File,
    Read,
    SectionReader,
)
from broadcaster.schedule.bounds import RRULE_RANGES
from broadcaster.schedule.dump import dump_schedule
from broadcaster.schedule.rules import rule_problems
from broadcaster.schedule.spec import Location, ScheduleSpec
from broadcaster.yamlbounds import YamlRefused, compose, read_bounded

__all__ = [
    "ALIAS_KEYS",
    "ANCHOR_DAY",
    "DATETIME_RE",
    "DATE_RE",
    "ENTRY_KEYS",
    "GROUP_KEYS",
    "IDENT_FIELDS",
    "ID_RE",
    "NAME_RE",
    "NULL_TAG",
    "PATH_RE",
    "PROGRAMME_KEYS",
    "PROVINCE_KEYS",
    "RELAY_KEYS",
    "RELAY_SCHEMES",
    "RRULE_RANGES",
    "SECTIONS",
    "SHA256_RE",
    "STATION_KEYS",
    "SYNTAX_HINTS",
    "TIME_RE",
    "VALID_KEYS",
    "Problem",
    "ScheduleError",
    "dump_schedule",
    "load_schedule",
    "validate",
]

SYNTAX_HINTS = {
    "mapping values are not allowed": " (is a ':' missing after a key just above, or does a "
                                      "value holding ': ' need quotes?)",
    "'\\t'": " (indent with spaces, not tabs)",
    "another document": " (a schedule file holds one YAML document: remove the '---' line or "
                        "split the file)",
}

# A province of 5,000 stations fits in about 1 MB; reading 4 MB takes PyYAML some 10 s.
MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_NODES = 500_000   # values, aliases followed (the example province has about 1,150)

T = TypeVar("T")


class ScheduleError(InputError):
    """The schedule files were refused; ``problems`` holds every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _syntax_problem(name: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Problem at the parser's mark, with a hint for common slips."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or ""
        hint = SYNTAX_HINTS.get(next((k for k in SYNTAX_HINTS if k in problem), ""), "")
        if "another document" in problem:
            problem = "a second YAML document starts here"
        context = f" ({exc.context}, line {exc.context_mark.line + 1})" \
            if exc.context and exc.context_mark and not hint else ""
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return Problem(Location(name, line, column), "",
                       f"YAML syntax error: {problem}{context}{hint}")
    position = getattr(exc, "position", 0)  # a ReaderError: a character YAML does not allow
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = ord(text[position]) if position < len(text) else 0
    return Problem(Location(name, line, column), "", f"the control character U+{code:04X} is "
                   "not allowed in a YAML file; delete it")


def _refused(exc: YamlRefused) -> Problem:
    return Problem(Location(exc.source, exc.line, exc.column), "", exc.problem)


def _read_file(path: Path, problems: list[Problem]) -> File:
    """Read one file: its specs with their sites; problems are appended to ``problems``."""
    name = str(path)
    out = File()
    try:
        data = read_bounded(path, MAX_FILE_BYTES, "schedule file")
        text = data.decode("utf-8-sig")
    except YamlRefused as exc:
        problems.append(_refused(exc))
        return out
    except OSError as exc:
        problems.append(Problem(Location(name, 0, 0), "", f"cannot read the file: "
                                f"{exc.strerror or exc}"))
        return out
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem(Location(name, line, column), "", "the file is not UTF-8 text; "
                                "save it as UTF-8 (Unicode)"))
        return out
    reader = SectionReader(name)
    try:
        root = compose(text, name, max_nodes=MAX_NODES)
    except YamlRefused as exc:
        problems.append(_refused(exc))
        return out
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(name, text, exc))
        return out
    if root is None or is_null(root):
        problems.append(Problem(Location(name, 0, 0), "", "the file holds no schedule; "
                                f"expected one or more of: {', '.join(SECTIONS)}"))
        return out
    sections = reader.mapping(root, "", SECTIONS) or {}
    if "province" in sections:
        out.province = reader.province(sections["province"])

    def each(key: str, method: Callable[[Node, str], Read[T] | None]) -> list[Read[T]]:
        nodes = reader.sequence(sections.get(key), key)
        return [r for i, n in enumerate(nodes) if (r := method(n, f"{key}[{i}]")) is not None]

    out.groups = each("groups", reader.group)
    out.stations = each("stations", reader.station)
    out.programmes = each("programmes", reader.programme)
    out.entries = each("entries", reader.entry)
    problems.extend(reader.problems)
    return out


def _expand(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            out.append(path)
    return out


def _load(paths: Sequence[Path]) -> tuple[ScheduleSpec, list[Problem]]:
    problems: list[Problem] = []
    expanded = _expand(paths)
    files = [_read_file(path, problems) for path in expanded]
    order = {str(path): i for i, path in reversed(list(enumerate(expanded)))}
    checker = Checker(files, order)
    checker.run()
    problems += checker.problems
    problems.sort(key=lambda p: checker.key(p.loc))
    return checker.spec(), problems


def validate(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the schedule files (a folder stands for its *.yaml files), in file order."""
    return _load_checked(paths)[1]


def _load_checked(paths: Sequence[Path]) -> tuple[ScheduleSpec, list[Problem]]:
    """Load, then check the broadcast rules that can be checked on the files alone."""
    spec, problems = _load(paths)
    if not problems:
        index = {e.id: n for n, e in enumerate(spec.entries)}
        problems = [Problem(entry.loc, f"entries[{index[entry.id]}].{name}", message)
                    for entry, name, message in rule_problems(spec)]
    return spec, problems


def load_schedule(paths: Sequence[Path]) -> ScheduleSpec:
    """Read and check schedule files; raise :class:`ScheduleError` listing every problem."""
    spec, problems = _load_checked(paths)
    if problems:
        raise ScheduleError(problems)
    return spec
