"""Announcements a crash left half-made, and the request keys that keep a retried request from
making a second announcement.

An announcement is made in steps, each its own transaction, because building its programme
and publishing take seconds: its row and programme, then its entry, then its publication, then
the row's ``publication``. Its maker holds a lock on it from before the row is visible until
the last step (:func:`lock_for`): an ``flock`` on ``HOME/run/announcement-ID.lock`` on SQLite,
a PostgreSQL session advisory lock (every host sharing the database) on PostgreSQL. The kernel
or the server releases it when the maker dies, even by ``kill -9``. So a row with no
publication whose lock is free was left half-made by a dead maker.

What becomes of it (:func:`settle`, under its lock):

- its publication was committed but not yet recorded on it (the maker died between the two;
  the publication's note names it, :func:`publication_note`), or another publish carried its
  entry to the stations before it was settled (the publication in force lists its items): it
  is *completed*, the publication recorded. Stations have it; nothing is made again.
- otherwise it is *withdrawn*: its entry and programme are deleted (no publication carries
  them), and the row stays as the record of what happened, marked cancelled (``cancelled_at``
  set, ``publication`` empty: that pair means "withdrawn unpublished"). It gives its request
  key up, so that the retried request makes the announcement anew under that key.

``broadcaster announce`` sends a key made once per command; when the service it handed the
work to stops answering, it makes the announcement itself under the same key, which first
settles what the service left (:func:`settle` waits for a maker still at work). ``serve``
settles every half-made announcement nobody is making when it starts (:func:`recover`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Literal, Protocol

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.exc import DBAPIError

from broadcaster.db import Announcement, Entry, Programme, Publication, transaction, utcnow
from broadcaster.domain.vocabulary import Origin
from broadcaster.errors import InputError
from broadcaster.localtime import LOCAL
from broadcaster.parts import Parts
from broadcaster.publish.folders import point_current
from broadcaster.publish.publication import current_number, publish_lock, read_index, root

log = logging.getLogger(__name__)

# The first key of the two-key PostgreSQL advisory locks on announcements ("anno"); the
# second is the announcement's id. (Two-key locks never clash with the one-key publish and
# scheduler locks.)
ADVISORY_CLASS = 0x616E6E6F
POLL_S = 0.05

Outcome = Literal["published", "completed", "withdrawn", "cancelled", "gone"]


def publication_note(announcement_id: int) -> str:
    """The note of the publication that first carries an announcement."""
    return f"announcement {announcement_id}"


def code_of(announcement_id: int) -> str:
    """The code of an announcement's programme and entry."""
    return f"thong-bao-{announcement_id}"


class MakingLock(Protocol):
    """The lock a maker holds on one announcement while it makes it."""

    def acquire(self, wait_s: float) -> bool:
        """Take the lock, waiting up to ``wait_s`` for its holder; True when held."""

    def release(self, settled: bool) -> None:
        """Give the lock up; ``settled``: the announcement is published or withdrawn, so
        nobody needs its lock again (its lock file goes)."""


class _FileLock:
    """An exclusive ``flock`` on HOME/run/announcement-ID.lock (SQLite: one machine).

    The file is removed only by a holder whose announcement is settled: whoever waited on
    the removed file, or opens a new one, finds the row settled and leaves it alone.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self, wait_s: float) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a", encoding="utf-8")
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.close()
                    return False
                time.sleep(POLL_S)
                continue
            self._fh = fh
            return True

    def release(self, settled: bool) -> None:
        if self._fh is None:
            return
        if settled:
            self.path.unlink(missing_ok=True)
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
        self._fh = None


class _AdvisoryLock:
    """A PostgreSQL session advisory lock ``(ADVISORY_CLASS, id)`` on a connection of its own."""

    def __init__(self, app: Parts, announcement_id: int) -> None:
        self.app = app
        self.keys = {"c": ADVISORY_CLASS, "i": announcement_id}
        self._conn: Connection | None = None

    def acquire(self, wait_s: float) -> bool:
        conn = self.app.engine.connect()
        deadline = time.monotonic() + wait_s
        while True:
            got = conn.execute(text("SELECT pg_try_advisory_lock(CAST(:c AS integer), "
                                    "CAST(:i AS integer))"), self.keys).scalar()
            conn.commit()
            if got:
                self._conn = conn
                return True
            if time.monotonic() >= deadline:
                conn.close()
                return False
            time.sleep(POLL_S)

    def release(self, settled: bool) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(CAST(:c AS integer), "
                                    "CAST(:i AS integer))"), self.keys)
            self._conn.commit()
            self._conn.close()
        except DBAPIError:  # the connection broke, and the server released the lock with it
            with contextlib.suppress(DBAPIError):
                self._conn.invalidate()
        self._conn = None


def lock_for(app: Parts, announcement_id: int) -> MakingLock:
    """The lock on one announcement, of the right kind for the database in use."""
    if app.engine.dialect.name == "postgresql":
        return _AdvisoryLock(app, announcement_id)
    return _FileLock(app.config.home / "run" / f"announcement-{announcement_id}.lock")


def being_made(app: Parts, announcement_id: int) -> bool:
    """True while a live process holds the announcement's lock (it is making it)."""
    lock = lock_for(app, announcement_id)
    if not lock.acquire(0):
        return True
    lock.release(settled=False)
    return False


@dataclass(frozen=True)
class Settled:
    """What became of one announcement that was not known to be published."""

    id: int
    outcome: Outcome
    publication: int | None = None


def _settle_row(app: Parts, announcement_id: int, now: datetime) -> Settled:
    """Complete or withdraw one announcement whose lock the caller holds."""
    with transaction(app.sessions) as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            return Settled(announcement_id, "gone")
        if row.publication is not None:
            return Settled(announcement_id, "published", row.publication)
        if row.cancelled_at is not None:
            return Settled(announcement_id, "cancelled")
        number = session.scalar(select(Publication.number).where(
            Publication.note == publication_note(announcement_id))) \
            or _carried(app, row.entry_code)
        if number is not None:
            row.publication = number
        else:
            # Only what announce made: a row of the same code made elsewhere is not its.
            codes = {code_of(announcement_id), row.entry_code} - {""}
            session.execute(delete(Entry).where(Entry.code.in_(codes),
                                                Entry.origin == Origin.ANNOUNCE.value))
            codes = {code_of(announcement_id), row.programme} - {""}
            session.execute(delete(Programme).where(Programme.code.in_(codes),
                                                    Programme.origin == Origin.ANNOUNCE.value))
            key, row.request_key, row.cancelled_at = row.request_key, None, now
    if number is not None:
        _bring_in_force(app, number)
        return Settled(announcement_id, "completed", number)
    log.warning("announcement %d (request key %s) was left half-made and never published: "
                "withdrawn (its entry and programme removed, the announcement marked "
                "cancelled)", announcement_id, key or "none")
    return Settled(announcement_id, "withdrawn")


def _bring_in_force(app: Parts, number: int) -> None:
    """Put publication ``number`` in force if its publisher died after committing it and
    before swapping ``current`` to it (the stations would otherwise never get it)."""
    with publish_lock(app):
        current = current_number(app)
        if current is not None and current >= number:
            return
        with app.sessions() as session:
            newest = session.scalar(select(func.max(Publication.number)))
        if newest == number and (root(app) / f"{number:06d}" / "index.json").is_file():
            point_current(root(app), number)
            log.warning("publication %d was committed but its publisher died before putting "
                        "it in force: in force now", number)


def _carried(app: Parts, entry_code: str) -> int | None:
    """The publication in force, when it carries items of this entry."""
    number = current_number(app)
    if not entry_code or number is None:
        return None
    try:
        index = read_index(root(app) / f"{number:06d}")
    except (OSError, ValueError):
        return None
    prefix = f"{entry_code}@"
    carried = any(str(item).startswith(prefix) for station in index["stations"].values()
                  for item in station.get("items", ()))
    return number if carried else None


def settle(app: Parts, request_key: str, wait_s: float, now: datetime | None = None
           ) -> Settled | None:
    """The announcement made under ``request_key``, settled: published (or completed now), or
    withdrawn when it was left half-made; None when there is none.

    An announcement another process is still making is waited for, up to ``wait_s``.
    """
    with app.sessions() as session:
        row = session.scalar(select(Announcement).where(Announcement.request_key == request_key))
        if row is None:
            return None
        if row.publication is not None:
            return Settled(row.id, "published", row.publication)
        announcement_id = row.id
    lock = lock_for(app, announcement_id)
    if not lock.acquire(wait_s):
        raise InputError(f"announcement {announcement_id} of this request is still being made "
                         f"by another process after {wait_s:.0f} s; see `broadcaster "
                         "announce --json` later, or `broadcaster check`")
    settled = False
    try:
        done = _settle_row(app, announcement_id, now or utcnow())
        settled = True
    finally:
        lock.release(settled)
    return done


def half_made(app: Parts) -> list[int]:
    """The ids of announcements with no publication that are not cancelled or withdrawn
    (being made now, or left half-made by a dead maker)."""
    with app.sessions() as session:
        return list(session.scalars(select(Announcement.id).where(
            Announcement.publication.is_(None), Announcement.cancelled_at.is_(None))
            .order_by(Announcement.id)))


def recover(app: Parts, now: datetime | None = None) -> list[Settled]:
    """Settle every half-made announcement that no live process is making (``serve`` does
    this at start-up); those withdrawn or completed."""
    now = now or utcnow()
    done = []
    for announcement_id in half_made(app):
        lock = lock_for(app, announcement_id)
        if not lock.acquire(0):
            continue  # a live maker: it finishes it, or withdraws it itself
        settled = False
        try:
            item = _settle_row(app, announcement_id, now)
            settled = True
        finally:
            lock.release(settled)
        if item.outcome in ("withdrawn", "completed"):
            done.append(item)
    for item in done:
        if item.outcome == "completed":
            log.warning("announcement %d was published as publication %d but its maker "
                        "stopped before recording it: recorded now", item.id, item.publication)
    return done


def withdrawn_note(row: Announcement) -> str:
    """How an announcement withdrawn unpublished is described to the operator."""
    assert row.cancelled_at is not None
    return (f"announcement {row.id} was left half-made and withdrawn unpublished at "
            f"{row.cancelled_at.astimezone(LOCAL):%Y-%m-%d %H:%M}")
