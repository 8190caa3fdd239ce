"""The fuzzing harness runs, and what it found stays fixed.

Every seed and every recorded crash (tests/fuzz/crashes/) is replayed through its target without
atheris: each must be read or refused with an InputError, within seconds. Crashes in code that
is being fixed elsewhere are listed in crashes/open.txt and expected to fail (strictly: once
fixed, the test says so, and the line goes). A short atheris run of each target proves the
harness itself works; `make fuzz-inputs` is the long run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fuzz.run import TARGETS
from tests.fuzz.targets import TARGETS as FUNCTIONS

HERE = Path(__file__).resolve().parent
CRASHES = HERE / "crashes"


def _open() -> dict[str, str]:
    """Recorded crashes that another piece of work fixes: {name: why}."""
    listed = CRASHES / "open.txt"
    if not listed.exists():
        return {}
    lines = [ln.split("#", 1) for ln in listed.read_text(encoding="utf-8").splitlines()]
    return {name.strip(): why.strip() for name, *rest in lines if name.strip()
            for why in [rest[0] if rest else "open"]}


def _cases() -> list[object]:
    opened = _open()
    cases: list[object] = []
    for target in TARGETS:
        for path in sorted((HERE / "seeds" / target).glob("*")):
            cases.append(pytest.param(target, path, id=f"seed-{target}-{path.name}"))
    for path in sorted(CRASHES.glob("*.bin")):
        target = next(t for t in TARGETS if path.name.startswith(f"{t}-"))
        marks = [pytest.mark.xfail(strict=True, raises=Exception, reason=opened[path.stem])] \
            if path.stem in opened else []
        cases.append(pytest.param(target, path, id=path.stem, marks=marks))
    return cases


@pytest.mark.parametrize("target, path", _cases())
def test_input_is_read_or_refused(target: str, path: Path) -> None:
    started = time.monotonic()
    FUNCTIONS[target](path.read_bytes())  # raises anything but an InputError
    assert time.monotonic() - started < 10


def test_every_open_crash_is_on_record() -> None:
    assert all((CRASHES / f"{name}.bin").is_file() for name in _open())


def test_the_harness_runs_each_target(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(HERE / "run.py"), "--seconds", "4", "--json",
                           "--work", str(tmp_path / "work"), "--crashes",
                           str(tmp_path / "crashes")],
                          capture_output=True, text=True, timeout=300)
    rows = {row["target"]: row for row in json.loads(done.stdout)}
    assert set(rows) == set(TARGETS), done.stderr
    for row in rows.values():
        assert not row["failed"], row
        assert row["runs"] > 0 and row["cov"] > 0 and row["corpus"] > 0, row
    found = sorted(p.name for p in (tmp_path / "crashes").glob("*"))
    assert [row["crashes"] for row in rows.values()] == [0] * len(rows), found
