"""Typed access to a schedule file's YAML nodes, each value with the location it was written at.

Values are taken from their source text, never from PyYAML's constructed objects; every refusal
becomes a :class:`Problem`, never an exception. The sections of a file are read on top of this
in :mod:`broadcaster.schedule._sections`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from broadcaster.codes import CODE, Syntax
from broadcaster.schedule.spec import Location, parse_duration

DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
NULL_TAG = "tag:yaml.org,2002:null"

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a schedule file: where, which field, and what."""

    loc: Location
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.field}: {self.message}" if self.field else \
            f"{self.loc}: {self.message}"


def kind_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return repr(node.value)


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG)


class NodeReader:
    """Typed access to one file's nodes; every refusal becomes a Problem, never an exception."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def loc(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def problem(self, where: Node | Location, path: str, message: str) -> None:
        loc = where if isinstance(where, Location) else self.loc(where)
        self.problems.append(Problem(loc, path, message))

    def mapping(self, node: Node, path: str, keys: Sequence[str],
                required: Sequence[str] = ()) -> dict[str, Node] | None:
        """The non-empty values of a mapping by key; unknown, doubled and missing keys refused."""
        if not isinstance(node, MappingNode):
            self.problem(node, path, f"{'must' if path else 'the file must'} be a mapping with "
                         f"the keys {', '.join(keys)}; got {kind_of(node)}")
            return None
        out: dict[str, Node] = {}
        seen: dict[str, int] = {}
        empty: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            sub = f"{path}.{name}" if path else str(name)
            if name is None or name not in keys:
                shown = repr(name) if name is not None else kind_of(key)
                self.problem(key, sub if name else path,
                             f"unknown key {shown}; valid keys: {', '.join(keys)}")
            elif name in seen:
                self.problem(key, sub, f"key {name!r} is given twice (first at line "
                             f"{seen[name]})")
            else:
                seen[name] = key.start_mark.line + 1
                if is_null(value):
                    empty.add(name)
                else:
                    out[name] = value
        for name in required:
            if name in empty:
                self.problem(node, f"{path}.{name}" if path else name, f"{name!r} has no value")
            elif name not in out:
                self.problem(node, f"{path}.{name}" if path else name,
                             f"missing required key {name!r}")
        return out

    def sequence(self, node: Node | None, path: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.problem(node, path, f"must be a list (lines starting with '- '); "
                         f"got {kind_of(node)}")
            return []
        return list(node.value)

    def text(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            hint = " (text holding '{', ':' or '[' must be put in quotes)" \
                if isinstance(node, MappingNode | SequenceNode) else ""
            self.problem(node, path, f"must be text, not {kind_of(node)}{hint}")
            return None
        value = unicodedata.normalize("NFC", node.value).strip()
        if not value:
            self.problem(node, path, "is empty")
            return None
        return value

    def matching(self, node: Node | None, path: str, pattern: re.Pattern[str],
                 what: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not pattern.match(value):
            assert node is not None
            self.problem(node, path, f"{value!r} is not {what}")
        return value

    def code(self, node: Node | None, path: str, syntax: Syntax = CODE) -> str | None:
        """A code of ``syntax`` (see :mod:`broadcaster.codes`: one syntax for every maker)."""
        return self.matching(node, path, syntax.pattern, f"a valid code: use {syntax.rule}")

    def integer(self, node: Node | None, path: str, minimum: int) -> int | None:
        value = self.text(node, path)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or int(value) < minimum:
            assert node is not None
            self.problem(node, path, f"must be a whole number of at least {minimum}, "
                         f"got {value!r}")
            return None
        return int(value)

    def choice(self, node: Node | None, path: str, choices: Sequence[T]) -> T | None:
        value = self.text(node, path)
        if value is not None and value not in choices:
            assert node is not None
            self.problem(node, path, f"{value!r} is not one of {', '.join(map(str, choices))}")
            return None
        # the choice itself (an enum member where the choices are), equal to the text
        return next((c for c in choices if c == value), None)

    def day(self, node: Node | None, path: str) -> date | None:
        value = self.text(node, path)
        if value is None:
            return None
        match = DATE_RE.fullmatch(value)
        try:
            if match:
                return date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
        assert node is not None
        self.problem(node, path, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def duration(self, node: Node | None, path: str) -> timedelta | None:
        value = self.text(node, path)
        if value is None:
            return None
        try:
            span = parse_duration(value)
        except ValueError:
            span = None
        if not span:
            assert node is not None
            self.problem(node, path, f"{value!r} is not a duration: write e.g. 90s, 2m, 1m30s, "
                         "1h, or a number of seconds (more than 0)")
        return span
