"""Stations and groups on both databases: the tree, former codes, rules, tokens, the CLI."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcaster.app import App
from broadcaster.cli import main
from broadcaster.db import transaction
from broadcaster.errors import InputError, NotFound
from broadcaster.stations import (
    add_group,
    add_station,
    effective_rules,
    get_group,
    get_station,
    hash_token,
    list_groups,
    list_stations,
    parse_hours,
    rotate_token,
    token_matches,
)


@pytest.fixture
def province(app: App) -> App:
    with transaction(app.sessions) as s:
        add_group(s, "BS", "Tỉnh Bình Sơn", "province",
                  rules={"hours": "05:00-21:00", "max_session_minutes": 45})
        add_group(s, "BS-TANTIEN", "Xã Tân Tiến", "commune", "BS",
                  aliases=[("BS-HTT-TANTIEN", "Xã Tân Tiến (huyện Hòa Thuận cũ)")])
        add_group(s, "BS-PHUONG1", "Phường Đông Thành", "ward", "BS",
                  rules={"max_session_minutes": 15, "max_sessions_per_day": 2})
        add_group(s, "BS-TANTIEN-C1", "Cụm loa thôn Đồng Bài", "cluster", "BS-TANTIEN")
        add_station(s, "TANTIEN-01", "Đài truyền thanh xã Tân Tiến", group="BS-TANTIEN",
                    aliases=[("HTT-TANTIEN-01", "Đài truyền thanh xã Tân Tiến cũ")])
        add_station(s, "TANTIEN-C1", "Cụm loa Đồng Bài", group="BS-TANTIEN-C1")
        add_station(s, "DONGTHANH-01", "Đài truyền thanh phường Đông Thành", group="BS-PHUONG1")
        add_station(s, "BSTV-RADIO", "Đài Phát thanh tỉnh Bình Sơn", "radio", "radio",
                    group="BS")
    return app


def test_tree_former_codes_and_rules(province: App) -> None:
    with province.sessions() as s:
        assert [g.code for g in list_groups(s)] == ["BS", "BS-PHUONG1", "BS-TANTIEN",
                                                     "BS-TANTIEN-C1"]
        assert get_group(s, "BS-HTT-TANTIEN").code == "BS-TANTIEN"
        assert get_station(s, "HTT-TANTIEN-01").code == "TANTIEN-01"
        assert [st.code for st in list_stations(s, "BS-TANTIEN")] == ["TANTIEN-01",
                                                                      "TANTIEN-C1"]
        assert len(list_stations(s, "BS")) == 4
        ward = effective_rules(get_group(s, "BS-PHUONG1"))
        assert ward.hours == (time(5), time(21))  # inherited from the province
        assert (ward.max_session_minutes, ward.max_sessions_per_day) == (15, 2)
        cluster = effective_rules(get_group(s, "BS-TANTIEN-C1"))
        assert cluster.max_session_minutes == 45 and cluster.max_sessions_per_day is None


def test_tokens_are_hashed_and_rotate(province: App) -> None:
    with transaction(province.sessions) as s:
        station = get_station(s, "TANTIEN-01")
        first = rotate_token(s, station)
    with transaction(province.sessions) as s:
        station = get_station(s, "TANTIEN-01")
        assert station.token_sha256 == hash_token(first) != first
        assert token_matches(station, first) and not token_matches(station, first + "x")
        second = rotate_token(s, station)
        assert not token_matches(station, first) and token_matches(station, second)
        assert len(second) >= 40
    with province.sessions() as s:
        assert not token_matches(get_station(s, "DONGTHANH-01"), "")


@pytest.mark.parametrize(("call", "message"), [
    (lambda s: add_group(s, "BS", "again"), "already used by a group"),
    (lambda s: add_group(s, "BS-HTT-TANTIEN", "x"), "already used by a former code"),
    (lambda s: add_group(s, "x y", "x"), "code 'x y' must be"),
    (lambda s: add_group(s, "X", "x", "district"), "kind 'district' is not one of"),
    (lambda s: add_group(s, "X", "x", parent="NOPE"), "no group with code 'NOPE'"),
    (lambda s: add_group(s, "X", "x", rules={"hours": "21:00-05:00"}), "ends before it starts"),
    (lambda s: add_group(s, "X", "x", rules={"quiet": True}), "unknown rule"),
    (lambda s: add_group(s, "X", "x", rules={"max_session_minutes": 0}), "positive whole"),
    (lambda s: add_station(s, "TANTIEN-01", "x"), "already used by a station"),
    (lambda s: add_station(s, "S", "x", timezone="Mars/Olympus"), "unknown time zone"),
    (lambda s: add_station(s, "S", "x", "satellite"), "kind 'satellite'"),
    (lambda s: add_station(s, "S", "x", profile="hifi", valid_profiles=("radio",)),
     "unknown output profile 'hifi'"),
    (lambda s: add_station(s, "S", " "), "the name is empty"),
])
def test_bad_input_is_refused(province: App, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises((InputError, NotFound), match=message), \
            transaction(province.sessions) as s:
        call(s)


def test_parse_hours() -> None:
    assert parse_hours("5:00 - 21:30") == (time(5), time(21, 30))
    with pytest.raises(InputError, match="not a range"):
        parse_hours("morning")


def test_cli(tmp_path: Path, database_url: str) -> None:
    env = {"BROADCASTER_HOME": str(tmp_path / "var"), "BROADCASTER_DATABASE_URL": database_url,
           "BROADCASTER_CONFIG": ""}
    runner = CliRunner(mix_stderr=False)

    def run(*args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, result.output + result.stderr
        return result

    run("groups", "add", "BS", "--name", "Tỉnh Bình Sơn", "--kind", "province",
        "--hours", "05:00-21:00")
    run("groups", "add", "BS-TANTIEN", "--name", "Xã Tân Tiến", "--parent", "BS",
        "--max-session-minutes", "45", "--alias", "BS-HTT-TANTIEN=Xã Tân Tiến cũ")
    run("stations", "add", "TANTIEN-01", "--name", "Đài truyền thanh xã Tân Tiến",
        "--group", "BS-HTT-TANTIEN")
    shown = json.loads(run("stations", "show", "TANTIEN-01", "--json").stdout)
    assert shown["group"] == "BS-TANTIEN" and shown["groups"] == ["BS-TANTIEN", "BS"]
    assert shown["rules"] == {"hours": "05:00-21:00", "max_session_minutes": 45}
    assert shown["token_issued_at"] is None
    rotated = run("stations", "token", "TANTIEN-01", "--rotate")
    token = rotated.stdout
    assert token.endswith("\n") and len(token.strip()) >= 40 and "\n" not in token.strip()
    assert rotated.stderr == ""
    info = run("stations", "token", "TANTIEN-01")
    assert info.stdout == "" and "cannot be shown again" in info.stderr
    listed = json.loads(run("stations", "list", "--json", "--group", "BS").stdout)
    assert [r["code"] for r in listed] == ["TANTIEN-01"]
    assert token.strip() not in json.dumps(listed)
    tree = run("groups", "list").stdout.splitlines()
    assert tree[0].startswith("BS ") and tree[1].startswith("  BS-TANTIEN")
    bad = run("stations", "add", "X", "--name", "x", "--profile", "hifi", code=1)
    assert "unknown output profile 'hifi'" in bad.stderr
    assert "no station with code 'NOPE'" in run("stations", "show", "NOPE", code=1).stderr
