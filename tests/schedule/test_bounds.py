"""How often an entry may air: refused where it is written, capped where it is planned."""

from __future__ import annotations

import subprocess
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcaster.app import App
from broadcaster.db import Entry
from broadcaster.db.engine import transaction
from broadcaster.errors import InputError
from broadcaster.schedule.bounds import MAX_PER_DAY, airings_per_day, rule_problem
from broadcaster.schedule.resolve import Rule, expand
from tests.helpers import run_measured

BIN = Path(sys.executable).parent / "broadcaster"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
SMALL = """\
province: {code: T, name: Tỉnh Thử}
groups:
  - {code: T, name: Tỉnh Thử, kind: province}
stations:
  - {code: DAI-1, name: Đài một, kind: radio, group: T, profile: radio}
programmes:
  - code: tin
    title: Tin
    items:
      - jingle: mo-dau
entries:
  - {id: sang, programme: tin, target: DAI-1, start: '06:00', rrule: FREQ=DAILY}
"""
EVERY_TEN_MINUTES = "FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) \
    + ";BYMINUTE=0,10,20,30,40,50"


@pytest.mark.parametrize("rrule, per_day", [
    ("FREQ=DAILY", 1),
    ("FREQ=WEEKLY;BYDAY=MO,TH", 1),
    ("FREQ=DAILY;BYHOUR=6,17", 2),
    ("FREQ=DAILY;BYHOUR=6,06,6", 1),
    ("FREQ=HOURLY", 24),
    ("FREQ=HOURLY;INTERVAL=5", 5),
    ("FREQ=HOURLY;BYMINUTE=0,30", 48),
    ("FREQ=HOURLY;BYHOUR=6,7;BYMINUTE=0,30", 4),
    (EVERY_TEN_MINUTES, 144),
    ("FREQ=DAILY;BYHOUR=6;BYMINUTE=0,1,2;BYSECOND=0,1", 6),
    ("FREQ=DAILY;BYHOUR=6;BYMINUTE=" + ",".join(map(str, range(60))) + ";BYSECOND=0,30", 120),
])
def test_airings_per_day_is_an_upper_bound(rrule: str, per_day: int) -> None:
    assert airings_per_day(rrule) == per_day
    assert rule_problem(rrule) is None


@pytest.mark.parametrize("rrule, reason", [
    ("FREQ=SECONDLY", "FREQ=SECONDLY repeats every second"),
    ("freq=minutely;interval=30", "FREQ=MINUTELY repeats every minute"),
    ("RRULE:FREQ=MINUTELY", "FREQ=MINUTELY repeats every minute"),
    ("FREQ=HOURLY;BYMINUTE=0,5,10,15,20,25,30", "it can air 168 times a day, more than the 144"),
    (EVERY_TEN_MINUTES + ",55", "it can air 168 times a day"),
    ("FREQ=DAILY;COUNT=10001", "COUNT=10001 is out of range (1..10000, not 0)"),
    ("FREQ=DAILY;INTERVAL=1001", "INTERVAL=1001 is out of range"),
    ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0 is out of range"),
])
def test_rules_no_station_can_broadcast_are_refused(rrule: str, reason: str) -> None:
    problem = rule_problem(rrule)
    assert problem is not None and reason in problem


def test_validate_refuses_secondly_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "moi-giay.yaml"
    path.write_text(SMALL + "  - {id: moi-giay, programme: tin, target: DAI-1, start: '06:00',"
                            "\n     rrule: FREQ=SECONDLY}\n", encoding="utf-8")
    done = subprocess.run([str(BIN), "schedule", "validate", str(path)], capture_output=True,
                          text=True, timeout=60, env=_env(tmp_path, f"sqlite:///{tmp_path}/x.db"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{path}:14:" in done.stderr and "entries[1].rrule" in done.stderr
    assert "FREQ=SECONDLY repeats every second" in done.stderr
    assert "Traceback" not in done.stderr


def test_schedule_add_refuses_minutely(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    cli("schedule", "apply", str(path))
    result = cli("schedule", "add", "moi-phut", "--programme", "tin", "--target", "DAI-1",
                 "--start", "06:00", "--rrule", "FREQ=MINUTELY", code=1)
    assert "entry moi-phut: rrule 'FREQ=MINUTELY' is refused: FREQ=MINUTELY repeats every " \
           "minute" in result.stderr
    hourly = cli("schedule", "add", "moi-gio", "--programme", "tin", "--target", "DAI-1",
                 "--start", "06:00", "--rrule", "FREQ=HOURLY;BYMINUTE=0,5,10,15,20,25,30",
                 code=1)
    assert "168 times a day" in hourly.stderr
    assert "moi-phut" not in cli("schedule", "export").stdout


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    import os
    return {**os.environ, "BROADCASTER_HOME": str(tmp_path / "var"),
            "BROADCASTER_DATABASE_URL": database_url, "BROADCASTER_ENGINES": "espeak",
            "BROADCASTER_CONFIG": ""}


def test_publish_stops_at_a_secondly_row_already_in_the_database(  # type: ignore[no-untyped-def]
        cli, app: App, tmp_path: Path, database_url: str) -> None:
    """A row stored before the checks (or by hand): publish ends at once, naming the entry."""
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    cli("schedule", "apply", str(path))
    with transaction(app.sessions) as session:
        session.add(Entry(code="moi-giay", programme="tin", target="DAI-1", origin="cli",
                          start_time="06:00", rrule="FREQ=SECONDLY"))
    started = clock.monotonic()
    done, peak_mb = run_measured([str(BIN), "publish", "--days", "7"],
                                 _env(tmp_path, database_url), timeout=60)
    elapsed = clock.monotonic() - started
    assert done.returncode == 1, done.stdout + done.stderr
    assert "entry 'moi-giay': the rule 'FREQ=SECONDLY' gives more than" in done.stderr
    assert f"more than the {MAX_PER_DAY} a day a station can broadcast" in done.stderr
    assert "Traceback" not in done.stderr
    assert peak_mb < 400, f"publish peaked at {peak_mb:.0f} MB"
    assert elapsed < 60
    assert not (tmp_path / "var" / "publications" / "current").exists()


def _rule(rrule: str, **kwargs: object) -> Rule:
    return Rule("r", "p", timedelta(minutes=5), start_time=time(6), rrule=rrule,
                **kwargs)  # type: ignore[arg-type]


def _week(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), VN)
    return start, start + timedelta(days=7)


def test_the_planner_caps_a_rule_whoever_wrote_it() -> None:
    started = clock.monotonic()
    with pytest.raises(InputError, match=r"entry 'r': the rule 'FREQ=SECONDLY' gives more "
                                         r"than 1,728 airings from 2026-02-28 to 2026-03-11"):
        expand([_rule("FREQ=SECONDLY")], VN, *_week(date(2026, 3, 2)))
    # COUNT is counted from the first day: a huge one is walked no further than MAX_SCAN.
    with pytest.raises(InputError, match="counts more than 100,000 airings before 2026-02-28"):
        expand([_rule("FREQ=MINUTELY;COUNT=1000000000", valid_from=date(2020, 1, 1))], VN,
               *_week(date(2026, 3, 2)))
    assert clock.monotonic() - started < 10


def test_the_planner_keeps_what_announcements_and_busy_rules_ask() -> None:
    """An announcement repeats FREQ=MINUTELY with UNTIL (at most 100 airings); a rule every ten
    minutes all day is at the bound."""
    announcement = Rule("thong-bao-1", "p", timedelta(minutes=1),
                        start_at=datetime(2026, 3, 3, 8), valid_from=date(2026, 3, 3),
                        rrule="FREQ=MINUTELY;INTERVAL=1;UNTIL=20260303T093900")
    busy = _rule(EVERY_TEN_MINUTES)
    found = expand([announcement, busy], VN, *_week(date(2026, 3, 2)))
    assert sum(o.rule.id == "thong-bao-1" for o in found) == 100
    assert sum(o.rule.id == "r" for o in found) == 7 * 144
    assert all(o.start.tzinfo is UTC for o in found)
