"""How often one entry may air: the bounds every recurrence rule is held to.

No station can play a programme every second or every minute, and a rule that asks for it makes
planning grow without end (``FREQ=SECONDLY`` made ``publish`` grow by about 28 MB a second).
Where a person writes a rule (schedule files, ``schedule add``, the web form), :func:`rule_problem`
refuses it when:

- its ``FREQ`` is ``SECONDLY`` or ``MINUTELY``;
- it can give more than :data:`MAX_PER_DAY` airings on one day: the number of ``BYHOUR`` values
  (for ``FREQ=HOURLY`` without ``BYHOUR``: 24 / ``INTERVAL``, rounded up) times the number of
  ``BYMINUTE`` values times the number of ``BYSECOND`` values;
- ``COUNT``, ``INTERVAL`` or a ``BY...`` number is out of its range (:data:`RRULE_RANGES`).

The planner holds every rule to a hard cap as well, whoever wrote it (rows stored before these
checks, announcements, which repeat with ``FREQ=MINUTELY`` and ``UNTIL``): see
:data:`MAX_SCAN` and :func:`broadcaster.schedule.resolve.expand`.
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_PER_DAY", "MAX_SCAN", "RRULE_RANGES", "airings_per_day", "rule_problem"]

MAX_PER_DAY = 144          # every ten minutes, all day long
# COUNT is counted from the rule's first day; past 10,000 (144 a day for ten weeks, or daily for
# 27 years) it is a slip of the keyboard. INTERVAL 1000 is once in a thousand periods.
RRULE_RANGES = {"COUNT": (1, 10_000), "INTERVAL": (1, 1000), "BYMONTH": (1, 12),
                "BYMONTHDAY": (-31, 31), "BYYEARDAY": (-366, 366), "BYWEEKNO": (-53, 53)}
# The most occurrences the planner walks through before a window, whatever the rule: a rule with
# COUNT is counted from its first day (the files once allowed COUNT up to 100,000).
MAX_SCAN = 100_000
_TOO_OFTEN = {"SECONDLY": "every second", "MINUTELY": "every minute"}
_NUMBER = re.compile(r"[+-]?\d+")


def _parts(rrule: str) -> dict[str, str]:
    text = re.sub(r"^RRULE:", "", rrule.strip().upper())
    return {name.strip(): value.strip() for name, _, value in
            (chunk.partition("=") for chunk in text.split(";") if chunk.strip())}


def _distinct(value: str) -> int:
    """How many different numbers a ``BY...`` list holds (at least 1: none means one)."""
    numbers = {int(v) if _NUMBER.fullmatch(v) else v for v in value.split(",") if v.strip()}
    return len(numbers) or 1


def airings_per_day(rrule: str) -> int:
    """The most airings the rule can give on one day (it may give fewer; never more)."""
    parts = _parts(rrule)
    hours = _distinct(parts.get("BYHOUR", ""))
    if parts.get("FREQ") == "HOURLY" and "BYHOUR" not in parts:
        interval = parts.get("INTERVAL", "1")
        step = int(interval) if interval.isdigit() and int(interval) > 0 else 1
        hours = math.ceil(24 / step)
    return hours * _distinct(parts.get("BYMINUTE", "")) * _distinct(parts.get("BYSECOND", ""))


def rule_problem(rrule: str) -> str | None:
    """Why no station could broadcast this rule (a sentence), or None when it is within bounds.

    Only the bounds: whether dateutil can read the rule is checked by the caller.
    """
    parts = _parts(rrule)
    freq = parts.get("FREQ", "")
    if freq in _TOO_OFTEN:
        return (f"FREQ={freq} repeats {_TOO_OFTEN[freq]}, which no station can broadcast; use "
                f"FREQ=DAILY (or HOURLY) with BYHOUR and BYMINUTE, at most {MAX_PER_DAY} "
                "airings a day")
    for key, (low, high) in RRULE_RANGES.items():
        for number in filter(None, parts.get(key, "").split(",")):
            if not _NUMBER.fullmatch(number):
                return f"{key}={number} is not a whole number"
            if not low <= int(number) <= high or int(number) == 0:
                return f"{key}={number} is out of range ({low}..{high}, not 0)"
    per_day = airings_per_day(rrule)
    if per_day > MAX_PER_DAY:
        return (f"it can air {per_day} times a day, more than the {MAX_PER_DAY} a station can "
                "broadcast (one every ten minutes); use fewer BYHOUR, BYMINUTE or BYSECOND "
                "values")
    return None
