"""Loaded by every Python process of a faked-clock run (``tests/run_at_hours.py`` puts this
folder on ``PYTHONPATH``); nothing else imports it.

Python 3.11's ``time.sleep`` waits with ``clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)``,
and libfaketime 0.9.10 (Debian 12) shifts that absolute deadline by the fake offset even when
the monotonic clock is not faked, so every sleep fails with EINVAL (libfaketime issue #426,
fixed after 0.9.10). Here ``time.sleep`` waits in ``select`` instead, with a relative timeout
that libfaketime leaves alone, against the real monotonic clock.
"""

from __future__ import annotations

import os
import select
import time

_monotonic = time.monotonic


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    deadline = _monotonic() + seconds
    while (left := deadline - _monotonic()) > 0:
        select.select([], [], [], left)


if os.environ.get("FAKETIME"):
    time.sleep = _sleep  # type: ignore[assignment]
