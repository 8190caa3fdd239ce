"""``kill -9`` of ``serve`` in the middle of an announcement handed over by ``broadcaster
announce``: exactly one announcement per request reaches the stations, once.

Real processes: a ``serve`` that kills itself (SIGKILL) at a named step of the hand-over (the
test-only crash points of :mod:`broadcaster.crash_points`, so the moment is exact, not timing
luck), and the real command, which sees the connection drop and finishes the work itself. Then
commands killed the same way with nobody to finish their work: the next ``serve`` start
settles what they left. ``broadcaster check`` has the last word. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from broadcaster.crash_points import ENV
from broadcaster.db import Announcement, Entry, Programme, Publication
from broadcaster.localtime import LOCAL
from broadcaster.publish.publication import station_file
from tests.helpers import SCHEDULE, wait_for
from tests.processes import Service

pytestmark = pytest.mark.slow

TEXT = "Khẩn cấp lần {}: nước sông Trà dâng cao, bà con vùng trũng di chuyển lên nơi an toàn."
# Where serve dies, and whether the announcement it was making had reached the stations.
# (The steps between, ``announce:entry`` and ``announce:published``, are settled the same
# ways; tests/test_announce_keys.py goes through each in one process.)
SERVE_CRASHES = [("announce:stored", False), ("announce:answer", True)]


def rows(url: str, text: str) -> list[dict[str, Any]]:
    """The announcements of one text, oldest first, with what the database holds of each."""
    engine = create_engine(url)
    with Session(engine) as session:
        found = []
        for row in session.scalars(select(Announcement).where(Announcement.text == text)
                                   .order_by(Announcement.id)):
            code = f"thong-bao-{row.id}"
            found.append({
                "id": row.id, "key": row.request_key, "publication": row.publication,
                "cancelled": row.cancelled_at is not None,
                "entry": session.scalar(select(Entry.code).where(Entry.code == code)),
                "programme": session.scalar(select(Programme.code)
                                            .where(Programme.code == code)),
                "publications": list(session.scalars(select(Publication.number).where(
                    Publication.note == f"announcement {row.id}")))})
    engine.dispose()
    return found


def on_air(home: Path, number: int) -> int:
    """How many items of announcement ``number`` Tân Tiến's station has in force."""
    playlist = json.loads(station_file(home / "publications", "TANTIEN-01", "playlist.json")
                          .read_bytes())
    return sum(i["id"].startswith(f"thong-bao-{number}@") for i in playlist["items"])


def announce(svc: Service, n: int, *extra: str, code: int = 0) -> Any:
    """An emergency (exempt from the communes' hours: this passes at any hour of the day)."""
    return svc.command("announce", TEXT.format(n), "--to", "BS-TANTIEN", "--priority",
                       "emergency", *(extra or ("--now",)), code=code)


def in_an_hour() -> str:
    """A time to announce for that a publish made a few seconds later still carries."""
    return (datetime.now(UTC) + timedelta(hours=1)).astimezone(LOCAL).strftime(
        "%Y-%m-%d %H:%M")


def test_kill_9_of_serve_during_a_hand_over(cli, tmp_path: Path, database_url: str) -> None:  # type: ignore[no-untyped-def]
    svc = Service(cli.home, database_url)  # the same HOME and database as `cli` (in-process)
    schedule = tmp_path / "tinh.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(schedule))
    cli("publish", "--days", "2")
    plain = dict(svc.env)
    try:
        for n, (point, reached) in enumerate(SERVE_CRASHES, 1):
            svc.env = plain | {ENV: point}  # the serve only: the command runs without it
            svc.start()
            svc.env = plain
            assert svc.proc is not None
            done = announce(svc, n)
            assert svc.proc.wait(timeout=30) == -signal.SIGKILL
            svc.proc = None
            made = rows(database_url, TEXT.format(n))
            printed = int(done.stdout.strip())
            assert "the service did not answer" in done.stderr, done.stderr
            # Exactly one announcement holds the request's key; it is published, once, and
            # it is the one the command printed.
            keyed = [r for r in made if r["key"] is not None]
            assert len(keyed) == 1 and keyed[0]["id"] == printed, made
            assert keyed[0]["publications"] == [keyed[0]["publication"]], made
            assert keyed[0]["entry"] and keyed[0]["programme"] and not keyed[0]["cancelled"]
            assert on_air(svc.home, printed) == 1
            if reached:  # the service's: reported, not made again
                assert len(made) == 1, made
                assert "not made again" in done.stderr, done.stderr
            else:  # the service's half-made one withdrawn: kept as a record, nothing of it
                assert len(made) == 2 and made[1]["id"] == printed, made
                withdrawn = made[0]
                assert withdrawn["cancelled"] and withdrawn["publication"] is None
                assert not (withdrawn["entry"] or withdrawn["programme"]
                            or withdrawn["publications"])
                assert on_air(svc.home, withdrawn["id"]) == 0
                assert f"announcement {withdrawn['id']} (request key " in done.stderr
                assert "withdrawn" in done.stderr
                assert "(by this command)" in done.stderr

        # Commands killed with nobody to finish their work: one before its entry existed, one
        # after (and another publish then carried that entry to the stations).
        svc.env = plain | {ENV: "announce:stored"}
        announce(svc, 10, "--here", "--at", in_an_hour(), code=-signal.SIGKILL)
        svc.env = plain | {ENV: "announce:entry"}
        announce(svc, 11, "--here", "--at", in_an_hour(), code=-signal.SIGKILL)
        svc.env = plain
        [stored], [carried] = rows(database_url, TEXT.format(10)), rows(database_url,
                                                                        TEXT.format(11))
        assert stored["publication"] is None and carried["publication"] is None
        cli("publish", "--days", "2")
        assert on_air(svc.home, carried["id"]) == 1
        left = cli("check", code=1).stdout
        assert f"announcement {stored['id']}: was left half-made" in left
        assert f"announcement {carried['id']}: was left half-made" in left

        # The next serve settles both at start-up, and says so in its log.
        client = svc.start()
        wait_for(lambda: any("recovered after a crash: announcement" in e["message"]
                             for e in svc.events()), 60, "the start-up recovery")
        messages = "\n".join(e["message"] for e in svc.events())
        assert f"announcement {stored['id']} (request key " in messages
        assert f"announcement {carried['id']} was published as publication" in messages
        [stored], [carried] = rows(database_url, TEXT.format(10)), rows(database_url,
                                                                        TEXT.format(11))
        assert stored["cancelled"] and stored["key"] is None and stored["programme"] is None
        assert carried["publication"] is not None and not carried["cancelled"]
        assert on_air(svc.home, carried["id"]) == 1
        # The service itself answers a key it already has with the announcement made for it.
        [advert] = (svc.home / "run").glob("serve-*.json")
        local = {"Authorization": f"Bearer {json.loads(advert.read_text())['token']}"}
        body = {"text": TEXT.format(12), "to": "BS-TANTIEN", "priority": "emergency",
                "request_key": "k-the-same-request"}
        first = client.post("/api/v1/announcements", json=body, headers=local)
        again = client.post("/api/v1/announcements", json=body, headers=local)
        assert (first.status_code, again.status_code) == (201, 200), first.text + again.text
        assert first.json()["existing"] is False and again.json()["existing"] is True
        assert again.json() == first.json() | {"existing": True}
        assert len(rows(database_url, TEXT.format(12))) == 1
        cli("check")
        assert svc.stop() == 0
    finally:
        if svc.proc is not None:
            svc.proc.kill()
            svc.proc.wait()
