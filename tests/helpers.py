"""Small helpers shared by the tests that run real processes and sockets."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# The small province most CLI, publication and web tests start from: a province, an area with
# broadcast rules, two communes with a station each, the provincial radio, two programmes
# and three entries (a daily bulletin, a weekly one, an emergency).
SCHEDULE = """
groups:
  - {code: BS, name: Tỉnh Bình Sơn, kind: province}
  - code: BS-XA
    name: Các xã
    kind: area
    parent: BS
    rules: {hours: "05:00-21:00", max_session_minutes: 45, max_sessions_per_day: 3}
  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, parent: BS-XA}
  - {code: BS-HOALOC, name: Xã Hòa Lộc, kind: commune, parent: BS-XA}
stations:
  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: BS-TANTIEN}
  - {code: HOALOC-01, name: Đài truyền thanh xã Hòa Lộc, group: BS-HOALOC}
  - {code: PTTH-BS, name: Đài Phát thanh tỉnh Bình Sơn, kind: radio, group: BS}
programmes:
  - code: ban-tin
    title: Bản tin sáng
    items:
      - jingle: mo-dau
      - ident: "Đây là Đài truyền thanh {name}"
      - text: "Sau đây là bản tin buổi sáng."
  - code: khan-cap
    title: Thông báo khẩn
    items:
      - jingle: bao-dong
      - text: "Thông báo khẩn về mưa lũ."
entries:
  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY, on_collision: preempt}
  - {id: chieu, programme: ban-tin, target: BS-XA, start: "17:30", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"}
  - {id: lu, programme: khan-cap, target: BS-TANTIEN, start: "2030-03-04T06:00:05", priority: emergency}
"""


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


# Run a command under a small parent of its own that reports the command's peak memory: the
# kernel's peak for a child counts what it inherited at fork, and a child of the test process
# (hundreds of MB into the suite) would report that; this parent is small when it forks.
_MEASURED = """\
import resource, subprocess, sys
try:
    code = subprocess.run(sys.argv[2:], timeout=float(sys.argv[1])).returncode
except subprocess.TimeoutExpired:
    code = 124
sys.stderr.write(f"\\npeak-rss-kb {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n")
sys.exit(code)
"""


def run_measured(args: Sequence[str], env: Mapping[str, str], timeout: float = 60
                 ) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run ``args`` to its end (exit 124 after ``timeout`` seconds); its result (stdout and
    stderr as it wrote them) and its peak resident memory in MB."""
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(timeout), *args],
                          capture_output=True, text=True, env=dict(env), timeout=timeout + 60)
    stderr, _, peak_kb = done.stderr.rpartition("\npeak-rss-kb ")
    return (subprocess.CompletedProcess(list(args), done.returncode, done.stdout, stderr),
            int(peak_kb) / 1024)

