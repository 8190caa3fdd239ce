"""The durable queue of proof-of-play entries (a SQLite file in the cache folder).

Every entry gets the id ``INSTALL:SEQ``: the install id is made once per cache folder, the
sequence only grows, so ids never repeat on a station. An entry is written (and fsynced) before
the agent acts on its next decision and leaves the queue only when the server acknowledged it:
the answer's ``last_id`` (the newest entry the server holds) or a batch stored whole. The server
stores entries once by id, so a batch resent after a lost answer is harmless.

The same file remembers which items were already reported (``done``), so a restart neither
plays nor reports an item twice.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# AUTOINCREMENT: a sequence number is never given again, even after the outbox was emptied
# (a plain rowid would restart at 1, and the server would take a new entry for an old one).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS done (item TEXT PRIMARY KEY, ends_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rejected (seq INTEGER PRIMARY KEY, body TEXT NOT NULL,
                                     reason TEXT NOT NULL);
"""
MAX_BATCH = 500


def iso(moment: datetime | None) -> str | None:
    """An aware time as ISO 8601 with ``Z`` (milliseconds), or None."""
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class PlayEntry:
    """One proof-of-play entry before it has an id (see the station protocol)."""

    item: str
    scheduled_start: datetime
    outcome: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    detail: str = ""
    ends_at: datetime | None = None     # the item's end, to forget ``done`` items later

    def body(self, entry_id: str) -> dict[str, Any]:
        """The JSON the server expects for this entry."""
        body: dict[str, Any] = {"id": entry_id, "item": self.item,
                                "scheduled_start": iso(self.scheduled_start),
                                "outcome": self.outcome, "detail": self.detail[:500]}
        if self.started_at is not None:
            body["started_at"] = iso(self.started_at)
        if self.ended_at is not None:
            body["ended_at"] = iso(self.ended_at)
        return body


class ReportQueue:
    """The outbox of entries not yet acknowledged, and the items already reported."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self.install_id = self._install_id()

    def _install_id(self) -> str:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='install_id'").fetchone()
            if row:
                return str(row[0])
            made = secrets.token_hex(6)
            self._db.execute("INSERT INTO meta VALUES ('install_id', ?)", (made,))
            return made

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()

    def add(self, entries: Sequence[PlayEntry]) -> list[str]:
        """Queue entries (and mark their items done) in one transaction; their ids."""
        ids: list[str] = []
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for entry in entries:
                    seq = self._db.execute("INSERT INTO outbox (body) VALUES ('')").lastrowid
                    entry_id = f"{self.install_id}:{seq}"
                    self._db.execute("UPDATE outbox SET body=? WHERE seq=?",
                                     (json.dumps(entry.body(entry_id), ensure_ascii=False), seq))
                    self._db.execute("INSERT OR REPLACE INTO done VALUES (?, ?)",
                                     (entry.item, iso(entry.ends_at or entry.scheduled_start)))
                    ids.append(entry_id)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return ids

    def pending(self, limit: int = MAX_BATCH) -> list[dict[str, Any]]:
        """The oldest unacknowledged entries, at most ``limit`` (the protocol allows 500)."""
        with self._lock:
            rows = self._db.execute("SELECT body FROM outbox ORDER BY seq LIMIT ?",
                                    (min(limit, MAX_BATCH),)).fetchall()
        return [json.loads(body) for (body,) in rows]

    def count(self) -> int:
        """How many entries wait to be sent."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])

    def acknowledge(self, sent: Sequence[str], last_id: str | None, stored_all: bool) -> int:
        """Drop what the server holds: up to ``last_id`` (ours), or all of ``sent``."""
        upto = 0
        prefix = f"{self.install_id}:"
        if last_id and last_id.startswith(prefix) and last_id[len(prefix):].isascii() \
                and last_id[len(prefix):].isdigit():
            upto = int(last_id[len(prefix):])
        newest = max((int(i.rsplit(":", 1)[1]) for i in sent), default=0)
        if stored_all:
            upto = max(upto, newest)
        # The server cannot hold what was not sent: a wild last_id acknowledges nothing more.
        upto = min(upto, newest)
        with self._lock:
            return self._db.execute("DELETE FROM outbox WHERE seq <= ?", (upto,)).rowcount

    def reject(self, entry_id: str, reason: str) -> bool:
        """Set aside an entry the server refuses (kept in ``rejected``, no longer sent)."""
        seq = int(entry_id.rsplit(":", 1)[1])
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            moved = self._db.execute(
                "INSERT INTO rejected SELECT seq, body, ? FROM outbox WHERE seq = ?",
                (reason, seq)).rowcount
            self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
            self._db.execute("COMMIT")
        return bool(moved)

    def done(self) -> frozenset[str]:
        """Every item already reported (played, pre-empted, skipped or failed)."""
        with self._lock:
            return frozenset(r[0] for r in self._db.execute("SELECT item FROM done"))

    def forget_done(self, before: datetime) -> int:
        """Forget reported items that ended before ``before`` (they left the window)."""
        with self._lock:
            return self._db.execute("DELETE FROM done WHERE ends_at < ?",
                                    (iso(before),)).rowcount
