"""YAML from people, read within bounds: every reader of a user's YAML goes through here.

PyYAML builds a document by recursion and shares aliased nodes, so a file can cost far more
than its size: nesting 5,000 deep ends in ``RecursionError``, and ten lines of anchors and
aliases ("billion laughs") stand for a billion values once anything walks or prints them. So
:func:`compose` refuses, as a :class:`YamlRefused` (an :class:`InputError` with the line and
column):

- nesting deeper than :data:`MAX_DEPTH` collections;
- a document that stands for more than ``max_nodes`` values once its aliases are followed
  (each alias counts the whole of what it names, every time it is used);
- an alias inside the collection it names (a value that contains itself).

:func:`read_bounded` refuses a file over its size limit before reading the rest of it, and
:func:`load` turns what the constructor rejects (a date like 2024-13-45, an integer of 5,000
digits, ``!!timestamp 7:00``) into the same error. Syntax errors stay ``yaml.YAMLError`` for the
caller to word, as they carry the place already.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from broadcaster.errors import InputError

__all__ = ["MAX_DEPTH", "YamlRefused", "compose", "load", "read_bounded"]

MAX_DEPTH = 64


class YamlRefused(InputError):
    """A YAML text was refused; ``line`` and ``column`` count from 1 (0: not known)."""

    def __init__(self, source: str, line: int, column: int, problem: str) -> None:
        self.source, self.line, self.column, self.problem = source, line, column, problem
        super().__init__(f"{source}:{line}:{column}: {problem}" if line else
                         f"{source}: {problem}")


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts depth and the expanded size of every node as it composes."""

    def __init__(self, text: str, source: str, max_nodes: int) -> None:
        super().__init__(text)
        self.source, self.max_nodes = source, max_nodes
        self.depth = 0
        self.weights: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        collection = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if isinstance(event, yaml.AliasEvent) and event.anchor in self.anchors \
                and id(self.anchors[event.anchor]) not in self.weights:
            self._refuse(event, f"the alias *{event.anchor} refers to a collection it is "
                                "inside of; a YAML value may not contain itself")
        if collection:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                self._refuse(event, f"the YAML is nested more than {MAX_DEPTH} levels deep")
        try:
            node = super().compose_node(parent, index)
        finally:
            if collection:
                self.depth -= 1
        if node is not None and id(node) not in self.weights:
            self.weights[id(node)] = self._weight(node, event)
        return node

    def _weight(self, node: Node, event: yaml.Event) -> int:
        """1 + the weight of each child, aliases counted in full every time."""
        if isinstance(node, SequenceNode):
            weight = 1 + sum(self.weights.get(id(child), 1) for child in node.value)
        elif isinstance(node, MappingNode):
            weight = 1 + sum(self.weights.get(id(key), 1) + self.weights.get(id(value), 1)
                             for key, value in node.value)
        else:
            weight = 1
        if weight > self.max_nodes:
            self._refuse(event, f"the YAML stands for more than {self.max_nodes:,} values once "
                                "its aliases (*name) are followed; write the values out or "
                                "use fewer aliases")
        return weight

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError, AttributeError, KeyError) as exc:
            # PyYAML's own constructors fail so on: 2024-13-45 (taken for a date, then not
            # buildable), an integer of 5,000 digits, an explicit tag on a value that is not
            # of its kind (!!timestamp 7:00, !!bool maybe; found by tests/fuzz)
            mark = node.start_mark
            raise YamlRefused(self.source, mark.line + 1, mark.column + 1,
                              f"the value {_excerpt(node)} cannot be read: {exc}") from None

    def _refuse(self, event: yaml.Event, problem: str) -> None:
        mark = event.start_mark
        raise YamlRefused(self.source, mark.line + 1 if mark else 0,
                          mark.column + 1 if mark else 0, problem)


def _excerpt(node: Node) -> str:
    value = node.value if isinstance(node.value, str) else f"<{node.tag}>"
    return repr(value if len(value) <= 40 else value[:40] + "...")


def read_bounded(path: Path, limit: int, what: str = "file") -> bytes:
    """The bytes of ``path``, refused as :class:`YamlRefused` past ``limit`` bytes (never read
    further than that). ``OSError`` is the caller's to word."""
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise YamlRefused(str(path), 0, 0, f"the {what} is over the limit of {limit:,} bytes; "
                                           "split it into smaller files")
    return data


def compose(text: str, source: str, *, max_nodes: int) -> Node | None:
    """The node tree of the single YAML document in ``text`` (None when empty), within bounds.

    Raises :class:`YamlRefused` past the bounds and ``yaml.YAMLError`` on a syntax error.
    """
    loader = _BoundedLoader(text, source, max_nodes)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def load(text: str, source: str, *, max_nodes: int) -> Any:
    """The Python value of the single YAML document in ``text`` (safe tags only), within bounds.

    Raises :class:`YamlRefused` past the bounds or for a value the constructor rejects, and
    ``yaml.YAMLError`` on a syntax error or an unknown tag.
    """
    loader = _BoundedLoader(text, source, max_nodes)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return loader.construct_document(node)
    finally:
        loader.dispose()
