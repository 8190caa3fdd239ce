"""Broadcast rules: the allowed hours, the longest session and the most sessions a day.

One type, :class:`Rules`, for every place that holds them: a group's stored JSON, a schedule
file's ``rules:`` and the limits the planner checks a station's resolved items against. A
group's rules in force are its own, the unset ones filled in from its ancestors nearest first
(:func:`inherit`, :func:`merge_stored`; the walk is :func:`broadcaster.domain.tree.ancestors`).
``None`` means no limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from broadcaster.errors import InputError

__all__ = ["RULE_KEYS", "Rules", "inherit", "merge_stored", "parse_hours", "rules_from_json"]

RULE_KEYS = ("hours", "max_session_minutes", "max_sessions_per_day")


@dataclass(frozen=True)
class Rules:
    """Broadcast rules in force for a group (after inheritance)."""

    hours: tuple[time, time] | None = None
    max_session_minutes: int | None = None
    max_sessions_per_day: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form (only the keys that are set)."""
        out: dict[str, Any] = {}
        if self.hours:
            out["hours"] = f"{self.hours[0]:%H:%M}-{self.hours[1]:%H:%M}"
        if self.max_session_minutes is not None:
            out["max_session_minutes"] = self.max_session_minutes
        if self.max_sessions_per_day is not None:
            out["max_sessions_per_day"] = self.max_sessions_per_day
        return out


def parse_hours(value: str, where: str = "hours") -> tuple[time, time]:
    """``"05:00-21:00"`` -> (05:00, 21:00); the end must come after the start."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if not match:
        raise InputError(f"{where}: {value!r} is not a range of hours like 05:00-21:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 == 0:
        h2, m2 = 23, 59
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise InputError(f"{where}: {value!r} holds an impossible time") from None
    if end <= start:
        raise InputError(f"{where}: {value!r} ends before it starts")
    return start, end


def rules_from_json(data: dict[str, Any], where: str = "rules") -> Rules:
    """Validate stored or given rules."""
    unknown = set(data) - set(RULE_KEYS)
    if unknown:
        raise InputError(f"{where}: unknown rule(s) {', '.join(sorted(unknown))}; "
                         f"valid: {', '.join(RULE_KEYS)}")
    hours = parse_hours(str(data["hours"]), f"{where}.hours") if data.get("hours") else None
    limits: dict[str, int | None] = {}
    for key in ("max_session_minutes", "max_sessions_per_day"):
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or value <= 0):
            raise InputError(f"{where}.{key}: must be a positive whole number, got {value!r}")
        limits[key] = value
    return Rules(hours, limits["max_session_minutes"], limits["max_sessions_per_day"])


def inherit(layers: Iterable[Rules | None]) -> Rules:
    """The rules in force from a group's own rules and its ancestors', nearest first: each
    rule from the nearest layer that sets it."""
    hours, minutes, sessions = None, None, None
    for rules in layers:
        if rules is None:
            continue
        hours = hours or rules.hours
        minutes = minutes if minutes is not None else rules.max_session_minutes
        sessions = sessions if sessions is not None else rules.max_sessions_per_day
    return Rules(hours, minutes, sessions)


def merge_stored(layers: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """Stored rules (JSON) of a group and its ancestors, nearest first, merged key by key, for
    :func:`rules_from_json` to check once."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            merged.setdefault(key, value)
    return merged
