"""Benchmark: publishing for 1,000 and 10,000 stations, against plain file writing.

Run: ``.venv/bin/python benchmarks/bench_publish.py`` (``--stations 1000,10000``). A province
of N stations is registered with bulk inserts (communes of 100 stations each; entries on the
province, the communes' area, every tenth commune, one cluster with a per-station ident, a
bulletin and one station), its programmes are built once, and then, in a temporary home:

- full: the first publication (plan every station, write every file durably, swap);
- unchanged: the same window published again (nothing changed; every file rewritten);
- partial: an announcement to whole communes (1,000 stations, or a tenth of N) published
  with ``codes=``: those stations planned again, every other one carried over;
- baseline: the files of one full publication written again with plain ``open``/``write``
  (their folders made, no fsync, nothing else), in the same run: the floor for any publisher.

The ratios are publication / baseline. Timings are medians of ``--repeat`` runs (the full
publication happens once per N). The database is a SQLite file unless ``--database`` names
another; the home lies in the system's temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from broadcaster.app import App
from broadcaster.db import Entry, Group, Station, transaction
from broadcaster.publish.publication import publish, root
from broadcaster.schedule.plan import plan_all
from broadcaster.schedule.sync import apply_spec
from broadcaster.schedule.yamlfile import load_schedule
from broadcaster.settings_table import load_config

PER_COMMUNE = 100
START = datetime(2030, 3, 3, 17, 0, tzinfo=UTC)  # 2030-03-04 00:00 in Hồ Chí Minh City
WINDOW = timedelta(hours=48)
BASE = """
groups:
  - {code: P, name: Tỉnh Thử Nghiệm, kind: province}
  - code: P-XA
    name: Các xã
    kind: area
    parent: P
    rules: {hours: "05:00-21:00", max_session_minutes: 45, max_sessions_per_day: 4}
stations:
  - {code: PTTH-P, name: Đài Phát thanh tỉnh, kind: radio, group: P, profile: radio}
programmes:
  - code: ban-tin
    title: Bản tin sáng
    items: [{jingle: mo-dau}, {text: "Sau đây là bản tin buổi sáng."}]
  - code: thoi-su
    title: Thời sự
    items: [{jingle: mo-dau}, {text: "Thời sự buổi chiều."}]
  - code: chao
    title: Lời chào
    items: [{ident: "Đây là {name}"}, {text: "Xin chào bà con."}]
  - code: khan-cap
    title: Thông báo khẩn
    items: [{jingle: bao-dong}, {text: "Thông báo khẩn về mưa lũ."}]
entries:
  - {id: sang, programme: ban-tin, target: P, start: "06:00", rrule: FREQ=DAILY, slot_minutes: 30}
  - {id: chieu, programme: thoi-su, target: P-XA, start: "17:30", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"}
"""


def register(app: App, home: Path, stations: int) -> None:
    """The province above, then communes of PER_COMMUNE stations, by bulk inserts."""
    path = home / "province.yaml"
    path.write_text(BASE, encoding="utf-8")
    with transaction(app.sessions) as session:
        apply_spec(session, load_schedule([path]), tuple(app.config.profiles))
    communes = max(1, stations // PER_COMMUNE)
    with transaction(app.sessions) as session:
        area = session.scalar(select(Group.id).where(Group.code == "P-XA"))
        session.execute(insert(Group), [
            {"code": f"X{c:03d}", "name": f"Xã số {c}", "kind": "commune", "parent_id": area,
             "rules": {}} for c in range(communes)])
        ids = dict(session.execute(select(Group.code, Group.id)).all())
        session.execute(insert(Group), [{"code": "X001-C", "name": "Cụm loa thôn Đông",
                                         "kind": "cluster", "parent_id": ids["X001"],
                                         "rules": {"max_session_minutes": 40}}])
        cluster = session.scalar(select(Group.id).where(Group.code == "X001-C"))
        session.execute(insert(Station), [
            {"code": f"S{c:03d}-{k:02d}", "name": f"Cụm loa số {k} xã số {c}",
             "kind": "loudspeaker", "profile": "loudspeaker", "timezone": "Asia/Ho_Chi_Minh",
             "group_id": cluster if c == 1 and k < 10 else ids[f"X{c:03d}"]}
            for c in range(communes) for k in range(PER_COMMUNE)])
        session.add_all([
            *(Entry(code=f"trua-{c:03d}", programme="thoi-su", target=f"X{c:03d}",
                    start_time="11:00", rrule="FREQ=DAILY") for c in range(0, communes, 10)),
            Entry(code="chao", programme="chao", target="X001-C", start_time="12:00",
                  rrule="FREQ=DAILY"),
            Entry(code="tiem-chung", programme="khan-cap", target="X002", priority="normal",
                  valid_from=START.date()),
            Entry(code="rieng", programme="khan-cap", target="S000-00",
                  start_at="2030-03-04T15:00:00")])


def announce_to(app: App, communes: int) -> list[str]:
    """An emergency entry on each of the first ``communes`` communes; their station codes."""
    with transaction(app.sessions) as session:
        session.add_all([Entry(code=f"bao-{c:03d}", programme="khan-cap", target=f"X{c:03d}",
                               start_at="2030-03-04T09:30:00", priority="emergency",
                               on_collision="preempt") for c in range(communes)])
    return [f"S{c:03d}-{k:02d}" for c in range(communes) for k in range(PER_COMMUNE)]


def baseline(folder: Path, into: Path) -> float:
    """Seconds to write the folder's files again with plain open/write (no fsync)."""
    files: list[tuple[str, bytes]] = []
    for parent, _dirs, names in os.walk(folder):
        files += [(os.path.join(os.path.relpath(parent, folder), n),
                   Path(parent, n).read_bytes()) for n in names]
    start = time.perf_counter()
    made: set[str] = set()
    for name, data in files:
        parent = os.path.dirname(os.path.join(into, name))
        if parent not in made:
            os.makedirs(parent, exist_ok=True)
            made.add(parent)
        with open(os.path.join(into, name), "wb") as fh:
            fh.write(data)
    return time.perf_counter() - start


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def run(stations: int, repeat: int, database: str | None, partial: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        (home / "none.toml").touch()
        flags: dict[str, Any] = {"home": home / "var", "engines": "espeak"}
        if database:
            flags["database_url"] = database
        app = App(load_config(env={"BROADCASTER_CONFIG": str(home / "none.toml")}, flags=flags))
        setup, _ = timed(lambda: register(app, home, stations))
        built, plans = timed(lambda: plan_all(app, START, START + WINDOW))
        planned, _ = timed(lambda: plan_all(app, START, START + WINDOW))
        count = len(plans)

        def publish_all() -> int:
            number, _ = publish(app, start=START, window=WINDOW, now=START)
            return number

        full, number = timed(publish_all)
        folder = root(app) / f"{number:06d}"
        files = sum(len(names) for _, _, names in os.walk(folder))
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        again = [timed(publish_all)[0] for _ in range(repeat)]
        base = [baseline(folder, home / f"baseline-{i}") for i in range(repeat)]
        # The announcement's programme is built already (announce builds before publishing).
        codes = announce_to(app, max(1, partial // PER_COMMUNE))
        parts = []
        for _ in range(repeat):
            seconds, (_, changes) = timed(lambda: publish(app, start=START, window=WINDOW,
                                                          now=START, codes=codes))
            parts.append(seconds)
        assert len(changes) == len(codes)
        app.close()

    b, a, p = statistics.median(base), statistics.median(again), statistics.median(parts)
    kept = count - len(codes)
    print(f"{count:,} stations: {files:,} files, {size / 1e6:.1f} MB per publication "
          f"(set-up {setup:.1f} s, programmes built in {built:.1f} s)")
    rows = [("plan_all (programmes built)", planned, ""),
            ("baseline   plain open/write", b, ""),
            ("full       first publication", full,
             f"{full / b:5.1f}x baseline  {full / count * 1000:.2f} ms/station"),
            ("unchanged  published again", a, f"{a / b:5.1f}x baseline"),
            (f"partial    {len(codes):,} re-planned, {kept:,} kept", p, f"{p / b:5.1f}x baseline")]
    for label, seconds, note in rows:
        print(f"  {label:<40} {seconds:7.3f} s  {note}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stations", default="1000,10000",
                        help="comma-separated station counts (multiples of 100)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--partial", type=int, default=1000,
                        help="stations an announcement reaches (at most a tenth of N)")
    parser.add_argument("--database", help="database URL (default: SQLite in the temp home)")
    args = parser.parse_args()
    for n in (int(s) for s in args.stations.split(",")):
        run(n, args.repeat, args.database, min(args.partial, n // 10))
    print(f"medians of {args.repeat} runs; window {WINDOW.total_seconds() / 3600:.0f} h; "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
