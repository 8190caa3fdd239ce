"""The one walk up the group tree: a group, its parent, its parent's parent, ...

The tree lives in three forms (database rows, the planner's plain rows, the schedule files'
specs); each caller says how to find a node's parent, and this walk does the rest, cycle
included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from broadcaster.errors import InputError

__all__ = ["GroupCycle", "ancestors"]


class _Node(Protocol):
    @property
    def code(self) -> str: ...


N = TypeVar("N", bound=_Node)


class GroupCycle(InputError):
    """The group tree loops back on itself (the writers refuse it; the walk checks anyway)."""


def ancestors(start: N | None, parent_of: Callable[[N], N | None], *,
              stop_at_cycle: bool = False) -> Iterator[N]:
    """``start`` and its ancestors, nearest first (nothing for ``None``).

    A node met twice means a cycle: :class:`GroupCycle` naming the group, or with
    ``stop_at_cycle`` the walk just ends there (the schedule-file checks report cycles
    themselves and go on with the other problems). Nodes are told apart by identity.
    """
    seen: set[int] = set()
    node = start
    while node is not None:
        if id(node) in seen:
            if stop_at_cycle:
                return
            raise GroupCycle(f"group {node.code}: the group tree has a cycle")
        seen.add(id(node))
        yield node
        node = parent_of(node)
