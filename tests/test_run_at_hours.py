"""The fake-clock runner of ``make test-hours``: the offset it computes, and a child process
that really reads the faked local hour and can still sleep (libfaketime 0.9.10 + Python 3.11)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.run_at_hours import (
    LOCAL,
    check_faked,
    faketime_env,
    find_library,
    offset_seconds,
    real_time,
    target_time,
)


def test_offsets_and_targets() -> None:
    target = target_time(date(2026, 12, 3), "16:30")
    assert target == datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    real = datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp()
    assert offset_seconds(target, real) == -9000
    assert offset_seconds(target, real - 0.4) == -8999   # never before the target
    env = faketime_env("/lib/libfaketimeMT.so.1", target, real,
                       {"LD_PRELOAD": "/lib/other.so", "PYTHONPATH": "/src"})
    assert env["FAKETIME"] == "-9000" and env["FAKETIME_DONT_FAKE_MONOTONIC"] == "1"
    assert env["LD_PRELOAD"] == "/lib/libfaketimeMT.so.1 /lib/other.so"
    assert env["PYTHONPATH"].endswith(os.pathsep + "/src")
    again = faketime_env("/lib/libfaketimeMT.so.1", target, real, env)  # a run inside a run
    assert again["LD_PRELOAD"] == env["LD_PRELOAD"] and again["PYTHONPATH"] == env["PYTHONPATH"]
    assert abs(real_time(env) - (datetime.now(UTC).timestamp() + 9000)) < 60
    assert abs(real_time({}) - datetime.now(UTC).timestamp()) < 60


def test_a_child_process_lives_at_the_faked_hour() -> None:
    """Every process of a run (here a child Python) reads the faked wall clock, sleeps the
    real duration, and measures it on the real monotonic clock."""
    day = datetime.now(LOCAL).date()
    for hhmm in ("00:30", "23:59"):
        target = target_time(day, hhmm)
        # real_time: this test also runs inside make test-hours, on a faked clock itself.
        env = faketime_env(find_library(), target, real_time(dict(os.environ)),
                           dict(os.environ))
        check_faked(env, target)  # raises SystemExit unless the child reads the target
        probe = ("import time; from datetime import datetime; from zoneinfo import ZoneInfo; "
                 "m = time.monotonic(); time.sleep(0.2); slept = time.monotonic() - m; "
                 "print(datetime.now(ZoneInfo('Asia/Ho_Chi_Minh')).strftime('%H:%M'), slept)")
        seen, slept = subprocess.run([sys.executable, "-c", probe], env=env, check=True,
                                     capture_output=True, text=True).stdout.split()
        assert seen in {hhmm, (datetime.strptime(hhmm, "%H:%M") + timedelta(minutes=1))
                        .strftime("%H:%M")}
        assert 0.2 <= float(slept) < 5


CLOCK = re.compile(r"\b(datetime\.now|date\.today|utcnow|time\.time|time_ns|localtime)\b")


def test_the_stages_left_out_never_read_the_clock() -> None:
    """``make test-hours`` leaves out the tests of text, speech and media: they may, because
    nothing in those stages reads the clock (nor in audio/generate.py)."""
    root = Path(__file__).resolve().parents[1]
    sources = [*(root / "broadcaster").glob("text/**/*.py"),
               *(root / "broadcaster").glob("speech/**/*.py"),
               *(root / "broadcaster").glob("media/**/*.py"), root / "audio" / "generate.py"]
    assert len(sources) > 10
    reading = [f"{p.relative_to(root)}: {m.group()}" for p in sources
               for m in CLOCK.finditer(p.read_text(encoding="utf-8"))]
    assert reading == []
    ignored = (root / "Makefile").read_text(encoding="utf-8").split("HOURS_ARGS ?=")[1]
    ignored = ignored.split("\n\n")[0]
    assert set(re.findall(r"--ignore=(\S+)", ignored)) == {
        "tests/ui", "tests/text", "tests/speech", "tests/media", "tests/test_audio_assets.py"}
