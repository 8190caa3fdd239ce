"""Coverage: who received and played what, per station and per group, on both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from broadcaster.app import App
from broadcaster.coverage import parse_period, parse_time
from broadcaster.db import Publication, transaction
from broadcaster.errors import InputError
from broadcaster.publish.publication import publish
from broadcaster.reports import Heartbeat, PlayReport, mark_offline, record_report

SCHEDULE = """
groups:
  - {code: BS, name: Tỉnh Bình Sơn, kind: province}
  - {code: BS-XA, name: Các xã, kind: area, parent: BS}
  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, parent: BS-XA}
  - {code: BS-HOALOC, name: Xã Hòa Lộc, kind: commune, parent: BS-XA}
stations:
  - {code: PTTH-BS, name: Đài Phát thanh tỉnh Bình Sơn, kind: radio, group: BS}
  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: BS-TANTIEN}
  - {code: TANTIEN-02, name: Cụm loa thôn Đông, group: BS-TANTIEN}
  - {code: HOALOC-01, name: Đài truyền thanh xã Hòa Lộc, group: BS-HOALOC}
  - {code: HOALOC-02, name: Cụm loa thôn Bắc, group: BS-HOALOC}
programmes:
  - code: ban-tin
    title: Bản tin sáng
    items:
      - jingle: mo-dau
      - ident: "Đây là {name}"
      - text: "Sau đây là bản tin buổi sáng."
  - code: khan-cap
    title: Thông báo khẩn
    items:
      - jingle: bao-dong
      - text: "Thông báo khẩn về mưa lũ."
entries:
  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY}
  - {id: lu, programme: khan-cap, target: BS-TANTIEN, start: "2030-03-04T09:00:00", priority: emergency}
"""
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = ["--since", "2030-03-04", "--until", "2030-03-04"]  # the whole local Monday
SANG = [f"sang@20300303T230000Z#1.{i}" for i in (1, 2, 3)]  # 2030-03-04 06:00 local
SANG_NEXT = [f"sang@20300304T230000Z#1.{i}" for i in (1, 2, 3)]  # the next day
LU = "lu@20300304T020000Z#1.1"  # 2030-03-04 09:00 local


def at(hour: int, minute: int = 0, second: int = 0, day: int = 4) -> datetime:
    return datetime(2030, 3, day, hour, minute, second, tzinfo=LOCAL)


def publish_at(app: App, moment: datetime, days: float = 2) -> int:
    """Publish as if at ``moment``. publish() writes ``now`` into index.json but stamps the
    database row with the wall clock, so the row is set to the simulated moment too."""
    number, _ = publish(app, start=moment, window=timedelta(days=days), now=moment)
    with transaction(app.sessions) as session:
        row = session.scalars(select(Publication).where(Publication.number == number)).one()
        row.created_at = moment
    return number


def played(item: str, start: datetime, n: int, outcome: str = "played") -> PlayReport:
    stamp = datetime.strptime(item.split("@")[1].split("#")[0], "%Y%m%dT%H%M%SZ")
    return PlayReport(f"agent:{n}", item, stamp.replace(tzinfo=UTC), outcome,  # type: ignore[arg-type]
                      start, start + timedelta(seconds=30))


def beat(publication: int) -> Heartbeat:
    return Heartbeat(agent_version="0.5.0", publication=publication, digest="d" * 64)


@pytest.fixture
def province(cli, app: App, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Five stations, one publication at midnight, and what each station reported that day:

    PTTH-BS and TANTIEN-01 played everything; TANTIEN-02 had its bulletin pre-empted (and
    played the flood warning); HOALOC-01 held the publication, played nothing and went offline;
    HOALOC-02 never reported.
    """
    path = tmp_path / "coverage.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    assert publish_at(app, at(0)) == 1
    send = app.sessions
    record_report(send, "HOALOC-01", beat(1), [], now=at(5))
    assert mark_offline(send, timedelta(hours=3), now=at(8, 30)) == ["HOALOC-01"]
    record_report(send, "PTTH-BS", beat(1), [], now=at(4))
    record_report(send, "PTTH-BS", beat(1), [played(item, at(6, 0, 20 * i), i)
                                             for i, item in enumerate(SANG)], now=at(6, 10))
    record_report(send, "TANTIEN-01", beat(1), [], now=at(5))
    record_report(send, "TANTIEN-01", beat(1),
                  [*(played(item, at(6, 0, 1 + 20 * i), i) for i, item in enumerate(SANG)),
                   played(LU, at(9, 0, 2), 3)], now=at(9, 10))
    # The next morning's bulletin is outside the period and must not count.
    record_report(send, "TANTIEN-01", beat(1), [played(SANG_NEXT[0], at(6, 0, 1, day=5), 4)],
                  now=at(6, 10, day=5))
    record_report(send, "TANTIEN-02", beat(1), [], now=at(5, 30))
    record_report(send, "TANTIEN-02", beat(1), [played(SANG[0], at(6), 1, "preempted"),
                                                played(LU, at(9, 0, 1), 2)], now=at(9, 5))
    return cli


def report(cli, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return json.loads(cli("report", "coverage", *DAY, "--format", "json", *args).stdout)


def by_code(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in rows}


def test_programme_coverage_per_station_and_group(province) -> None:  # type: ignore[no-untyped-def]
    data = report(province, "--programme", "ban-tin")
    assert data["period"] == {"since": "2030-03-04T00:00:00+07:00",
                              "until": "2030-03-05T00:00:00+07:00",
                              "timezone": "Asia/Ho_Chi_Minh"}
    assert data["programme"] == "ban-tin" and data["group"] is None
    assert data["publications"] == [1]
    stations = by_code(data["stations"])
    assert list(stations) == ["HOALOC-01", "HOALOC-02", "PTTH-BS", "TANTIEN-01", "TANTIEN-02"]
    assert {c: r["expected"] for c, r in stations.items()} == dict.fromkeys(stations, 3)
    assert stations["TANTIEN-01"] | {} == {
        "code": "TANTIEN-01", "name": "Đài truyền thanh xã Tân Tiến", "group": "BS-TANTIEN",
        "expected": 3, "received": True, "received_at": "2030-03-04T05:00:00+07:00",
        "received_publication": 1, "played": 3, "first_played_at": "2030-03-04T06:00:01+07:00",
        "preempted": 0, "failed": 0, "skipped": 0, "status": "online",
        "last_seen_at": "2030-03-05T06:10:00+07:00", "offline_since": None}
    assert stations["PTTH-BS"]["played"] == 3
    assert stations["PTTH-BS"]["first_played_at"] == "2030-03-04T06:00:00+07:00"
    assert stations["PTTH-BS"]["received_at"] == "2030-03-04T04:00:00+07:00"
    pre = stations["TANTIEN-02"]
    assert (pre["received"], pre["played"], pre["preempted"]) == (True, 0, 1)
    held = stations["HOALOC-01"]
    assert (held["received"], held["played"], held["status"]) == (True, 0, "offline")
    assert held["last_seen_at"] == "2030-03-04T05:00:00+07:00"
    assert held["offline_since"] == "2030-03-04T08:30:00+07:00"
    never = stations["HOALOC-02"]
    assert (never["received"], never["received_at"], never["played"]) == (False, None, 0)
    assert (never["status"], never["last_seen_at"]) == ("never", None)

    groups = {g["code"]: g for g in data["groups"]}
    assert list(groups) == ["BS", "BS-XA", "BS-HOALOC", "BS-TANTIEN"]
    counts = {c: (g["depth"], g["stations"], g["expected"], g["received"], g["played"],
                  g["received_pct"], g["played_pct"], g["offline"], g["never_reported"])
              for c, g in groups.items()}
    assert counts == {"BS": (0, 5, 5, 4, 2, 80.0, 40.0, 1, 1),
                      "BS-XA": (1, 4, 4, 3, 1, 75.0, 25.0, 1, 1),
                      "BS-HOALOC": (2, 2, 2, 1, 0, 50.0, 0.0, 1, 1),
                      "BS-TANTIEN": (2, 2, 2, 2, 1, 100.0, 50.0, 0, 0)}
    assert data["total"] | {"code": "BS", "name": "Tỉnh Bình Sơn"} == groups["BS"] | {"depth": 0}


def test_every_programme_lists_every_station(province) -> None:  # type: ignore[no-untyped-def]
    data = report(province)
    assert data["programme"] is None
    stations = by_code(data["stations"])
    assert {c: (r["expected"], r["played"], r["preempted"]) for c, r in stations.items()} == {
        "HOALOC-01": (3, 0, 0), "HOALOC-02": (3, 0, 0), "PTTH-BS": (3, 3, 0),
        "TANTIEN-01": (4, 4, 0), "TANTIEN-02": (4, 1, 1)}
    assert stations["TANTIEN-02"]["first_played_at"] == "2030-03-04T09:00:01+07:00"
    assert (data["total"]["played"], data["total"]["played_pct"]) == (3, 60.0)


def test_programme_filter_and_group_filter(province) -> None:  # type: ignore[no-untyped-def]
    flood = report(province, "--programme", "khan-cap")
    assert [(r["code"], r["expected"], r["received"], r["played"]) for r in flood["stations"]] \
        == [("TANTIEN-01", 1, True, 1), ("TANTIEN-02", 1, True, 1)]
    # Groups with no station expected to play it are left out.
    assert [(g["code"], g["expected"], g["played_pct"]) for g in flood["groups"]] == [
        ("BS", 2, 100.0), ("BS-XA", 2, 100.0), ("BS-TANTIEN", 2, 100.0)]

    ward = report(province, "--programme", "ban-tin", "--group", "BS-HOALOC")
    assert ward["group"] == "BS-HOALOC"
    assert [r["code"] for r in ward["stations"]] == ["HOALOC-01", "HOALOC-02"]
    assert [(g["code"], g["depth"], g["received"], g["received_pct"]) for g in ward["groups"]] \
        == [("BS-HOALOC", 0, 1, 50.0)]
    assert (ward["total"]["code"], ward["total"]["expected"]) == ("BS-HOALOC", 2)

    area = report(province, "--group", "BS-XA")
    assert [r["code"] for r in area["stations"]] == ["HOALOC-01", "HOALOC-02", "TANTIEN-01",
                                                     "TANTIEN-02"]
    assert [g["code"] for g in area["groups"]] == ["BS-XA", "BS-HOALOC", "BS-TANTIEN"]


def test_csv_one_row_per_station(province) -> None:  # type: ignore[no-untyped-def]
    out = province("report", "coverage", *DAY, "--programme", "ban-tin", "--format",
                   "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["code"] for r in rows] == ["HOALOC-01", "HOALOC-02", "PTTH-BS", "TANTIEN-01",
                                         "TANTIEN-02"]
    assert out.splitlines()[0] == ("code,name,group,expected,received,received_at,"
                                   "received_publication,played,first_played_at,preempted,"
                                   "failed,skipped,status,last_seen_at,offline_since")
    rows_by = {r["code"]: r for r in rows}
    assert rows_by["TANTIEN-01"] == {
        "code": "TANTIEN-01", "name": "Đài truyền thanh xã Tân Tiến", "group": "BS-TANTIEN",
        "expected": "3", "received": "yes", "received_at": "2030-03-04T05:00:00+07:00",
        "received_publication": "1", "played": "3",
        "first_played_at": "2030-03-04T06:00:01+07:00", "preempted": "0", "failed": "0",
        "skipped": "0", "status": "online", "last_seen_at": "2030-03-05T06:10:00+07:00",
        "offline_since": ""}
    assert (rows_by["HOALOC-02"]["received"], rows_by["HOALOC-02"]["status"],
            rows_by["HOALOC-02"]["last_seen_at"]) == ("no", "never", "")
    assert rows_by["TANTIEN-02"]["preempted"] == "1"


def test_table_is_readable(province) -> None:  # type: ignore[no-untyped-def]
    out = province("report", "coverage", *DAY, "--programme", "ban-tin").stdout
    lines = out.splitlines()
    assert lines[0] == ("Coverage of programme ban-tin, every station, from 2030-03-04 00:00 to "
                        "2030-03-05 00:00 (Asia/Ho_Chi_Minh)")
    assert lines[1] == "publications: 1"
    header = lines[3]
    assert header.split() == ["station", "group", "items", "received", "played", "other",
                              "last", "seen"]
    rows = {line.split()[0]: line for line in lines[4:9]}
    column = header.index("received")
    assert {line[column:].split("  ")[0] for line in rows.values()} == {
        "2030-03-04 05:00 (#1)", "no", "2030-03-04 04:00 (#1)", "2030-03-04 05:30 (#1)"}
    assert "3, from 2030-03-04 06:00" in rows["TANTIEN-01"]
    assert "preempted 1" in rows["TANTIEN-02"]
    assert rows["HOALOC-02"].endswith("never reported")
    assert rows["HOALOC-01"].endswith("2030-03-04 05:00, offline since 2030-03-04 08:30")
    summary = {line.split()[0]: line.split() for line in lines[10:]}
    assert summary["group"] == ["group", "stations", "expected", "received", "played",
                                "offline", "never"]
    assert summary["BS-XA"] == ["BS-XA", "4", "4", "3", "(75.0%)", "1", "(25.0%)", "1", "1"]
    assert summary["all"] == ["all", "5", "5", "4", "(80.0%)", "2", "(40.0%)", "1", "1"]
    assert lines[12].startswith("  BS-XA") and lines[13].startswith("    BS-HOALOC")


def test_a_later_publication_takes_over(province, app: App) -> None:  # type: ignore[no-untyped-def]
    """At 08:00 the flood warning is withdrawn and published again: its 09:00 airing is no
    longer expected, and a station that only ever held the new publication did not receive
    the 06:00 bulletin, which only the first publication listed."""
    province("schedule", "remove", "lu")
    assert publish_at(app, at(8)) == 2
    record_report(app.sessions, "HOALOC-02", beat(2), [], now=at(8, 5))
    data = report(province)
    assert data["publications"] == [1, 2]
    stations = by_code(data["stations"])
    assert {c: r["expected"] for c, r in stations.items()} == dict.fromkeys(stations, 3)
    # TANTIEN-02 still played the withdrawn warning; it is not counted as the expected items.
    assert (stations["TANTIEN-02"]["played"], stations["TANTIEN-02"]["preempted"]) == (0, 1)
    assert stations["HOALOC-02"]["received"] is False
    assert stations["HOALOC-02"]["status"] == "online"
    tomorrow = report(province, "--since", "2030-03-05", "--until", "2030-03-05")
    assert tomorrow["publications"] == [2]
    assert by_code(tomorrow["stations"])["HOALOC-02"]["received_at"] == \
        "2030-03-04T08:05:00+07:00"
    assert by_code(tomorrow["stations"])["TANTIEN-01"]["played"] == 1


def test_the_period_includes_its_start_not_its_end(province) -> None:  # type: ignore[no-untyped-def]
    def expected(since: str, until: str) -> dict[str, int]:
        data = report(province, "--since", since, "--until", until)
        return {r["code"]: r["expected"] for r in data["stations"] if r["code"] != "PTTH-BS"}

    assert expected("2030-03-04 06:00", "2030-03-04 09:00") == {
        "HOALOC-01": 3, "HOALOC-02": 3, "TANTIEN-01": 3, "TANTIEN-02": 3}
    assert expected("2030-03-04 06:00:01", "2030-03-04 09:00:01") == {
        "HOALOC-01": 0, "HOALOC-02": 0, "TANTIEN-01": 1, "TANTIEN-02": 1}
    assert expected("2030-03-04 05:00", "2030-03-04 06:00") == dict.fromkeys(
        ["HOALOC-01", "HOALOC-02", "TANTIEN-01", "TANTIEN-02"], 0)


def test_nothing_expected(province) -> None:  # type: ignore[no-untyped-def]
    out = province("report", "coverage", "--since", "2030-01-01 07:00", "--until",
                   "2030-01-01T09:00", "--programme", "ban-tin").stdout
    assert out.splitlines() == [
        "Coverage of programme ban-tin, every station, from 2030-01-01 07:00 to "
        "2030-01-01 09:00 (Asia/Ho_Chi_Minh)",
        "publications: none",
        "no station was expected to play programme ban-tin in this period"]


@pytest.mark.parametrize(("args", "message"), [
    (["--group", "KHONG-CO"], "no group with code 'KHONG-CO'"),
    (["--programme", "khong-co"], "no programme with code 'khong-co'"),
    (["--since", "hôm qua"], "--since 'hôm qua' is not a time"),
    (["--until", "2030-02-30"], "--until '2030-02-30' is not a time"),
    (["--since", "2030-03-05", "--until", "2030-03-04 12:00"], "the period ends"),
])
def test_errors_are_sentences(cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("report", "coverage", *args, code=1)
    assert result.stdout == ""
    assert result.stderr.startswith("broadcaster: error: ") and message in result.stderr


def test_period_parsing() -> None:
    assert parse_period("2026-11-27", "2026-11-27") == (
        datetime(2026, 11, 26, 17, tzinfo=UTC), datetime(2026, 11, 27, 17, tzinfo=UTC))
    for text in ("2026-11-27 07:00", "2026-11-27T07:00", "2026-11-27T07:00:00+07:00",
                 "2026-11-27T00:00Z"):
        assert parse_time(text) == datetime(2026, 11, 27, 0, tzinfo=UTC), text
    now = datetime(2026, 11, 27, 5, 30, tzinfo=UTC)
    assert parse_period(None, None, now=now) == (now - timedelta(hours=24), now)
    assert parse_period("2026-11-27 07:00", None, now=now)[1] == now
    assert parse_period(None, "2026-11-27 12:00", now=now) == (
        datetime(2026, 11, 26, 5, tzinfo=UTC), datetime(2026, 11, 27, 5, tzinfo=UTC))
    with pytest.raises(InputError, match="ends"):
        parse_period("2026-11-28", None, now=now)
