"""Small helpers shared by the tests that run real processes and sockets."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll ``check`` until it returns something true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end on a loop of its own, in a thread of its own: the browser
    tests' Playwright leaves an event loop set on the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


SERVER_PACKAGES = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "apscheduler", "numpy", "scipy")
SERVER_MODULES = ("broadcaster.db", "broadcaster.app", "broadcaster.service", "broadcaster.web",
                  "broadcaster.media", "broadcaster.speech")


def heavy_imports(code: str, packages: tuple[str, ...] = SERVER_PACKAGES,
                  modules: tuple[str, ...] = SERVER_MODULES) -> list[str]:
    """Run ``code`` in a fresh interpreter; the modules it loaded from ``packages`` (top-level
    names) or under ``modules`` (prefixes)."""
    probe = (f"{code}\nimport sys\nprint('loaded:', *sorted(m for m in sys.modules "
             f"if m.split('.')[0] in {packages!r} or m.startswith({modules!r})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()[-1].split()[1:]
