"""The one walk up the group tree, and the inheritance of broadcast rules along it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

import pytest

from broadcaster.domain.rules import Rules, inherit, merge_stored
from broadcaster.domain.tree import GroupCycle, ancestors
from broadcaster.errors import InputError


@dataclass(eq=False)
class Node:
    code: str
    parent: Node | None = None


def test_the_walk_goes_nearest_first_and_ends_at_the_root() -> None:
    root = Node("T")
    mid = Node("X", root)
    leaf = Node("C", mid)
    assert [n.code for n in ancestors(leaf, lambda n: n.parent)] == ["C", "X", "T"]
    assert list(ancestors(None, lambda n: n.parent)) == []


def test_a_cycle_is_named_or_ends_the_walk() -> None:
    a = Node("A")
    b = Node("B", a)
    a.parent = b
    with pytest.raises(GroupCycle, match="group A: the group tree has a cycle") as caught:
        list(ancestors(a, lambda n: n.parent))
    assert isinstance(caught.value, InputError)
    assert [n.code for n in ancestors(a, lambda n: n.parent, stop_at_cycle=True)] == ["A", "B"]


def test_each_rule_comes_from_the_nearest_layer_that_sets_it() -> None:
    own = Rules(max_session_minutes=15)
    parent = Rules(hours=(time(5), time(21)), max_session_minutes=30)
    root = Rules(max_sessions_per_day=2)
    assert inherit([own, None, parent, root]) == Rules((time(5), time(21)), 15, 2)
    assert merge_stored([{"max_session_minutes": 15}, None, {"max_session_minutes": 30,
                                                            "hours": "05:00-21:00"}]) \
        == {"max_session_minutes": 15, "hours": "05:00-21:00"}
