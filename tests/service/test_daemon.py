"""The scheduler side of ``serve``, in-process: stored jobs, misfires, leadership, inbox."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import Clip, DocumentRevision
from broadcaster.inbox import Inbox
from broadcaster.service import Daemon
from broadcaster.service.leader import FileLeadership, PostgresLeadership, leadership_for
from broadcaster.web import Metrics
from tests.conftest import EXAMPLE
from tests.helpers import wait_for


def runs(metrics: Metrics, job: str) -> float:
    value = metrics.registry.get_sample_value("broadcaster_job_runs_total",
                                              {"job": job, "result": "ok"})
    return value or 0.0



def test_missed_runs_run_once_after_downtime(app: App) -> None:
    metrics = Metrics()
    daemon = Daemon(app, metrics, leader_check_s=0.1)
    daemon.start()
    wait_for(lambda: daemon.leading and runs(metrics, "offline") >= 1, 30, "the first jobs")
    daemon.stop()
    assert runs(metrics, "prune") == 0  # prune waits a whole interval after the first start
    # The service was down for two days: the 6-hourly prune missed eight runs.
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(engine=app.engine, tablename="scheduler_jobs")
    job = store.lookup_job("prune")
    assert job is not None
    state = job.__getstate__()
    state["next_run_time"] = datetime.now(UTC) - timedelta(days=2)
    job.__setstate__(state)
    store.update_job(job)

    again = Metrics()
    daemon = Daemon(app, again, leader_check_s=0.1)
    daemon.start()
    wait_for(lambda: runs(again, "prune") >= 1, 30, "the missed prune")
    time.sleep(1.0)
    daemon.stop()
    assert runs(again, "prune") == 1
    assert store.lookup_job("prune").next_run_time > datetime.now(UTC) + timedelta(hours=5)


def test_one_leader_and_take_over(app: App) -> None:
    first = Daemon(app, Metrics(), leader_check_s=0.1)
    second = Daemon(app, Metrics(), leadership=leadership_for(app.engine, app.config.home),
                    leader_check_s=0.1)
    first.start()
    wait_for(lambda: first.leading, 30, "the first process to lead")
    second.start()
    time.sleep(0.5)
    assert not second.leading
    first.stop()  # the leader goes away: the other one takes over
    wait_for(lambda: second.leading, 30, "the take-over")
    second.stop()
    kind = PostgresLeadership if app.engine.dialect.name == "postgresql" else FileLeadership
    assert isinstance(second.leadership, kind)


def test_file_lock_is_exclusive(tmp_path: Path) -> None:
    one, two = FileLeadership(tmp_path / "l.lock"), FileLeadership(tmp_path / "l.lock")
    assert one.try_acquire() and not two.try_acquire()
    one.release()
    assert two.try_acquire()
    two.release()


def test_inbox_speaks_new_and_changed_files_once(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    # The inbox compares its clock with the files' mtimes: a minute after the newest file,
    # every file has "settled" (file times, not the process clock, so that neither the hour
    # nor a faked clock changes what this test sees).
    def clock() -> float:
        return max((p.stat().st_mtime for p in folder.iterdir()), default=0.0) + 60

    inbox = Inbox(app, folder, clock=clock)
    (folder / "thong-bao.txt").write_text("Xin chào bà con. Hôm nay có họp thôn lúc 19 giờ.",
                                          encoding="utf-8")
    (folder / "rong.md").write_text("", encoding="utf-8")
    (folder / "ghi-chu.pdf").write_bytes(b"%PDF")  # not a summary: ignored
    results = {r.path.name: r for r in inbox.scan()}
    assert set(results) == {"thong-bao.txt", "rong.md"}
    assert results["thong-bao.txt"].outcome == "new" and results["thong-bao.txt"].clips
    assert results["rong.md"].outcome == "failed" and "empty" in results["rong.md"].message
    assert inbox.scan() == []  # nothing changed, nothing read again
    # A fresh scanner (a restart) reads everything again but stores and speaks nothing new.
    again = Inbox(app, folder, clock=clock)
    assert {r.path.name: r.outcome for r in again.scan()} == {"thong-bao.txt": "unchanged",
                                                             "rong.md": "failed"}
    (folder / "thong-bao.txt").write_text("Xin chào bà con. Họp thôn dời sang 20 giờ.",
                                          encoding="utf-8")
    assert [r.outcome for r in again.scan()] == ["revised"]
    with app.sessions() as session:
        assert len(session.scalars(select(DocumentRevision)).all()) == 2
        assert len(session.scalars(select(Clip)).all()) == 2


def test_inbox_waits_for_a_file_being_copied(app: App, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "dang-chep.md").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    now = [(folder / "dang-chep.md").stat().st_mtime]  # just written, as far as the disk says
    inbox = Inbox(app, folder, settle_s=2.0, clock=lambda: now[0])
    assert inbox.scan() == []
    now[0] += 3
    assert [r.outcome for r in inbox.scan()] == ["new"]


def test_inbox_takes_a_file_dated_in_the_future(app: App, tmp_path: Path) -> None:
    """A share written by a host whose clock is an hour ahead (or a faked clock): the file's
    time stays ahead of ours, and it is taken once it has stayed the same for settle_s."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    path = folder / "tuong-lai.md"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    now = [path.stat().st_mtime]
    os.utime(path, (now[0] + 3600, now[0] + 3600))
    inbox = Inbox(app, folder, settle_s=2.0, clock=lambda: now[0])
    assert inbox.scan() == []
    now[0] += 1
    assert inbox.scan() == []
    now[0] += 2
    assert [r.outcome for r in inbox.scan()] == ["new"]


@pytest.mark.parametrize("name", ["inbox", "render", "publish", "offline", "prune"])
def test_every_job_runs_on_an_empty_province(app: App, name: str) -> None:
    metrics = Metrics()
    daemon = Daemon(app, metrics)
    daemon.run(name)
    assert runs(metrics, name) == 1
