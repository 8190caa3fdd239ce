"""The agent's clock, injected everywhere a decision depends on time.

Timing decisions take ``now`` as an argument (:func:`broadcaster.agent.decide.decide`); the
loops that wait (playback, polling, downloads) wait through a :class:`Clock`, so tests drive
them with a clock they advance by hand instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time (aware UTC), a monotonic counter, and waiting."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a counter that never goes back (for rates and durations)."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait until ``event`` is set or ``seconds`` pass; whether it was set."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current time, aware UTC."""
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` (nothing for zero or less)."""
        if seconds > 0:
            time.sleep(seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """``event.wait`` with a timeout of at least zero."""
        return event.wait(max(0.0, seconds))
