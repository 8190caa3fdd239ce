"""One syntax for the codes that name things: groups, stations, former codes, programmes,
users, schedule entries and document keys.

Codes end up in file paths (publication folders), URLs, playlist item ids (``entry@time``, so a
``@`` would break coverage attribution) and HTML, so every maker checks them here: the schedule
files, the command line, the web UI and ``announce``. A code is plain ASCII letters, digits,
``.``, ``_`` and ``-``, starting with a letter or digit: no ``/``, no ``..`` at the start, no
spaces or line breaks, no ``<`` or ``@``. Document keys may also hold Vietnamese letters (they
come from file names) but follow the same shape.

The patterns end with ``\\Z``, not ``$`` (which also matches before a final newline), so
``match`` and ``fullmatch`` agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from broadcaster.errors import InputError

__all__ = [
    "CODE",
    "CODE_RE",
    "DOCUMENT_KEY",
    "ENTRY_ID",
    "SYNTAX",
    "CodeError",
    "Syntax",
    "check_code",
    "syntax_of",
]


@dataclass(frozen=True)
class Syntax:
    """The shape of one family of codes, and how to say it."""

    pattern: re.Pattern[str]
    limit: int
    rule: str   # English, after "must be"

    @property
    def json_pattern(self) -> str:
        """The pattern for a JSON Schema / OpenAPI document, where ``$`` ends the text."""
        return self.pattern.pattern.removesuffix("\\Z") + "$"

    def matches(self, value: str) -> bool:
        """True when ``value`` is a code of this shape."""
        return self.pattern.match(value) is not None


CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z")
CODE = Syntax(CODE_RE, 64, "1-64 letters (A-Z, a-z), digits, '.', '_' or '-', starting with "
              "a letter or digit")
ENTRY_ID = Syntax(re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z"), 100,
                  "1-100 letters (A-Z, a-z), digits, '.', '_' or '-', starting with a letter "
                  "or digit")
DOCUMENT_KEY = Syntax(re.compile(r"^\w[\w.-]{0,199}\Z"), 200,
                      "1-200 letters, digits, '.', '_' or '-', starting with a letter, digit or "
                      "'_'")

# What each kind of thing is named with; anything not listed uses CODE.
SYNTAX = {"entry": ENTRY_ID, "document": DOCUMENT_KEY}


def syntax_of(what: str) -> Syntax:
    """The syntax of the codes of ``what`` (``entry``, ``document``, ``group``...)."""
    return SYNTAX.get(what, CODE)


class CodeError(InputError):
    """A code that does not follow the syntax; ``what`` is the kind of thing it names."""

    def __init__(self, what: str, value: str, where: str = "") -> None:
        self.what, self.value, self.syntax = what, value, syntax_of(what)
        noun = "key" if what == "document" else "code"
        super().__init__(f"{where + ': ' if where else ''}{what} {noun} {value!r} must be "
                         f"{self.syntax.rule}")


def check_code(value: str, what: str, where: str = "") -> str:
    """``value`` when it is a valid code for ``what``; else :class:`CodeError` (its message
    starts with ``where``, e.g. a file name, when given)."""
    if not isinstance(value, str) or not syntax_of(what).matches(value):
        raise CodeError(what, str(value), where)
    return value
