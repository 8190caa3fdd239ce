"""Test-only crash points: a process kills itself (SIGKILL, as ``kill -9``) at a named step.

The fault-injection tests set ``BROADCASTER_TEST_CRASH_AT=announce:stored`` (say) in the
environment of one process, so that it dies exactly between two steps of its work instead of
at a moment that timing luck picks. Unset, as everywhere but in those tests, a crash point
does nothing but read one environment variable. It is not a setting: ``config show`` does not
know it, and nothing in a deployment should set it.

Points: ``announce:stored`` (the announcement's row committed, nothing built),
``announce:entry`` (its entry committed, not published), ``announce:published`` (its
publication committed, not recorded on the row), ``announce:answer`` (made; the service has
not answered the command yet).
"""

from __future__ import annotations

import os
import signal

ENV = "BROADCASTER_TEST_CRASH_AT"


def crash_point(name: str) -> None:
    """Die at once, as by ``kill -9``, when the test environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
