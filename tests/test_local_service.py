"""How commands find the running service of their HOME (the e2e test hands real work over)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from broadcaster.local_service import advertise, find, local_url, withdraw


@pytest.mark.parametrize(("host", "url"), [
    ("0.0.0.0", "http://127.0.0.1:8080"), ("127.0.0.1", "http://127.0.0.1:8080"),
    ("localhost", "http://127.0.0.1:8080"), ("::", "http://[::1]:8080"),
    ("10.0.0.5", "http://10.0.0.5:8080"), ("fd00::5", "http://[fd00::5]:8080"),
])
def test_local_url(host: str, url: str) -> None:
    assert local_url(host, 8080) == url


def test_advertise_find_withdraw(tmp_path: Path) -> None:
    assert find(tmp_path) is None
    # A service that was killed: its process is gone, so it is not found, and the next
    # service to start removes its file.
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    mine = advertise(tmp_path, "0.0.0.0", 8080)
    stale = mine.path.with_name(mine.path.name.replace(f"-{os.getpid()}.", f"-{gone}."))
    stale.write_text(json.dumps({"pid": int(gone), "url": "http://127.0.0.1:1", "token": "x"}))
    assert find(tmp_path) == mine
    again = advertise(tmp_path, "0.0.0.0", 8080)
    assert not stale.exists() and again.token != mine.token and find(tmp_path) == again
    assert again.path.stat().st_mode & 0o777 == 0o600
    withdraw(again)
    assert find(tmp_path) is None and not list((tmp_path / "run").iterdir())
