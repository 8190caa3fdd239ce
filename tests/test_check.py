"""``broadcaster check``: a healthy province has no problem; each way of breaking one is named.

Runs on SQLite and PostgreSQL, through the real command.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, text

from broadcaster.announce_recovery import lock_for
from broadcaster.app import App
from broadcaster.db import Announcement, Entry, Programme, Publication, transaction
from broadcaster.domain.vocabulary import Origin
from broadcaster.publish.publication import read_index

TEXT = "Khẩn cấp: nước sông Trà dâng cao, bà con vùng trũng di chuyển lên nơi an toàn."
AT = datetime(2030, 3, 4, 1, 0, tzinfo=UTC)


@pytest.fixture
def province(province):  # type: ignore[no-untyped-def]
    """Publication 1 (every station), then announcement 1 to Tân Tiến: publication 2, which
    carries the other stations over from publication 1."""
    # An emergency: exempt from the communes' hours, so this passes at any hour of the day.
    assert province("announce", TEXT, "--to", "BS-TANTIEN", "--now", "--priority", "emergency"
                    ).stdout.strip() == "1"
    return province


def problems(cli) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """``broadcaster check --json`` (which must exit 1): messages by subject."""
    found: dict[str, list[str]] = {}
    for p in json.loads(cli("check", "--json", code=1).stdout)["problems"]:
        found.setdefault(p["subject"], []).append(p["message"])
    return found


def test_a_healthy_province_has_no_problem(province) -> None:  # type: ignore[no-untyped-def]
    out = province("check").stdout
    assert out.splitlines() == [out.splitlines()[-1]]
    assert out.startswith("checked 2 publication(s), ") and out.rstrip().endswith(
        " media file(s), 1 announcement(s): no problems")
    report = json.loads(province("check", "--json").stdout)
    assert report["ok"] is True and report["problems"] == []
    assert report["checked"]["publications"] == 2 and report["checked"]["announcements"] == 1
    assert report["checked"]["media files"] >= 3  # bulletins, the announcement, clips


def _media_of(playlist: Path) -> list[str]:
    items: list[dict[str, Any]] = json.loads(playlist.read_bytes())["items"]
    return [i["media"]["url"].rsplit("/", 1)[-1] for i in items]


def test_broken_publications_and_media_are_each_named(province) -> None:  # type: ignore[no-untyped-def]
    pubs = province.home / "publications"
    first, second = pubs / "000001", pubs / "000002"
    assert read_index(second)["stations"]["HOALOC-01"]["in"] == 1  # carried over
    # A carried-over station's file damaged where it lies: both publications holding it say so.
    with (first / "stations/HOALOC-01/playlist.json").open("ab") as fh:
        fh.write(b" ")
    # A file of the publication in force gone: it is incomplete, and `current` points at it.
    (second / "stations/TANTIEN-01/playlist.m3u8").unlink()
    # A numbered folder with no index.
    (pubs / "000003").mkdir()
    # Media: the announcement's file gone, a bulletin's damaged.
    [announced] = [m for m in _media_of(second / "stations/TANTIEN-01/playlist.json")
                   if m not in _media_of(first / "stations/TANTIEN-01/playlist.json")]
    media = province.home / "media"
    (media / announced[:2] / announced).unlink()
    bulletin = _media_of(first / "stations/HOALOC-01/playlist.json")[0]
    (media / bulletin[:2] / bulletin).write_bytes(b"not what it was")

    found = problems(province)
    assert set(found) == {"publication 1", "publication 2", "publication 3", "current",
                          f"media {announced}", f"media {bulletin}"}, found
    assert found["publication 1"] == [
        f"station HOALOC-01: {first}/stations/HOALOC-01/playlist.json does not hash to the "
        "sha256 its index records (" + read_index(first)["stations"]["HOALOC-01"]["files"][
            "playlist.json"][:12] + "…)"]
    assert sorted(found["publication 2"]) == sorted([
        found["publication 1"][0],
        f"station TANTIEN-01: {second}/stations/TANTIEN-01/playlist.m3u8 is missing"])
    assert found["publication 3"] == [f"{pubs}/000003/index.json is missing"]
    assert found["current"] == ["points at publication 2, which is not complete"]
    assert found[f"media {announced}"] == [
        f"is missing from {media / announced[:2]} (used by publication 2)"]
    assert found[f"media {bulletin}"][0].startswith("its bytes hash to ")
    # The text form: one line per problem, then the summary; exit 1.
    lines = province("check", code=1).stdout.splitlines()
    assert len(lines) == 8 and lines[-1].endswith(": 7 problem(s)")
    assert f"media {announced}: is missing from " in "\n".join(lines)


def test_current_unknown_to_the_database(province, app: App) -> None:  # type: ignore[no-untyped-def]
    with transaction(app.sessions) as session:
        session.execute(delete(Publication).where(Publication.number == 2))
    assert problems(province) == {
        "current": ["points at publication 2, which the database does not know"],
        "announcement 1": ["names publication 2, which the database does not know"]}


def _drop_request_key_constraint(app: App) -> None:
    """Only a database restored without its constraints could hold one key twice."""
    with app.engine.begin() as conn:
        if app.engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE announcements "
                              "DROP CONSTRAINT uq_announcements_request_key"))
        else:
            conn.execute(text("CREATE TABLE announcements_copy AS SELECT * FROM announcements"))
            conn.execute(text("DROP TABLE announcements"))
            conn.execute(text("ALTER TABLE announcements_copy RENAME TO announcements"))


def test_broken_announcements_are_each_named(province, app: App) -> None:  # type: ignore[no-untyped-def]
    _drop_request_key_constraint(app)
    row = {"text": "Thử.", "target": "BS-TANTIEN", "priority": "emergency", "starts_at": AT,
           "created_at": AT}
    with transaction(app.sessions) as session:
        # Announcement 1 loses its entry; 2 and 3 were never published (3 is being made now).
        session.execute(delete(Entry).where(Entry.code == "thong-bao-1"))
        session.add(Announcement(id=2, **row))
        session.add(Announcement(id=3, **row))
        # One request made twice (both since cancelled, so only the key is wrong).
        for number in (4, 5):
            session.add(Announcement(id=number, **row, request_key="k-twice", publication=2,
                                     programme="thong-bao-1", cancelled_at=AT))
        # What announce made, with no announcement to own it; an entry playing an unknown clip.
        session.add(Entry(code="thong-bao-9", programme="thong-bao-1", target="BS-TANTIEN",
                          start_at="2030-03-04T08:00:00", origin=Origin.ANNOUNCE.value))
        session.add(Programme(code="thong-bao-9", title="Thông báo số 9",
                              origin=Origin.ANNOUNCE.value))
        session.add(Entry(code="mot-clip", clip_sha256="ab" * 32, target="BS-TANTIEN",
                          start_at="2030-03-04T09:00:00", origin=Origin.CLI.value))
    making = lock_for(app, 3)
    assert making.acquire(0)
    try:
        found = problems(province)
    finally:
        making.release(settled=False)
    assert found == {
        "announcement 1": ["its entry thong-bao-1 is missing"],
        "announcement 2": ["was left half-made: never published, not withdrawn (the next "
                           "start of `broadcaster serve` withdraws it)"],
        "entry thong-bao-9": ["was made by announce but belongs to no live announcement"],
        "programme thong-bao-9": ["was made by announce but belongs to no announcement"],
        "entry mot-clip": [f"plays clip {'ab' * 6}…, which no clip of the media store "
                           "records"],
        "request key k-twice": ["made 2 announcements (4, 5): one request, made more than "
                                "once"],
    }
    # Its maker gone, announcement 3 is half-made too.
    assert "announcement 3" in problems(province)
