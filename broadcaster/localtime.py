"""Times at the edges: operators write and read local time (Asia/Ho_Chi_Minh); inside, UTC."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from broadcaster.errors import InputError

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"   # stations' zone unless they say otherwise
LOCAL = ZoneInfo(DEFAULT_TIMEZONE)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Times operators may write: anything else is a typo (and years 1 or 9999 cannot even be
# moved between zones).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_time(value: str, option: str = "time", *, end: bool = False,
               tz: ZoneInfo = LOCAL) -> datetime:
    """A local date-time (``2026-11-27 07:00``, ``2026-11-27T07:00``) as aware UTC.

    A date alone is the start of that local day, or with ``end`` the end of it (the next
    midnight). A time with an offset (``+07:00``, ``Z``) keeps it.
    """
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1 if end else 0),
                                      datetime.min.time(), tz)
        else:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InputError(f"{option} {value[:40]!r} is not a time: write a local date and time "
                         "like 2026-11-27 07:00, or a date like 2026-11-27") from None
    if not EARLIEST <= utc < LATEST:
        raise InputError(f"{option} {value[:40]!r} is out of range: write a time between the "
                         f"years {EARLIEST.year} and {LATEST.year - 1}")
    return utc
