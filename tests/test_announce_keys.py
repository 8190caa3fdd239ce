"""Request keys: one announcement per request, whatever the retries and wherever its maker
died; cancels that a crash stopped midway are finished. SQLite and PostgreSQL.

Half-made announcements are made for real: ``broadcaster announce --here`` run as a process
that kills itself (SIGKILL) at a named step (``broadcaster.crash_points``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from broadcaster.announce import Announced, AnnouncementRequest, announce, cancel
from broadcaster.announce_recovery import lock_for, recover
from broadcaster.app import App
from broadcaster.crash_points import ENV
from broadcaster.db import Announcement, Entry, Programme, Publication, transaction
from broadcaster.errors import InputError
from broadcaster.localtime import LOCAL
from broadcaster.publish.folders import point_current
from broadcaster.publish.publication import current_number, station_file

TEXT = "Khẩn cấp: nước sông Trà dâng cao, bà con vùng trũng di chuyển lên nơi an toàn."


def request(key: str | None = "k-0123456789") -> AnnouncementRequest:
    # An emergency, an hour from now: exempt from the communes' hours at any hour of the day.
    at = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=1)
    return AnnouncementRequest(TEXT, "BS-TANTIEN", "emergency", at, request_key=key)


def on_air(home: Path, number: int) -> int:
    items = json.loads(station_file(home / "publications", "TANTIEN-01", "playlist.json")
                       .read_bytes())["items"]
    return sum(i["id"].startswith(f"thong-bao-{number}@") for i in items)


def counts(app: App) -> tuple[int, int]:
    with app.sessions() as session:
        return (session.scalar(select(func.count()).select_from(Announcement)) or 0,
                session.scalar(select(func.count()).select_from(Publication)) or 0)


def test_a_key_used_again_answers_the_announcement_made_for_it(app: App, province) -> None:  # type: ignore[no-untyped-def]
    wanted = request()
    first = announce(app, wanted)
    assert not first.existing and counts(app) == (1, 2)
    again = announce(app, wanted)
    assert again.existing and counts(app) == (1, 2)  # nothing made, nothing published
    assert again.info() == first.info() | {"existing": True}
    # Without a key (the web UI, old callers), each request makes one.
    assert announce(app, replace(wanted, request_key=None)).id == first.id + 1
    with pytest.raises(InputError, match="belongs to announcement 1, made with another text"):
        announce(app, replace(wanted, text="Một thông báo khác."))
    assert counts(app) == (2, 3)


def crashed_command(home: Path, database_url: str, point: str) -> str:
    """``broadcaster announce --here`` killed at ``point``; what it printed."""
    at = (datetime.now(UTC) + timedelta(hours=1)).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    env = os.environ | {"BROADCASTER_HOME": str(home), "BROADCASTER_DATABASE_URL": database_url,
                        "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": "", ENV: point}
    done = subprocess.run([sys.executable, "-m", "broadcaster", "announce", TEXT, "--to",
                           "BS-TANTIEN", "--at", at, "--priority", "emergency", "--here"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_a_retry_after_a_crash_before_publishing_withdraws_and_makes_anew(app: App, province, database_url: str) -> None:  # type: ignore[no-untyped-def]
    assert crashed_command(province.home, database_url, "announce:entry") == ""
    with app.sessions() as session:
        [left] = session.scalars(select(Announcement)).all()
        assert left.publication is None and left.request_key
        assert session.scalar(select(Entry).where(Entry.code == "thong-bao-1")) is not None
    retried = announce(app, replace(request(), at=left.starts_at, request_key=left.request_key))
    assert not retried.existing and retried.id == 2
    with app.sessions() as session:
        withdrawn = session.get(Announcement, 1)
        assert withdrawn is not None and withdrawn.cancelled_at is not None
        assert withdrawn.publication is None and withdrawn.request_key is None
        made = session.get(Announcement, 2)
        assert made is not None and made.request_key == left.request_key
        assert session.scalar(select(Entry).where(Entry.code == "thong-bao-1")) is None
        assert session.scalar(select(Programme).where(Programme.code == "thong-bao-1")) is None
    assert (on_air(province.home, 1), on_air(province.home, 2)) == (0, 1)
    province("check")
    with pytest.raises(InputError, match="announcement 1 was left half-made and withdrawn"):
        cancel(app, 1)


@pytest.mark.slow
def test_a_retry_after_a_crash_after_publishing_records_it_and_makes_nothing(app: App, province, database_url: str) -> None:  # type: ignore[no-untyped-def]
    crashed_command(province.home, database_url, "announce:published")
    assert on_air(province.home, 1) == 1  # the stations have it already
    with app.sessions() as session:
        [left] = session.scalars(select(Announcement)).all()
        assert left.publication is None and left.request_key
    before = counts(app)
    retried = announce(app, replace(request(), at=left.starts_at, request_key=left.request_key))
    assert retried.existing and retried.id == 1 and retried.publication == 2
    assert retried.duration_ms > 3000  # read back from the publication: alarm tone + speech
    assert counts(app) == before
    province("check")


def test_serve_start_up_settles_what_nobody_makes(app: App, province) -> None:  # type: ignore[no-untyped-def]
    made = announce(app, request())
    # As if its maker died after committing the publication, before putting it in force and
    # recording it on the announcement.
    with transaction(app.sessions) as session:
        row = session.get(Announcement, made.id)
        assert row is not None
        row.publication = None
    point_current(province.home / "publications", made.publication - 1)
    assert on_air(province.home, made.id) == 0
    half = Announcement(text=TEXT, target="BS-TANTIEN", priority="high",
                        starts_at=datetime(2030, 3, 4, 1, tzinfo=UTC), request_key="k-half-made")
    busy = Announcement(text=TEXT, target="BS-TANTIEN", priority="high",
                        starts_at=datetime(2030, 3, 4, 1, tzinfo=UTC), request_key="k-busy-now")
    with transaction(app.sessions) as session:
        session.add_all([half, busy])
    making = lock_for(app, busy.id)  # a live maker is at work on this one
    assert making.acquire(0)
    try:
        settled = {s.id: (s.outcome, s.publication) for s in recover(app)}
    finally:
        making.release(settled=False)
    assert settled == {made.id: ("completed", made.publication), half.id: ("withdrawn", None)}
    assert current_number(app) == made.publication and on_air(province.home, made.id) == 1
    with app.sessions() as session:
        assert session.get(Announcement, busy.id).cancelled_at is None  # type: ignore[union-attr]
        assert session.get(Announcement, half.id).request_key is None  # type: ignore[union-attr]


def test_a_retry_waits_for_a_maker_still_at_work(app: App, province) -> None:  # type: ignore[no-untyped-def]
    made = announce(app, request())
    with transaction(app.sessions) as session:  # as if its maker were still publishing it
        row = session.get(Announcement, made.id)
        assert row is not None
        row.publication = None
    making = lock_for(app, made.id)
    assert making.acquire(0)
    answer: dict[str, Announced] = {}
    retry = threading.Thread(target=lambda: answer.update(made=announce(app, request())))
    retry.start()
    time.sleep(1.0)
    assert "made" not in answer  # it waits for the maker
    with transaction(app.sessions) as session:
        row = session.get(Announcement, made.id)
        assert row is not None
        row.publication = made.publication
    making.release(settled=True)
    retry.join(timeout=60)
    assert answer["made"].existing and answer["made"].id == made.id
    assert counts(app)[0] == 1


def test_a_cancel_stopped_by_a_crash_is_finished_by_the_next(app: App, province) -> None:  # type: ignore[no-untyped-def]
    made = announce(app, request(None))
    assert on_air(province.home, made.id) == 1
    with transaction(app.sessions) as session:  # what cancel commits before it publishes
        row = session.get(Announcement, made.id)
        assert row is not None
        row.cancelled_at = datetime.now(UTC)
        session.delete(session.scalar(select(Entry).where(Entry.code == row.entry_code)))
    assert on_air(province.home, made.id) == 1  # the stations still have it
    number = cancel(app, made.id)
    assert on_air(province.home, made.id) == 0 and number == made.publication + 1
    with pytest.raises(InputError, match="already cancelled"):
        cancel(app, made.id)


def test_a_half_made_announcement_cannot_be_cancelled(app: App, province) -> None:  # type: ignore[no-untyped-def]
    with transaction(app.sessions) as session:
        session.add(Announcement(text=TEXT, target="BS-TANTIEN", priority="high",
                                 starts_at=datetime(2030, 3, 4, 1, tzinfo=UTC)))
    with pytest.raises(InputError, match="announcement 1 is not published yet"):
        cancel(app, 1)
