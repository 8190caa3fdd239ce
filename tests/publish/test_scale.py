"""Publishing a few hundred stations: every playlist present, and exactly what planning that
station alone gives (planning shares resolutions and renderings between stations; this checks
that the sharing never mixes two stations up). Timings are in benchmarks/bench_publish.py."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from broadcaster.app import App
from broadcaster.config import Config
from broadcaster.db import Entry, Group, Station, transaction
from broadcaster.publish.publication import (
    PublishError,
    current_number,
    publish,
    root,
    station_folder,
)
from broadcaster.schedule.plan import Planner, StationPlan, plan_all
from broadcaster.schedule.sync import apply_spec
from broadcaster.schedule.yamlfile import load_schedule
from broadcaster.stations import get_station
from tests.publish.render import content_digest, manifest_json, playlist_m3u8

COMMUNES, PER_COMMUNE = 6, 50
START = datetime(2030, 3, 3, 17, 0, tzinfo=UTC)  # 2030-03-04 00:00 in Hồ Chí Minh City
WINDOW = timedelta(hours=48)
PROVINCE = """
groups:
  - {code: P, name: Tỉnh Thử, kind: province}
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
    items: [{jingle: mo-dau}, {text: "Bản tin buổi sáng."}]
  - code: chao
    title: Lời chào
    items: [{ident: "Đây là {name}"}, {text: "Xin chào."}]
  - code: khan-cap
    title: Thông báo khẩn
    items: [{jingle: bao-dong}, {text: "Thông báo khẩn."}]
entries:
  - {id: sang, programme: ban-tin, target: P, start: "06:00", rrule: FREQ=DAILY, slot_minutes: 30}
  - {id: chieu, programme: ban-tin, target: P-XA, start: "17:30", rrule: "FREQ=WEEKLY;BYDAY=MO,TH"}
"""


@pytest.fixture
def app(config: Config) -> Iterator[App]:
    """The test App, with one more profile: the loudspeaker one, quieter (its programmes last
    as long, but are other files)."""
    quieter = dataclasses.replace(config.profiles["loudspeaker"], name="loa-em",
                                  loudness_lufs=-18.0)
    application = App(dataclasses.replace(config, profiles={**config.profiles,
                                                            "loa-em": quieter}))
    yield application
    application.close()


def register(app: App, path: Path) -> list[str]:
    """The province above plus COMMUNES x PER_COMMUNE stations by bulk inserts; their codes.

    Commune 0 has a noon programme; commune 1 an emergency that cuts into the morning
    bulletin; three stations of commune 2 sit in a cluster with per-station idents and a
    shorter session limit; commune 3 gets a bulletin placed in the morning slot; one station
    of commune 4 has an entry of its own; one station of commune 5 is in another zone and
    one has another profile.
    """
    path.write_text(PROVINCE, encoding="utf-8")
    with transaction(app.sessions) as session:
        apply_spec(session, load_schedule([path]), tuple(app.config.profiles))
    with transaction(app.sessions) as session:
        area = session.scalar(select(Group.id).where(Group.code == "P-XA"))
        session.execute(insert(Group), [{"code": f"X{c}", "name": f"Xã {c}", "kind": "commune",
                                         "parent_id": area, "rules": {}}
                                        for c in range(COMMUNES)])
        ids = dict(session.execute(select(Group.code, Group.id)).all())
        session.execute(insert(Group), [{"code": "X2-C", "name": "Cụm loa", "kind": "cluster",
                                         "parent_id": ids["X2"],
                                         "rules": {"max_session_minutes": 40}}])
        ids = dict(session.execute(select(Group.code, Group.id)).all())
        session.execute(insert(Station), [
            {"code": f"S{c}-{k:02d}", "name": f"Cụm loa {k} xã {c}", "kind": "loudspeaker",
             "profile": "loa-em" if (c, k) == (5, 8) else "loudspeaker",
             "timezone": "Asia/Tokyo" if (c, k) == (5, 7) else "Asia/Ho_Chi_Minh",
             "group_id": ids["X2-C" if c == 2 and k < 3 else f"X{c}"]}
            for c in range(COMMUNES) for k in range(PER_COMMUNE)])
        session.add_all([
            Entry(code="trua", programme="ban-tin", target="X0", start_time="11:00",
                  rrule="FREQ=DAILY"),
            Entry(code="lu", programme="khan-cap", target="X1", start_at="2030-03-05T06:00:05",
                  priority="emergency", on_collision="preempt"),
            Entry(code="chao", programme="chao", target="X2-C", start_time="12:00",
                  rrule="FREQ=DAILY"),
            Entry(code="tiem-chung", programme="khan-cap", target="X3",
                  valid_from=datetime(2030, 3, 4).date()),
            Entry(code="rieng", programme="khan-cap", target="S4-00",
                  start_at="2030-03-04T15:00:00")])
        return sorted(session.scalars(select(Station.code)))


def alone(app: App, code: str) -> StationPlan:
    """The station planned by a planner of its own: nothing shared with any other."""
    with app.sessions() as session:
        station = get_station(session, code)
    return Planner(app).plan(station, START, START + WINDOW)


def check_published(app: App, number: int, codes: list[str]) -> dict[str, StationPlan]:
    folder = root(app) / f"{number:06d}"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert sorted(index["stations"]) == codes
    plans = {}
    for code in codes:
        plan = plans[code] = alone(app, code)
        window = (START, START + WINDOW)
        manifest = (folder / "stations" / code / "playlist.json").read_bytes()
        assert manifest == manifest_json(plan.station, number, window, plan.items, START), code
        assert (folder / "stations" / code / "playlist.m3u8").read_bytes() == \
            playlist_m3u8(plan.station, plan.items), code
        entry = index["stations"][code]
        assert entry["digest"] == content_digest(plan.station, window, plan.items), code
        assert entry["items"] == [i.id for i in plan.items], code
    return plans


def test_every_station_is_published_as_if_planned_alone(app: App, tmp_path: Path) -> None:
    codes = register(app, tmp_path / "province.yaml")
    assert len(codes) == COMMUNES * PER_COMMUNE + 1
    number, changes = publish(app, start=START, window=WINDOW, now=START)
    assert len(changes) == len(codes) and {c.status for c in changes} == {"new"}
    plans = check_published(app, number, codes)
    # The province holds what sharing must keep apart.
    entries = {code: {i.entry_id for i in plan.items} for code, plan in plans.items()}
    assert entries["S0-00"] == {"sang", "chieu", "trua"}
    assert entries["S1-00"] == {"sang", "chieu", "lu"}
    assert entries["S3-10"] == {"sang", "chieu", "tiem-chung"}
    assert entries["S4-00"] == entries["S2-03"] | {"rieng"}
    assert entries["PTTH-P"] == {"sang"}
    cluster = [plans[f"S2-{k:02d}"] for k in range(3)]
    idents = {next(i.media.sha256 for i in p.items if i.entry_id == "chao") for p in cluster}
    assert len(idents) == 3, "each station of the cluster hears its own name"
    shifted = plans["S5-07"].items[0].start - plans["S5-06"].items[0].start
    assert shifted == timedelta(hours=-2)  # 06:00 in Tokyo is 04:00 in Hồ Chí Minh City
    assert plans["S1-00"].resolution.conflicts and not plans["S0-00"].resolution.conflicts
    # Same entries, same programmes (usually to the millisecond), other files.
    quiet, plain = plans["S5-08"].items, plans["S5-09"].items
    assert len(quiet) == len(plain)
    assert all(a.media.sha256 != b.media.sha256 for a, b in zip(quiet, plain, strict=True))


def test_partial_publication_at_scale(app: App, tmp_path: Path) -> None:
    codes = register(app, tmp_path / "province.yaml")
    first, _ = publish(app, start=START, window=WINDOW, now=START)
    with transaction(app.sessions) as session:
        session.add(Entry(code="bao", programme="khan-cap", target="X2",
                          start_at="2030-03-04T09:30:00", priority="emergency",
                          on_collision="preempt"))
    targets = [c for c in codes if c.startswith("S2-")]
    number, changes = publish(app, start=START, window=WINDOW, now=START + timedelta(hours=1),
                              codes=targets)
    assert [c.code for c in changes] == targets and {c.status for c in changes} == {"changed"}
    old, new = root(app) / f"{first:06d}", root(app) / f"{number:06d}"
    index = json.loads((new / "index.json").read_text(encoding="utf-8"))
    assert sorted(index["stations"]) == codes
    # Only the targets were written again; the others are where the first publication put them.
    assert sorted(p.name for p in (new / "stations").iterdir()) == targets
    for code in codes:
        held = station_folder(new, code, index["stations"][code].get("in"))
        assert held == (new if code in targets else old) / "stations" / code, code
    # The targets are exactly what planning them alone gives now; the others what it gave then.
    folder = new / "stations"
    for code in targets:
        plan = alone(app, code)
        assert "bao" in {i.entry_id for i in plan.items}
        assert (folder / code / "playlist.json").read_bytes() == manifest_json(
            plan.station, number, (START, START + WINDOW), plan.items,
            START + timedelta(hours=1))


def test_broadcast_rules_are_checked_per_group(app: App, tmp_path: Path) -> None:
    """Communes 4 and 5 are reached by the same entries; only commune 4 allows one session a
    day, so only its stations break a rule, and the publication is refused naming them."""
    codes = register(app, tmp_path / "province.yaml")
    with transaction(app.sessions) as session:
        group = session.scalar(select(Group).where(Group.code == "X4"))
        assert group is not None
        group.rules = {"max_sessions_per_day": 1}
    plans = {p.station.code: p for p in plan_all(app, START, START + WINDOW)}
    broken = sorted(code for code, plan in plans.items() if plan.violations)
    assert broken == [c for c in codes if c.startswith("S4-")]
    for code in ("S4-00", "S4-01", "S5-01"):
        assert plans[code].violations == alone(app, code).violations
    with pytest.raises(PublishError, match="S4-01: .*rule max_sessions_per_day"):
        publish(app, start=START, window=WINDOW, now=START)
    assert current_number(app) is None
