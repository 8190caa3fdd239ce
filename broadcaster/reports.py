"""What stations tell the province: heartbeats and proof of play.

A station POSTs reports (see ``broadcaster.web``); this module stores them. Proof-of-play
entries are idempotent by the station's own entry id: sending the same batch twice (a lost
answer on a weak link) stores nothing the second time, and the answer names the last entry the
server holds so the station can drop everything up to it from its queue.

A heartbeat updates the station's :class:`~broadcaster.db.StationStatus` (last seen, agent
version, publication held, disk free, what is playing) and the :class:`~broadcaster.db.Holding`
of the publication it holds, which the coverage report reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.db import Announcement, Entry, Holding, Play, Station, StationStatus, utcnow
from broadcaster.errors import InputError

Outcome = Literal["played", "preempted", "failed", "skipped"]
OUTCOMES: tuple[Outcome, ...] = ("played", "preempted", "failed", "skipped")
MAX_ENTRY_CODE = 100   # plays.entry_code is String(100)


@dataclass(frozen=True)
class Heartbeat:
    """The state a station reports with every contact."""

    agent_version: str = ""
    publication: int | None = None
    digest: str = ""
    disk_free_bytes: int | None = None
    playing: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlayReport:
    """One proof-of-play entry, as the station sends it."""

    id: str
    item: str
    scheduled_start: datetime
    outcome: Outcome
    started_at: datetime | None = None
    ended_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class Receipt:
    """The answer to a report."""

    received: int            # entries stored now
    duplicates: int          # entries the server already held
    last_id: str | None      # the newest entry the server holds for this station


def entry_code(item_id: str) -> str:
    """The schedule entry an item id comes from (``ENTRY@STAMP#PART.INDEX``)."""
    return item_id.split("@", 1)[0]


def _programmes(session: Session, codes: set[str]) -> dict[str, str]:
    """The programme of each entry code (announcements keep theirs after a cancel)."""
    found = {code: programme or "" for code, programme in session.execute(
        select(Entry.code, Entry.programme).where(Entry.code.in_(codes)))}
    missing = codes - set(found)
    if missing:
        found |= dict(session.execute(select(Announcement.entry_code, Announcement.programme)
                                      .where(Announcement.entry_code.in_(missing))).all())
    return found


def _check(play: PlayReport) -> None:
    if play.outcome not in OUTCOMES:
        raise InputError(f"report entry {play.id}: outcome {play.outcome!r} is not one of "
                         f"{', '.join(OUTCOMES)}")
    if play.started_at and play.ended_at and play.ended_at < play.started_at:
        raise InputError(f"report entry {play.id}: ended_at is before started_at")
    if "@" not in play.item or len(entry_code(play.item)) > MAX_ENTRY_CODE:
        raise InputError(f"report entry {play.id}: item {play.item[:120]!r} is not a playlist "
                         "item id")


def _last_id(session: Session, station_id: int) -> str | None:
    return session.scalar(select(Play.report_id).where(Play.station_id == station_id)
                          .order_by(Play.id.desc()).limit(1))


def _store_plays(session: Session, station_id: int, plays: Sequence[PlayReport],
                 now: datetime) -> int:
    ids = [p.id for p in plays]
    held = set(session.scalars(select(Play.report_id).where(
        Play.station_id == station_id, Play.report_id.in_(ids))))
    new: dict[str, PlayReport] = {}
    for play in plays:
        if play.id not in held:
            new.setdefault(play.id, play)
    programmes = _programmes(session, {entry_code(p.item) for p in new.values()})
    session.add_all(Play(station_id=station_id, report_id=p.id, item_id=p.item,
                         entry_code=entry_code(p.item),
                         programme=programmes.get(entry_code(p.item), ""),
                         scheduled_start=p.scheduled_start, started_at=p.started_at,
                         ended_at=p.ended_at, outcome=p.outcome, detail=p.detail[:500],
                         received_at=now) for p in new.values())
    return len(new)


def _store_heartbeat(session: Session, station_id: int, beat: Heartbeat, now: datetime) -> None:
    status = session.get(StationStatus, station_id)
    if status is None:
        status = StationStatus(station_id=station_id, last_seen_at=now)
        session.add(status)
    status.last_seen_at = now
    status.offline_since = None
    status.agent_version = beat.agent_version[:50]
    status.publication = beat.publication
    status.digest = beat.digest[:64]
    status.disk_free_bytes = beat.disk_free_bytes
    status.playing = beat.playing
    if beat.publication is None:
        return
    holding = session.scalar(select(Holding).where(Holding.station_id == station_id,
                                                   Holding.publication == beat.publication))
    if holding is None:
        session.add(Holding(station_id=station_id, publication=beat.publication,
                            digest=beat.digest[:64], first_at=now, last_at=now))
    else:
        holding.last_at = now


def record_report(sessions: sessionmaker[Session], code: str, heartbeat: Heartbeat | None,
                  plays: Sequence[PlayReport], now: datetime | None = None) -> Receipt:
    """Store one report of station ``code``; safe to call again with the same entries."""
    now = now or utcnow()
    for play in plays:
        _check(play)
    for attempt in range(3):
        with sessions() as session:
            station_id = session.scalar(select(Station.id).where(Station.code == code))
            if station_id is None:
                raise InputError(f"there is no station with code {code!r}")
            try:
                received = _store_plays(session, station_id, plays, now)
                # Contact is contact: a report with plays but no heartbeat still counts.
                _store_heartbeat(session, station_id, heartbeat or _last_beat(session, station_id),
                                 now)
                session.commit()
            except IntegrityError:
                # The same entries arrived at the same moment on another connection: count again.
                session.rollback()
                if attempt == 2:
                    raise
                continue
            return Receipt(received, len(plays) - received, _last_id(session, station_id))
    raise AssertionError("unreachable")


def _last_beat(session: Session, station_id: int) -> Heartbeat:
    status = session.get(StationStatus, station_id)
    if status is None:
        return Heartbeat()
    return Heartbeat(status.agent_version, status.publication, status.digest,
                     status.disk_free_bytes, dict(status.playing or {}))


def mark_offline(sessions: sessionmaker[Session], after: timedelta,
                 now: datetime | None = None) -> list[str]:
    """Mark stations silent for longer than ``after`` offline; the codes newly marked."""
    now = now or utcnow()
    with sessions() as session:
        rows = session.execute(
            select(StationStatus, Station.code)
            .join(Station, Station.id == StationStatus.station_id)
            .where(StationStatus.offline_since.is_(None),
                   StationStatus.last_seen_at < now - after)).all()
        for status, _ in rows:
            status.offline_since = now
        session.commit()
        return sorted(code for _, code in rows)
