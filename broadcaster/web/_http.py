"""Small HTTP helpers with no framework in them: ETag matching and byte ranges (RFC 9110)."""

from __future__ import annotations

import re

_RANGE_RE = re.compile(r"^\s*bytes\s*=\s*([0-9]*)\s*-\s*([0-9]*)\s*$", re.IGNORECASE)
# Byte positions longer than this are past the end of any file (and never parsed: int() of
# thousands of digits is slow, and refused past 4,300 digits).
_MAX_DIGITS = 18
_FAR = 10 ** _MAX_DIGITS


class ApiError(Exception):
    """A request refused with an HTTP status and a sentence naming the problem."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


class RangeNotSatisfiable(Exception):
    """The requested byte range lies outside the file."""


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names the entity tag ``tag`` (unquoted).

    The comparison is weak, as RFC 9110 prescribes for ``If-None-Match``: ``W/"x"`` matches
    ``"x"``; ``*`` matches anything.
    """
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == f'"{tag}"':
            return True
    return False


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The single byte range ``(first, last)`` (inclusive) a ``Range`` header asks for.

    ``None`` means "send the whole file": no header, a malformed one, or several ranges (a
    server may ignore a Range header, and stations only ever ask for one). A well-formed range
    that starts at or past the end of the file raises :class:`RangeNotSatisfiable`.
    """
    if not header:
        return None
    match = _RANGE_RE.match(header)
    if not match:
        return None
    first_s, last_s = match.groups()
    if not first_s and not last_s:
        return None
    if not first_s:  # suffix: the last N bytes
        suffix = _position(last_s)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"bytes=-{last_s[:20]} of a {size}-byte file")
        return max(0, size - suffix), size - 1
    first = _position(first_s)
    last = _position(last_s) if last_s else size - 1
    if last_s and last < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable(f"bytes={first_s[:20]}- of a {size}-byte file")
    return first, min(last, size - 1)


def _position(digits: str) -> int:
    """A byte position of a Range header; any huge one as one past every real file."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else _FAR
