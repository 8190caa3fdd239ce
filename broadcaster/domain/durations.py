"""Durations as files write them: ``"90s"``, ``"2m"``, ``"1m30s"``, ``"1h"`` or plain seconds.

Programmes (a silence, a relay) and schedules (a window) read the same words, so the parser
lives here, below both.
"""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION_RE = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d{1,3})?)s)?")
_SECONDS_RE = re.compile(r"\d+(?:\.\d{1,3})?")


def parse_duration(text: str) -> timedelta:
    """``"90s"``, ``"2m"``, ``"1m30s"``, ``"1h"`` or a plain number of seconds -> timedelta.

    Raises ValueError for anything else (negative, empty, more than millisecond precision).
    """
    value = text.strip().lower().replace(" ", "")
    if _SECONDS_RE.fullmatch(value):
        return timedelta(seconds=float(value))
    match = _DURATION_RE.fullmatch(value)
    if not value or not match:
        raise ValueError(f"{text!r} is not a duration")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0),
                     seconds=float(seconds or 0))


def format_duration(value: timedelta) -> str:
    """The shortest text :func:`parse_duration` reads back: ``"1h30m"``, ``"2s"``, ``"1.5s"``."""
    total_ms = round(value.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    if millis:
        text += f"{seconds}.{millis:03d}".rstrip("0") + "s"
    elif seconds:
        text += f"{seconds}s"
    return text


__all__ = ["format_duration", "parse_duration"]
