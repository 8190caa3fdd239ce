"""Temporary files of the media store: a dead or long-silent writer's go, a live writer's stay."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from broadcaster.media.store import MediaStore
from broadcaster.publish.prune import clean_temp


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of a process that runs for the whole test (another writer at work)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def temp_file(store: MediaStore, pid: int, age_s: float = 0.0) -> Path:
    tmp = store.root / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / f"{pid}-abc123.mp3"
    path.write_bytes(b"half a programme")
    if age_s:
        stamp = path.stat().st_mtime - age_s
        os.utime(path, (stamp, stamp))
    return path


def test_a_live_writers_file_stays_though_this_process_clock_runs_a_day_ahead(
        tmp_path: Path, live_pid: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # What the CI run at a faked 06:59 met: `serve` restarted with a clock hours ahead of the
    # one stamping the files removed the file the `announce` command was rendering into.
    store = MediaStore(tmp_path / "media")
    kept = temp_file(store, live_pid)
    ahead = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: ahead)
    assert clean_temp(SimpleNamespace(store=store)) == 0
    assert kept.read_bytes() == b"half a programme"


def test_a_dead_writers_file_goes_at_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    gone = temp_file(store, dead_pid())
    assert clean_temp(SimpleNamespace(store=store)) == 1
    assert not gone.exists()
    assert list((store.root / "tmp").iterdir()) == []  # the clock probe leaves nothing


def test_a_file_silent_for_longer_than_the_limit_goes_whoever_wrote_it(
        tmp_path: Path, live_pid: int) -> None:
    # A pid can be reused: a file untouched for two hours is stale even if its pid runs.
    store = MediaStore(tmp_path / "media")
    old = temp_file(store, live_pid, age_s=7200)
    fresh = temp_file(store, os.getpid())
    assert clean_temp(SimpleNamespace(store=store)) == 1
    assert not old.exists() and fresh.exists()
