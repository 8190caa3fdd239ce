"""Who runs the scheduler: exactly one ``serve`` process per database.

- PostgreSQL (several hosts may share it): a session advisory lock held on one dedicated
  connection. When the leader dies its connection closes, the server releases the lock, and the
  next process that tries takes it over.
- SQLite (one machine): an exclusive ``flock`` on HOME/scheduler.lock, released by the kernel
  when the process dies, even by ``kill -9``.

Both expose :meth:`try_acquire` (non-blocking), :meth:`still_held` and :meth:`release`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# An arbitrary 64-bit key naming "the broadcaster scheduler" among advisory locks.
ADVISORY_KEY = 0x62726F6164636173  # "broadcas"


class Leadership(Protocol):
    """A lock only one process holds at a time."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True when this process holds it afterwards."""

    def still_held(self) -> bool:
        """False when a held lock has been lost (e.g. the database connection broke)."""

    def release(self) -> None:
        """Give the lock up (idempotent)."""


class FileLeadership:
    """An exclusive ``flock`` on a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def still_held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


class PostgresLeadership:
    """A PostgreSQL session advisory lock on a connection kept for that purpose."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return self.still_held()
        conn = self.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": self.key}).scalar())
            conn.commit()
        except DBAPIError as exc:
            log.warning("cannot ask PostgreSQL for the scheduler lock: %s", exc.orig)
            conn.close()
            return False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() "
                "AND objid = (CAST(:k AS bigint) & 4294967295) "
                "AND classid = (CAST(:k AS bigint) >> 32)"), {"k": self.key}).scalar()
            self._conn.commit()
        except DBAPIError as exc:
            log.error("lost the database connection that holds the scheduler lock: %s",
                      exc.orig)
            self._drop()
            return False
        return bool(held)

    def _drop(self) -> None:
        if self._conn is not None:
            # The connection is already broken; closing it can only fail the same way.
            with contextlib.suppress(DBAPIError):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self._conn.commit()
            self._conn.close()
        except DBAPIError:
            self._drop()
        self._conn = None


def leadership_for(engine: Engine, home: Path) -> Leadership:
    """The right kind of lock for the database in use."""
    if engine.dialect.name == "postgresql":
        return PostgresLeadership(engine)
    return FileLeadership(home / "scheduler.lock")
