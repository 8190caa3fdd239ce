"""Announcements: speak, schedule, publish only the targets, repeat, cancel; bad requests."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster.announce import LOCAL, AnnouncementRequest, announce
from broadcaster.app import App
from broadcaster.db import Announcement, Entry, Programme
from broadcaster.errors import InputError, NotFound
from broadcaster.publish.publication import PublishError, station_file

TEXT = "Thông báo: chiều nay 15 giờ có cắt điện để sửa đường dây, bà con chú ý."
# A Tuesday morning: no evening bulletin that day (MO,TH) and the 06:00 one already aired.
TUESDAY_10 = datetime(2030, 3, 5, 10, 0, tzinfo=LOCAL).astimezone(UTC)


def tomorrow_at(hour: int) -> datetime:
    """``hour`` o'clock tomorrow, local: inside the 48 hours a CLI publication covers, whatever
    the hour of the real clock (the CLI has no clock of its own to inject)."""
    today = datetime.now(LOCAL).date() + timedelta(days=1)
    return datetime(today.year, today.month, today.day, hour, tzinfo=LOCAL)


def playlist(home: Path, code: str) -> dict:
    return json.loads(station_file(home / "publications", code, "playlist.json")
                      .read_text(encoding="utf-8"))


def test_emergency_now_reaches_only_its_commune(province) -> None:  # type: ignore[no-untyped-def]
    home = province.home
    before = {c: station_file(home / "publications", c, "playlist.json").read_bytes() for c in ("HOALOC-01", "PTTH-BS")}
    asked = datetime.now(UTC)
    done = province("announce", TEXT, "--to", "BS-TANTIEN", "--now", "--priority", "emergency")
    answered = datetime.now(UTC)
    number = int(done.stdout.strip())
    assert "1 station(s)" in done.stderr and "publication 2" in done.stderr
    items = playlist(home, "TANTIEN-01")["items"]
    mine = [i for i in items if i["id"].startswith(f"thong-bao-{number}@")]
    assert len(mine) == 1 and mine[0]["priority"] == "emergency"
    assert mine[0]["title"] == f"Thông báo khẩn cấp số {number}"
    start = datetime.fromisoformat(mine[0]["start"])
    # The lead: 3 s after the announcement was spoken and built, which happened between the
    # command's start and its end (bounded by both, not by how quick this machine is).
    assert asked + timedelta(seconds=3) < start <= answered + timedelta(seconds=4)
    # Spoken with the alarm tone first: longer than the 3 s tone.
    assert mine[0]["media"]["duration_ms"] > 3000 + 3000
    for code, data in before.items():  # carried over byte for byte
        assert station_file(home / "publications", code, "playlist.json").read_bytes() == data


def test_repeat_every_and_cancel(province) -> None:  # type: ignore[no-untyped-def]
    # Tomorrow 10:00, 10:03, 10:06: one session with the broadcast rules of the communes
    # (at most 3 sessions a day, 05:00-21:00), whatever the hour and the day of the week.
    at = tomorrow_at(10).strftime("%Y-%m-%d %H:%M")
    out = province("announce", TEXT, "--to", "BS-XA", "--at", at, "--repeat", "3",
                   "--every", "3", "--priority", "normal", "--json").stdout
    made = json.loads(out)
    assert made["airings"] == 3 and made["stations"] == 2
    for code in ("TANTIEN-01", "HOALOC-01"):
        starts = [i["start"] for i in playlist(province.home, code)["items"]
                  if i["id"].startswith(f"{made['programme']}@")]
        assert len(starts) == 3
        gaps = {datetime.fromisoformat(b) - datetime.fromisoformat(a)
                for a, b in itertools.pairwise(starts)}
        assert gaps == {timedelta(minutes=3)}
    assert not [i for i in playlist(province.home, "PTTH-BS")["items"]
                if i["id"].startswith(made["programme"])]
    province("announce", "--cancel", str(made["id"]))
    assert not [i for i in playlist(province.home, "TANTIEN-01")["items"]
                if i["id"].startswith(f"{made['programme']}@")]
    again = province("announce", "--cancel", str(made["id"]), code=1)
    assert "already cancelled" in again.stderr


def test_until_limits_the_airings(app: App, province) -> None:  # type: ignore[no-untyped-def]
    now = TUESDAY_10
    made = announce(app, AnnouncementRequest(TEXT, "TANTIEN-01", "high", now + timedelta(hours=2),
                                             repeat=10, every_minutes=30,
                                             until=now + timedelta(hours=3, minutes=10)), now)
    assert made.airings == 3  # +2h, +2h30, +3h


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"text": " "}, InputError, "no text"),
    ({"target": "KHONG-CO"}, NotFound, "KHONG-CO"),
    ({"priority": "urgent"}, InputError, "priority"),
    ({"at": datetime(2020, 1, 1, tzinfo=UTC)}, InputError, "in the past"),
    ({"repeat": 3}, InputError, "--every"),
    ({"repeat": 0}, InputError, "at least 1"),
    ({"text": "x" * 5001}, InputError, "5001 characters"),
    # Bounds of the domain, whoever asks (the web form had them, the CLI and the API not).
    ({"repeat": 101, "every_minutes": 10}, InputError, "air 101 times; at most 100"),
    ({"repeat": 2, "every_minutes": 2**40}, InputError, "between 1 and 10080 minutes"),
    ({"every_minutes": 1, "until": datetime(2099, 1, 1, tzinfo=UTC)}, InputError,
     "at most 100"),
    ({"request_key": "../x"}, InputError, "request key"),
])
def test_bad_requests_store_nothing(app: App, province, kwargs, error, words) -> None:  # type: ignore[no-untyped-def]
    request = AnnouncementRequest(**({"text": TEXT, "target": "BS"} | kwargs))
    with pytest.raises(error, match=words):
        announce(app, request)
    assert len(list((province.home / "publications").glob("[0-9]*"))) == 1


def test_an_announcement_that_cannot_be_published_leaves_nothing(app: App, province) -> None:  # type: ignore[no-untyped-def]
    # 23:30 is outside the communes' allowed hours (05:00-21:00): only emergencies may air then.
    late = TUESDAY_10 + timedelta(hours=13, minutes=30)
    with pytest.raises(PublishError, match="outside the allowed hours"):
        announce(app, AnnouncementRequest(TEXT, "BS-TANTIEN", "high", late), TUESDAY_10)
    with app.sessions() as session:
        assert session.scalars(select(Announcement)).all() == []
        assert session.scalars(select(Entry).where(Entry.code.like("thong-bao-%"))).all() == []
        assert session.scalars(select(Programme).where(Programme.code.like("thong-bao-%"))
                               ).all() == []
    # Later publications are not blocked by it; an emergency may air then.
    province("publish", "--days", "2")
    made = announce(app, AnnouncementRequest(TEXT, "BS-TANTIEN", "emergency", late), TUESDAY_10)
    assert any(i["id"].startswith(f"thong-bao-{made.id}@")
               for i in playlist(province.home, "TANTIEN-01")["items"])


def test_cli_usage_errors(province) -> None:  # type: ignore[no-untyped-def]
    assert "not both" in province("announce", TEXT, "--file", "x.txt", "--to", "BS",
                                  code=2).stderr
    assert "--to" in province("announce", TEXT, code=2).stderr
    assert "HH:MM" in province("announce", TEXT, "--to", "BS", "--at", "chiều nay",
                               code=1).stderr
    assert "no announcement number 99" in province("announce", "--cancel", "99", code=1).stderr
