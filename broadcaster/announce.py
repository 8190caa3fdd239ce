"""Announcements: ad-hoc and emergency messages that reach their stations within seconds.

``announce`` speaks the text first (the configured engine chain: when the online engine
fails, the offline one speaks and the clip is marked as a fallback), then makes a programme
(lead-in tone or jingle, then the speech) and a one-off or repeating schedule entry for the
target, and publishes at once, re-planning only the stations the target reaches: every other
station keeps its playlist byte for byte. Long-polling stations are answered as soon as the new
publication is in place.

Emergency announcements pre-empt whatever plays (the schedule's priorities do that) and start
with the alarm tone; high and normal ones start with the opening jingle. ``cancel`` removes the
entry and publishes again, so stations drop the remaining airings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from broadcaster.app import App
from broadcaster.codes import check_code
from broadcaster.db import (
    Announcement,
    Entry,
    Group,
    Programme,
    Station,
    transaction,
    utcnow,
)
from broadcaster.db.models import Origin
from broadcaster.errors import InputError, NotFound
from broadcaster.localtime import LOCAL, PRIORITIES
from broadcaster.programme import ItemDef, ProgrammeDef, save_programme
from broadcaster.publish.publication import publish
from broadcaster.schedule.plan import Planner
from broadcaster.speech import text_request
from broadcaster.stations import get_group, get_station, subtree_ids

LEAD_IN = {"emergency": "bao-dong", "high": "mo-dau", "normal": "mo-dau"}
MAX_TEXT = 5000
# An announcement "now" starts this long after it is built: publishing a thousand stations and
# their long-polls answering take about a second or two (see docs/benchmarks.md).
NOW_LEAD = timedelta(seconds=3)


@dataclass(frozen=True)
class AnnouncementRequest:
    """What the operator asked for. Times are aware; ``at`` None means now."""

    text: str
    target: str
    priority: str = "high"
    at: datetime | None = None
    repeat: int = 1
    every_minutes: int | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Announced:
    """The announcement as made."""

    id: int
    programme: str
    entry: str
    starts_at: datetime
    airings: int
    stations: tuple[str, ...]
    publication: int
    engine: str
    fallback: bool
    duration_ms: int
    priority: str = "high"

    def info(self) -> dict[str, object]:
        """What ``broadcaster announce --json`` prints (and the service answers)."""
        return {"id": self.id, "programme": self.programme, "priority": self.priority,
                "starts_at": self.starts_at.astimezone(LOCAL).isoformat(),
                "airings": self.airings, "stations": len(self.stations),
                "publication": self.publication, "engine": self.engine,
                "fallback": self.fallback, "duration_s": round(self.duration_ms / 1000, 1)}


def _check(request: AnnouncementRequest, now: datetime) -> tuple[datetime, int]:
    """Validate; the first airing and how many airings there are."""
    if not request.text.strip():
        raise InputError("the announcement has no text")
    if len(request.text) > MAX_TEXT:
        raise InputError(f"the announcement text has {len(request.text)} characters; at most "
                         f"{MAX_TEXT} are allowed (make a document and a programme instead)")
    if request.priority not in PRIORITIES:
        raise InputError(f"priority must be one of {', '.join(PRIORITIES)}, "
                         f"got {request.priority!r}")
    at = request.at or now
    if at.tzinfo is None or (request.until is not None and request.until.tzinfo is None):
        raise InputError("the announcement's times must carry a timezone")
    if at < now - timedelta(minutes=1):
        raise InputError(f"--at {at.astimezone(LOCAL):%Y-%m-%d %H:%M} is in the past")
    if request.repeat < 1:
        raise InputError(f"--repeat must be at least 1, got {request.repeat}")
    if request.repeat > 1 and not request.every_minutes:
        raise InputError("--repeat needs --every MINUTES")
    if request.every_minutes is not None and request.every_minutes < 1:
        raise InputError(f"--every must be at least 1 minute, got {request.every_minutes}")
    airings = request.repeat
    if request.until is not None:
        if request.until <= at:
            raise InputError("--until must be after the first airing")
        if request.every_minutes:
            fit = math.floor((request.until - at) / timedelta(minutes=request.every_minutes)) + 1
            airings = min(airings, fit) if request.repeat > 1 else fit
    return at, airings


def _targets(app: App, target: str) -> tuple[str, list[str]]:
    """The target's current code and the codes of every station it reaches."""
    with app.sessions() as session:
        try:
            return (station := get_station(session, target)).code, [station.code]
        except NotFound:
            pass
        try:
            group = get_group(session, target)
        except NotFound:
            raise NotFound(f"no station or group with code {target!r}") from None
        below = subtree_ids(session.execute(select(Group.id, Group.parent_id)).all(),
                            group.id)
        codes = list(session.scalars(select(Station.code).where(Station.group_id.in_(below))
                                     .order_by(Station.code)))
    if not codes:
        raise InputError(f"group {group.code} has no stations; nothing would hear it")
    return group.code, codes


def announce(app: App, request: AnnouncementRequest, now: datetime | None = None
             ) -> Announced:
    """Speak, schedule and publish an announcement; returns it with its publication."""
    now = now or utcnow()
    at, airings = _check(request, now)
    target, codes = _targets(app, request.target)
    # Speak before anything is stored: if every engine fails, nothing is half-made.
    with app.sessions() as session:
        profiles = sorted(session.scalars(select(Station.profile).distinct()
                                          .where(Station.code.in_(codes))))
    spoken = [app.renderer.render(text_request(app.config, request.text, profile=p))
              for p in profiles]
    with transaction(app.sessions) as session:
        row = Announcement(text=request.text, target=target, priority=request.priority,
                           starts_at=at, repeat=airings, every_minutes=request.every_minutes,
                           until=request.until, engine=spoken[0].clip.engine,
                           clip_sha256=spoken[0].clip.sha256, created_at=now)
        session.add(row)
        session.flush()
        announcement_id = row.id
        code = f"thong-bao-{row.id}"
        title = ("Thông báo khẩn cấp" if request.priority == "emergency" else "Thông báo") \
            + f" số {row.id}"
        save_programme(session, ProgrammeDef(code, title, (
            ItemDef("jingle", LEAD_IN[request.priority]), ItemDef("text", request.text))),
            origin=Origin.ANNOUNCE.value)
    try:
        at, number, built = _schedule(app, request, announcement_id, target, codes, at,
                                      airings, now)
    except BaseException:
        # Nothing half-made stays behind: an entry that cannot be published (a broken rule)
        # would otherwise make every later publication refuse.
        _withdraw(app, announcement_id, code)
        raise
    first = spoken[0].clip
    return Announced(announcement_id, code, code, at, airings, tuple(codes), number,
                     first.engine, first.fallback, max(b.duration for b in built.values())
                     // timedelta(milliseconds=1), request.priority)


def _schedule(app: App, request: AnnouncementRequest, announcement_id: int, target: str,
              codes: list[str], at: datetime, airings: int, now: datetime
              ) -> tuple[datetime, int, dict[str, Any]]:
    """Build the announcement's programme, add its entry and publish; the first airing, the
    publication and the builds per profile."""
    code = f"thong-bao-{announcement_id}"
    # Build it for every profile now, so publishing is only planning and writing.
    planner = Planner(app)
    with app.sessions() as session:
        # The programme has no ident: one build per output profile serves every station.
        one_each = {s.profile: s for s in session.scalars(
            select(Station).where(Station.code.in_(codes)))}
        built = {profile: planner.build(code, s) for profile, s in one_each.items()}
    if request.at is None:
        # "Now" is when stations can have it: after speaking and building, plus the time to
        # publish and reach them, so that none starts it late and cuts the alarm short.
        now = max(now, utcnow())
        at = _next_second(now + NOW_LEAD)
    with transaction(app.sessions) as session:
        made = session.get(Announcement, announcement_id)
        assert made is not None
        made.starts_at = at
        local = at.astimezone(LOCAL).replace(tzinfo=None)
        rrule = None
        if airings > 1:
            last = local + timedelta(minutes=(request.every_minutes or 0) * (airings - 1))
            rrule = (f"FREQ=MINUTELY;INTERVAL={request.every_minutes};"
                     f"UNTIL={last:%Y%m%dT%H%M%S}")
        session.add(Entry(code=check_code(code, "entry"), programme=code, target=target,
                          origin=Origin.ANNOUNCE.value,
                          start_at=local.isoformat(timespec="seconds"), rrule=rrule,
                          priority=request.priority,
                          on_collision="after" if request.priority == "normal" else "preempt",
                          created_at=now, updated_at=now))
        made.programme, made.entry_code = code, code
    number = _publish(app, codes, now, f"announcement {announcement_id}")
    with transaction(app.sessions) as session:
        stored = session.get(Announcement, announcement_id)
        assert stored is not None
        stored.publication = number
    return at, number, built


def _withdraw(app: App, announcement_id: int, code: str) -> None:
    with transaction(app.sessions) as session:
        session.execute(delete(Entry).where(Entry.code == code,
                                            Entry.origin == Origin.ANNOUNCE.value))
        session.execute(delete(Programme).where(Programme.code == code,
                                                Programme.origin == Origin.ANNOUNCE.value))
        session.execute(delete(Announcement).where(Announcement.id == announcement_id))


def _next_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1 if moment.microsecond else 0)


def _publish(app: App, codes: list[str], now: datetime, note: str) -> int:
    window = timedelta(hours=app.config.publish_window_hours)
    number, _ = publish(app, start=now, window=window, note=note, now=now, codes=codes)
    return number


def cancel(app: App, announcement_id: int, now: datetime | None = None) -> int:
    """Withdraw an announcement: remove its entry and publish; the new publication number."""
    now = now or utcnow()
    with transaction(app.sessions) as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise NotFound(f"no announcement number {announcement_id}")
        if row.cancelled_at is not None:
            raise InputError(f"announcement {announcement_id} was already cancelled at "
                             f"{row.cancelled_at.astimezone(LOCAL):%Y-%m-%d %H:%M}")
        row.cancelled_at = now
        entry = session.scalar(select(Entry).where(Entry.code == row.entry_code))
        if entry is not None:
            session.delete(entry)
        target = row.target
    _, codes = _targets(app, target)
    return _publish(app, codes, now, f"cancel announcement {announcement_id}")


def list_announcements(app: App) -> list[Announcement]:
    """Every announcement, newest first."""
    with app.sessions() as session:
        return list(session.scalars(select(Announcement).order_by(Announcement.id.desc())))
