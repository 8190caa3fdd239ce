"""The durable report queue: ids never repeat, nothing lost, nothing sent twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from broadcaster.agent.queue import PlayEntry, ReportQueue
from tests.agent.conftest import T0


def entry(item: str, outcome: str = "played", minutes: int = 0) -> PlayEntry:
    start = T0 + timedelta(minutes=minutes)
    return PlayEntry(item, start, outcome, start, start + timedelta(minutes=1),
                     ends_at=start + timedelta(minutes=1))


def test_ids_are_install_and_sequence_and_never_reused(tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    first = queue.add([entry("a@X#1.1"), entry("b@X#1.1")])
    assert first == [f"{queue.install_id}:1", f"{queue.install_id}:2"]
    assert queue.acknowledge(first, first[-1], stored_all=True) == 2
    assert queue.count() == 0
    # The outbox is empty now: the next entry must still get a new number.
    (third,) = queue.add([entry("c@X#1.1")])
    assert third == f"{queue.install_id}:3"
    queue.close()
    reopened = ReportQueue(tmp_path / "reports.db")
    assert reopened.install_id == queue.install_id
    assert reopened.pending() == [entry("c@X#1.1").body(third)]
    assert reopened.add([entry("d@X#1.1")]) == [f"{queue.install_id}:4"]


def test_another_cache_folder_is_another_install(tmp_path: Path) -> None:
    one, two = ReportQueue(tmp_path / "one.db"), ReportQueue(tmp_path / "two.db")
    assert one.install_id != two.install_id and len(one.install_id) == 12


def test_entries_are_the_protocol_body(tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    (entry_id,) = queue.add([PlayEntry("a@X#1.1", T0, "skipped", detail="x" * 900)])
    (body,) = queue.pending()
    assert body == {"id": entry_id, "item": "a@X#1.1", "scheduled_start":
                    "2026-11-27T03:00:00.000Z", "outcome": "skipped", "detail": "x" * 500}


def test_acknowledgement_drops_only_what_the_server_holds(tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    ids = queue.add([entry(f"i{n}@X#1.1", minutes=n) for n in range(5)])
    # The server's last_id names the third: the first three are held, whatever was sent.
    assert queue.acknowledge(ids, ids[2], stored_all=False) == 3
    assert [p["id"] for p in queue.pending()] == ids[3:]
    # A last_id of another install (an old cache) drops nothing by itself.
    assert queue.acknowledge(ids[3:], "0000aaaa0000:99", stored_all=False) == 0
    assert queue.acknowledge(ids[3:], "0000aaaa0000:99", stored_all=True) == 2


def test_batches_are_at_most_500_oldest_first(tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    queue.add([entry(f"i{n}@X#1.1") for n in range(1203)])
    batch = queue.pending()
    assert len(batch) == 500 and batch[0]["id"].endswith(":1")
    assert queue.pending(limit=10_000)[-1]["id"].endswith(":500")


def test_done_items_survive_a_restart_and_are_forgotten_after_their_window(
        tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    queue.add([entry("old@X#1.1", minutes=0), entry("new@X#1.1", minutes=60 * 24 * 8)])
    queue.close()
    again = ReportQueue(tmp_path / "reports.db")
    assert again.done() == {"old@X#1.1", "new@X#1.1"}
    assert again.forget_done(T0 + timedelta(days=7)) == 1
    assert again.done() == {"new@X#1.1"}


def test_a_refused_entry_is_set_aside_not_lost(tmp_path: Path) -> None:
    queue = ReportQueue(tmp_path / "reports.db")
    ids = queue.add([entry("a@X#1.1"), entry("b@X#1.1")])
    assert queue.reject(ids[0], "plays.0.outcome: bad")
    assert [p["id"] for p in queue.pending()] == ids[1:]
    kept = queue._db.execute("SELECT reason FROM rejected").fetchall()
    assert kept == [("plays.0.outcome: bad",)]
