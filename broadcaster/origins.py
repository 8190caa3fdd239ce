"""Who made a group, station, programme or entry, and so who may change it.

Every row carries its maker (:class:`broadcaster.db.models.Origin`): the schedule files
(``schedule apply``), the command line, the web UI or ``announce``. Each maker changes only
what it made, so no maker undoes another's work without being told:

- ``schedule apply`` adds, changes and removes only rows made by the files; a file that names a
  row made elsewhere is refused unless ``--adopt`` gives the row to the files.
- The command line and the web UI are both an operator's hands: each may change what the other
  made. Neither may change a row of the files (``schedule apply`` would undo it) or of
  ``announce`` (its announcement row points at it); they may remove a row of the files, which
  the next ``schedule apply`` adds again.
"""

from __future__ import annotations

from broadcaster.domain.vocabulary import Origin
from broadcaster.errors import InputError

__all__ = ["LABELS", "Origin", "OriginConflict", "check_change", "check_removal", "label",
           "may_change", "may_remove"]

LABELS = {Origin.FILE.value: "by the schedule files", Origin.CLI.value: "with the command line",
          Origin.UI.value: "in the web UI", Origin.ANNOUNCE.value: "by announce"}
OPERATORS = frozenset({Origin.CLI.value, Origin.UI.value})


def label(origin: str) -> str:
    """``made {label}``: where a row of this origin was made."""
    return LABELS.get(origin, f"by {origin}")


def may_change(row_origin: str, maker: str) -> bool:
    """True when ``maker`` may change a row made by ``row_origin``."""
    return row_origin == maker or (row_origin in OPERATORS and maker in OPERATORS)


def may_remove(row_origin: str, maker: str) -> bool:
    """True when ``maker`` may remove a row made by ``row_origin`` (a row of the files too:
    the next ``schedule apply`` adds it again)."""
    return may_change(row_origin, maker) or row_origin == Origin.FILE.value


class OriginConflict(InputError):
    """A maker tried to change (or remove) a row another maker owns."""

    def __init__(self, kind: str, code: str, origin: str, action: str = "change") -> None:
        self.kind, self.code, self.origin, self.action = kind, code, origin, action
        if origin == Origin.FILE.value:
            how = ("change it in the schedule file and run 'broadcaster schedule apply'"
                   if action == "change" else "remove it from the schedule file and run "
                   "'broadcaster schedule apply'")
        elif origin == Origin.ANNOUNCE.value:
            how = "withdraw the announcement with 'broadcaster announce --cancel ID'"
        else:
            how = "use another code"
        super().__init__(f"{kind} {code} was made {label(origin)} (origin {origin}) and cannot "
                         f"be {'changed' if action == 'change' else 'removed'} here; {how}")


def check_change(kind: str, code: str, row_origin: str, maker: str) -> None:
    """Refuse with :class:`OriginConflict` unless ``maker`` may change the row."""
    if not may_change(row_origin, maker):
        raise OriginConflict(kind, code, row_origin)


def check_removal(kind: str, code: str, row_origin: str, maker: str) -> None:
    """Refuse with :class:`OriginConflict` unless ``maker`` may remove the row."""
    if not may_remove(row_origin, maker):
        raise OriginConflict(kind, code, row_origin, "remove")
