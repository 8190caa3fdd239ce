"""``broadcaster serve`` as a real process on a real port, driven the way a province and its
stations use it: publish, pull, 304, long-poll, emergency announcement, reports, coverage,
SIGTERM; and a ``kill -9`` in the middle of a render that the next start repairs.

Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from broadcaster.db import Clip, DocumentRevision
from broadcaster.db.models import AuditEvent
from broadcaster.media.store import sha256_file
from tests.conftest import EXAMPLE
from tests.helpers import SCHEDULE, wait_for
from tests.processes import Service

JSON = "/api/v1/stations/{}/playlist.json"
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")



@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[Callable[..., Service]]:
    made: list[Service] = []

    def make(**settings: str) -> Service:
        svc = Service(tmp_path / "var", database_url, **settings)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        if svc.proc is not None:
            svc.proc.kill()
            svc.proc.wait()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}



def play_with_mpv(base: str, code: str, token: str, client: httpx.Client) -> None:
    """A real player plays the station's M3U8 URL as it is (token in the query)."""
    mpv = shutil.which("mpv")
    assert mpv, "this test needs mpv (Debian package 'mpv'); `make test` installs it as root"
    url = f"{base}/api/v1/stations/{code}/playlist.m3u8?token={token}"
    listed = [line for line in client.get(url).text.splitlines()
              if line and not line.startswith("#")]
    done = subprocess.run([mpv, "--no-config", "--ytdl=no", "--ao=null", "--ao-null-untimed",
                           "--vo=null", "--msg-level=all=info", url],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert [line.removeprefix("Playing: ") for line in output.splitlines()
            if line.startswith("Playing: ")] == listed
    assert output.count("(+) Audio --aid=1 (mp3 1ch 22050Hz)") == len(listed)


def test_province_day(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = service()
    schedule = tmp_path / "tinh.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    svc.command("schedule", "apply", str(schedule))
    tokens = {code: svc.command("stations", "token", code, "--rotate").stdout.strip()
              for code in ("TANTIEN-01", "HOALOC-01")}
    client = svc.start()
    svc.command("publish", "--days", "2")
    own = bearer(tokens["TANTIEN-01"])

    first = client.get(JSON.format("TANTIEN-01"), headers=own)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert client.get(JSON.format("TANTIEN-01"), headers=own | {"If-None-Match": etag}
                      ).status_code == 304
    assert client.get(JSON.format("TANTIEN-01"), headers=bearer(tokens["HOALOC-01"])
                      ).status_code == 403
    play_with_mpv(svc.url, "TANTIEN-01", tokens["TANTIEN-01"], client)
    other_etag = client.get(JSON.format("HOALOC-01"), headers=bearer(tokens["HOALOC-01"])
                            ).headers["etag"]

    # A station long-polls; the province announces an emergency for its commune.
    answer: dict[str, Any] = {}

    def long_poll() -> None:
        with httpx.Client(base_url=svc.url, timeout=60) as poller:
            answer["response"] = poller.get(JSON.format("TANTIEN-01") + "?wait=50",
                                            headers=own | {"If-None-Match": etag})
            answer["at"] = time.monotonic()

    poller = threading.Thread(target=long_poll)
    poller.start()
    time.sleep(0.5)
    assert "response" not in answer  # it is held
    sent = time.monotonic()
    made = svc.command("announce", "Khẩn cấp: nước sông Trà dâng cao, bà con vùng trũng "
                       "di chuyển lên nơi an toàn ngay.", "--to", "BS-TANTIEN", "--now",
                       "--priority", "emergency")
    announcement = int(made.stdout.strip())
    assert svc.proc is not None and f"(by the service, pid {svc.proc.pid})" in made.stderr
    poller.join(timeout=30)
    response = answer["response"]
    assert response.status_code == 200, response.text
    assert answer["at"] - sent < 20
    playlist = response.json()
    emergency = [i for i in playlist["items"] if i["id"].startswith(f"thong-bao-{announcement}@")]
    assert emergency and emergency[0]["priority"] == "emergency"
    media = client.get(emergency[0]["media"]["url"])
    assert media.status_code == 200
    assert media.headers["x-content-sha256"] == emergency[0]["media"]["sha256"]
    # The other commune was not targeted: its playlist did not change.
    assert client.get(JSON.format("HOALOC-01"), headers=bearer(tokens["HOALOC-01"])
                      ).headers["etag"] == other_etag

    # The station reports that it holds the publication and played the emergency.
    item = emergency[0]
    report = {"heartbeat": {"agent_version": "test", "publication": playlist["publication"],
                            "digest": playlist["digest"]},
              "plays": [{"id": "p1", "item": item["id"], "scheduled_start": item["start"],
                         "started_at": item["start"], "ended_at": item["end"],
                         "outcome": "played"}]}
    posted = client.post("/api/v1/stations/TANTIEN-01/reports", headers=own, json=report)
    assert posted.status_code == 200 and posted.json()["received"] == 1
    until = (datetime.now(UTC) + timedelta(hours=1)).astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    coverage = json.loads(svc.command("report", "coverage", "--programme",
                                      f"thong-bao-{announcement}", "--until", until,
                                      "--format", "json").stdout)
    rows = {s["code"]: s for s in coverage["stations"]}
    assert set(rows) == {"TANTIEN-01"}
    assert rows["TANTIEN-01"]["received"] and rows["TANTIEN-01"]["played"] >= 1
    assert rows["TANTIEN-01"]["received_publication"] == playlist["publication"]

    # Withdraw it: the station's playlist loses it.
    svc.command("announce", "--cancel", str(announcement))
    after = client.get(JSON.format("TANTIEN-01"), headers=own).json()
    assert not [i for i in after["items"] if i["id"].startswith(f"thong-bao-{announcement}@")]

    metrics = client.get("/metrics").text
    assert "broadcaster_scheduler_leader 1.0" in metrics
    # SIGTERM while a station long-polls: it is answered at once and the process exits 0.
    held: dict[str, Any] = {}
    current = client.get(JSON.format("TANTIEN-01"), headers=own).headers["etag"]

    def held_poll() -> None:
        with httpx.Client(base_url=svc.url, timeout=60) as poller:
            held["response"] = poller.get(JSON.format("TANTIEN-01") + "?wait=60",
                                          headers=own | {"If-None-Match": current})

    holder = threading.Thread(target=held_poll)
    holder.start()
    wait_for(lambda: "broadcaster_longpoll_waiting 1.0" in client.get("/metrics").text, 10,
             "the long-poll to be held")
    stopping = time.monotonic()
    assert svc.stop(signal.SIGTERM) == 0
    holder.join(timeout=10)
    assert held["response"].status_code == 304
    assert time.monotonic() - stopping < 8
    assert any("stopping" in e["message"] for e in svc.events())
    assert not list((svc.home / "run").glob("serve-*.json")), "the service file stayed"


def test_announce_is_handed_to_the_running_service(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    svc = service()
    schedule = tmp_path / "tinh.yaml"
    schedule.write_text(SCHEDULE, encoding="utf-8")
    svc.command("schedule", "apply", str(schedule))
    client = svc.start()
    svc.command("publish", "--days", "2")
    assert svc.proc is not None
    [advert] = (svc.home / "run").glob("serve-*.json")
    assert advert.stat().st_mode & 0o777 == 0o600
    local = json.loads(advert.read_text())
    assert local["pid"] == svc.proc.pid and local["url"] == svc.url

    # Made by the service, answered as the command would print it, in the audit log.
    made = json.loads(svc.command("announce", "Mất điện từ 8 giờ đến 11 giờ.", "--to",
                                  "BS-HOALOC", "--at", "20:30", "--json").stdout)
    assert made["stations"] == 1 and made["priority"] == "high" and made["airings"] == 1
    assert made["starts_at"].endswith("T20:30:00+07:00")
    cancelled = json.loads(svc.command("announce", "--cancel", str(made["id"]), "--json").stdout)
    assert cancelled["cancelled"] == made["id"]
    # Refusals come back as the command's own errors and exit codes.
    unknown = svc.command("announce", "Thử.", "--to", "NOPE", code=1)
    assert unknown.stderr.strip() == "broadcaster: error: no station or group with code 'NOPE'"
    past = svc.command("announce", "Thử.", "--to", "BS", "--at", "2020-01-01 07:00", code=1)
    assert "is in the past" in past.stderr
    late = svc.command("announce", "Thử.", "--to", "BS-HOALOC", "--at", "23:30", code=1)
    assert "outside the allowed hours 05:00-21:00" in late.stderr
    # Only the holder of the local token may hand work over.
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        refused = client.post("/api/v1/announcements", headers=headers,
                              json={"text": "Thử.", "to": "BS"})
        assert refused.status_code == 401, refused.text
        assert "local token" in refused.json()["error"]
    odd = client.post("/api/v1/announcements", json={"text": "Thử.", "to": "BS", "at": "7h"},
                      headers={"Authorization": f"Bearer {local['token']}"})
    assert odd.status_code == 422 and "at" in odd.json()["error"]

    # A service killed with -9 leaves its file: the command sees the process is gone and does
    # the work itself; the next start removes the file.
    svc.stop(signal.SIGKILL)
    assert advert.exists()
    itself = svc.command("announce", "Thử loa.", "--to", "BS-TANTIEN", "--at", "23:58",
                         "--priority", "emergency")
    assert "(by this command)" in itself.stderr
    svc.start()
    assert not advert.exists() and len(list((svc.home / "run").glob("serve-*.json"))) == 1
    here = svc.command("announce", "Thử loa lần hai.", "--to", "BS-TANTIEN", "--at", "23:57",
                       "--priority", "emergency", "--here")
    assert "(by this command)" in here.stderr
    engine = create_engine(svc.env["BROADCASTER_DATABASE_URL"])
    with Session(engine) as session:
        events = {tuple(row) for row in session.execute(
            select(AuditEvent.user_name, AuditEvent.action))}
    engine.dispose()
    # Made by the service: in its audit log. Made by the command itself: not (as before).
    assert events == {("dòng lệnh", "phát thông báo"), ("dòng lệnh", "hủy thông báo")}


def _clip_count(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Clip)) or 0
    engine.dispose()
    return count


def test_kill_9_mid_render_then_restart(service, database_url: str) -> None:  # type: ignore[no-untyped-def]
    svc = service()
    inbox = svc.home / "inbox"
    inbox.mkdir(parents=True)
    svc.start()
    # A long summary: speaking it takes a few seconds, long enough to kill the process inside.
    text_ = EXAMPLE.read_text(encoding="utf-8")
    (inbox / "dai.md").write_text(text_ + "\n\n" + text_.split("---", 2)[2], encoding="utf-8")
    tmp = svc.home / "media" / "tmp"
    wait_for(lambda: tmp.is_dir() and any(tmp.iterdir()), 60, "the render to start")
    assert svc.stop(signal.SIGKILL) == -signal.SIGKILL
    assert any(tmp.iterdir())  # the killed render left its unfinished file behind
    assert _clip_count(database_url) == 0

    svc.start()
    wait_for(lambda: _clip_count(database_url) >= 1, 120, "the restarted render")
    wait_for(lambda: not any(tmp.iterdir()), 30, "the leftovers to be removed")
    assert svc.stop() == 0
    engine = create_engine(database_url)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(DocumentRevision)) == 1
        clips = session.scalars(select(Clip)).all()
        assert len(clips) == 1 and len({c.cache_key for c in clips}) == 1
        with engine.connect() as conn:
            jobs = conn.execute(text("SELECT id FROM scheduler_jobs ORDER BY id")).scalars().all()
        assert jobs == ["inbox", "offline", "prune", "publish", "render"]
    engine.dispose()
    files = [p for p in (svc.home / "media").rglob("*") if p.is_file()]
    assert files and all(sha256_file(p) == p.name.split(".")[0] for p in files)
