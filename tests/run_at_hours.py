"""Run pytest under a fake clock (libfaketime) at several local hours of the day.

    python tests/run_at_hours.py [--date YYYY-MM-DD] [--at HH:MM]... [-- PYTEST ARGS]

For each ``--at`` (wall clock in Asia/Ho_Chi_Minh, default 00:30 06:59 16:30 23:59) the suite
runs once with ``LD_PRELOAD`` = libfaketime and ``FAKETIME`` = a relative offset in seconds
that puts the clock at that local time on ``--date`` (default: today in Asia/Ho_Chi_Minh) when
the run starts. The clock then advances at its normal rate, and every process the tests start
(``serve``, the agent, CLI subprocesses, mpv, chromium) inherits the same offset, so all of
them agree on the time. A relative offset is used instead of libfaketime's ``@start`` form
because ``@`` restarts the clock in every child process.

What libfaketime cannot fake: statically linked programs (the ffmpeg of imageio-ffmpeg, which
never asks for the time), the PostgreSQL server (started outside; its ``now()`` stays real) and
file times written by the kernel (mtimes stay real, so a file just written looks up to a day
old or new to the faked process). ``CLOCK_MONOTONIC`` is left real
(``FAKETIME_DONT_FAKE_MONOTONIC``): timeouts and sleeps measure real durations.

Before running the suite the script checks that the clock is really faked (a child Python
reads the time and must land within a minute of the target) and stops otherwise. It prints
one line per hour with the outcome and the time taken, and exits 1 if any run failed.
"""

from __future__ import annotations

import argparse
import glob
import math
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_HOURS = ("00:30", "06:59", "16:30", "23:59")
LIBRARY_GLOBS = ("/usr/lib/*/faketime/libfaketimeMT.so.1", "/usr/lib/faketime/libfaketimeMT.so.1",
                 "/usr/local/lib/faketime/libfaketimeMT.so.1")
SHIM = Path(__file__).resolve().parent / "faketime"
PROBE = ("from datetime import datetime; from zoneinfo import ZoneInfo; "
         "import time; time.sleep(0.01); "
         "print(datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')).isoformat())")


def find_library() -> str:
    """The multithreaded libfaketime of this machine (Debian package libfaketime)."""
    for pattern in LIBRARY_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    raise SystemExit("libfaketime is not installed: run 'sudo apt-get install faketime'")


def real_time(env: dict[str, str]) -> float:
    """The real time, even inside a faked-clock run (``env`` holds its ``FAKETIME`` offset)."""
    offset = env.get("FAKETIME", "") if env.get("LD_PRELOAD", "").count("faketime") else ""
    return time.time() - (int(offset) if offset.lstrip("+-").isdigit() else 0)


def offset_seconds(target: datetime, real_now: float) -> int:
    """The FAKETIME offset (whole seconds) that makes a clock reading ``real_now`` read
    ``target``, or up to a second later: never earlier (rounding down could put a run that
    asks for 00:30 at 00:29:59)."""
    return math.ceil(target.timestamp() - real_now)


def faketime_env(library: str, target: datetime, real_now: float,
                 base: dict[str, str]) -> dict[str, str]:
    """``base`` plus the variables that put every process of the run at ``target``."""
    env = dict(base)
    preload = " ".join(dict.fromkeys(p for p in (library, *base.get("LD_PRELOAD", "").split())
                                     if p))
    path = os.pathsep.join(dict.fromkeys(
        p for p in (str(SHIM), *base.get("PYTHONPATH", "").split(os.pathsep)) if p))
    env.update({"LD_PRELOAD": preload, "PYTHONPATH": path,
                "FAKETIME": f"{offset_seconds(target, real_now):+d}",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1"})
    return env


def target_time(day: date, hhmm: str) -> datetime:
    """``hhmm`` on ``day``, Asia/Ho_Chi_Minh wall clock."""
    try:
        hour, minute = (int(p) for p in hhmm.split(":"))
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)
    except ValueError as exc:
        raise SystemExit(f"--at {hhmm!r}: not a time HH:MM ({exc})") from None


def check_faked(env: dict[str, str], target: datetime) -> None:
    """Stop unless a child process really reads the faked time."""
    seen = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, check=True).stdout.strip()
    if abs(datetime.fromisoformat(seen) - target) > timedelta(minutes=1):
        raise SystemExit(f"libfaketime is not in effect: wanted {target.isoformat()}, "
                         f"a child process read {seen}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", type=date.fromisoformat,
                        default=datetime.now(LOCAL).date(),
                        help="day of the fake clock (default: today in Asia/Ho_Chi_Minh)")
    parser.add_argument("--at", action="append", dest="hours",
                        help=f"local start time HH:MM; repeat (default: "
                        f"{' '.join(DEFAULT_HOURS)})")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest, after --")
    args = parser.parse_args(argv)
    library = find_library()
    results = []
    for hhmm in args.hours or DEFAULT_HOURS:
        target = target_time(args.date, hhmm)
        env = faketime_env(library, target, real_time(dict(os.environ)), dict(os.environ))
        check_faked(env, target)
        print(f"== pytest at {target.isoformat()} (FAKETIME={env['FAKETIME']})", flush=True)
        began = time.monotonic()
        code = subprocess.call([sys.executable, "-m", "pytest", *args.pytest_args], env=env,
                               cwd=Path(__file__).resolve().parents[1])
        results.append((hhmm, code, time.monotonic() - began))
    for hhmm, code, took in results:
        print(f"{hhmm}  {'passed' if code == 0 else f'FAILED (exit {code})'}  {took:.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
