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

A request may carry a key (``broadcaster announce`` makes one per command): a second request
with a key already used answers the announcement made for it, and one left half-made by a crash
is withdrawn and made again (see :mod:`broadcaster.announce_recovery`). A dropped connection
to the service is therefore no reason to make an announcement twice.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from broadcaster import announce_recovery as recovery
from broadcaster.codes import check_code
from broadcaster.crash_points import crash_point
from broadcaster.db import (
    Announcement,
    Clip,
    Entry,
    Group,
    Programme,
    Publication,
    Station,
    transaction,
    utcnow,
)
from broadcaster.domain.vocabulary import (
    PRIORITIES,
    CollisionPolicy,
    ItemKind,
    Origin,
    Priority,
)
from broadcaster.errors import BroadcasterError, InputError, NotFound
from broadcaster.localtime import LOCAL
from broadcaster.parts import Parts
from broadcaster.programme import ItemDef, ProgrammeDef, save_programme
from broadcaster.publish.publication import publish, root, station_file
from broadcaster.schedule.plan import Planner, PlanningParts
from broadcaster.speech import Renderer, text_request
from broadcaster.stations import get_group, get_station, subtree_ids

LEAD_IN: dict[str, str] = {Priority.EMERGENCY: "bao-dong", Priority.HIGH: "mo-dau",
                           Priority.NORMAL: "mo-dau"}
MAX_TEXT = 5000
# An announcement "now" starts this long after it is built: publishing a thousand stations and
# their long-polls answering take about a second or two (see docs/benchmarks.md).
NOW_LEAD = timedelta(seconds=3)
# How long a request waits for another process still making the announcement of its key.
MAKING_WAIT_S = 120.0
MAX_AIRINGS = 100                 # airings of one announcement, however they are asked for
MAX_EVERY_MINUTES = 7 * 24 * 60   # at most a week between two airings
REQUEST_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}\Z")


class AnnouncingParts(PlanningParts, Protocol):
    """What announcing uses: planning's parts and the renderer that speaks the text (``App``
    has them)."""

    @property
    def renderer(self) -> Renderer:
        """The text-to-clip renderer."""


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
    # The requester's idempotency key: one announcement per key, whatever the retries.
    request_key: str | None = None


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
    # True when the request's key named an announcement already made: nothing was made now.
    existing: bool = False

    def info(self) -> dict[str, object]:
        """What ``broadcaster announce --json`` prints (and the service answers)."""
        return {"id": self.id, "programme": self.programme, "priority": self.priority,
                "starts_at": self.starts_at.astimezone(LOCAL).isoformat(),
                "airings": self.airings, "stations": len(self.stations),
                "publication": self.publication, "engine": self.engine,
                "fallback": self.fallback, "duration_s": round(self.duration_ms / 1000, 1),
                "existing": self.existing}


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
    if request.every_minutes is not None and not 1 <= request.every_minutes <= MAX_EVERY_MINUTES:
        raise InputError(f"--every must be between 1 and {MAX_EVERY_MINUTES} minutes (a week), "
                         f"got {request.every_minutes}")
    if request.request_key is not None and not REQUEST_KEY_RE.match(request.request_key):
        raise InputError("the request key must be 8-64 letters, digits, '_' or '-'")
    airings = request.repeat
    if request.until is not None:
        if request.until <= at:
            raise InputError("--until must be after the first airing")
        if request.every_minutes:
            fit = math.floor((request.until - at) / timedelta(minutes=request.every_minutes)) + 1
            airings = min(airings, fit) if request.repeat > 1 else fit
    if airings > MAX_AIRINGS:
        raise InputError(f"the announcement would air {airings} times; at most {MAX_AIRINGS} "
                         "(use --repeat, a longer --every or an earlier --until)")
    return at, airings


def _targets(app: Parts, target: str) -> tuple[str, list[str]]:
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


def announce(app: AnnouncingParts, request: AnnouncementRequest, now: datetime | None = None
             ) -> Announced:
    """Speak, schedule and publish an announcement; returns it with its publication.

    With a request key already used, nothing is made: the announcement made for it is
    returned (``existing``), after waiting for its maker if it is still at work; one left
    half-made by a dead maker is withdrawn and made again.
    """
    now = now or utcnow()
    try:
        return _make(app, request, now)
    except IntegrityError:
        if request.request_key is None:
            raise
        # Another request with this key stored its announcement meanwhile (the unique key
        # refused ours): answer with that one, or make it when it was withdrawn.
        return _make(app, request, now)


def _make(app: AnnouncingParts, request: AnnouncementRequest, now: datetime) -> Announced:
    at, airings = _check(request, now)
    target, codes = _targets(app, request.target)
    if (before := _made_before(app, request, target)) is not None:
        return before
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
                           clip_sha256=spoken[0].clip.sha256, created_at=now,
                           request_key=request.request_key)
        session.add(row)
        session.flush()
        announcement_id = row.id
        code = f"thong-bao-{row.id}"
        title = ("Thông báo khẩn cấp" if request.priority == Priority.EMERGENCY else "Thông báo") \
            + f" số {row.id}"
        save_programme(session, ProgrammeDef(code, title, (
            ItemDef(ItemKind.JINGLE, LEAD_IN[request.priority]),
            ItemDef(ItemKind.TEXT, request.text))),
            origin=Origin.ANNOUNCE.value)
        # Held from before the row is visible until it is published or withdrawn: a row
        # with no publication and a free lock was left half-made by a dead maker.
        making = _hold(app, announcement_id)
    crash_point("announce:stored")
    try:
        at, number, built = _schedule(app, request, announcement_id, target, codes, at,
                                      airings, now)
    except BaseException:
        # Nothing half-made stays behind: an entry that cannot be published (a broken rule)
        # would otherwise make every later publication refuse.
        _withdraw(app, announcement_id, code)
        raise
    finally:
        making.release(settled=True)
    first = spoken[0].clip
    return Announced(announcement_id, code, code, at, airings, tuple(codes), number,
                     first.engine, first.fallback, max(b.duration for b in built.values())
                     // timedelta(milliseconds=1), request.priority)


def _hold(app: Parts, announcement_id: int) -> recovery.MakingLock:
    """The lock on a new announcement (nobody else can know its id yet)."""
    making = recovery.lock_for(app, announcement_id)
    if not making.acquire(wait_s=10):
        raise BroadcasterError(f"the lock on the new announcement {announcement_id} is held "
                               "by another process; nothing was made")
    return making


def _made_before(app: Parts, request: AnnouncementRequest, target: str) -> Announced | None:
    """The announcement already made under the request's key, if any (settling first one
    that a dead maker left half-made)."""
    if request.request_key is None:
        return None
    settled = recovery.settle(app, request.request_key, MAKING_WAIT_S)
    if settled is None or settled.outcome not in ("published", "completed"):
        return None
    with app.sessions() as session:
        row = session.get(Announcement, settled.id)
        fallback = session.scalar(select(Clip.fallback).where(
            Clip.sha256 == row.clip_sha256).limit(1)) if row is not None else None
    if row is None or row.publication is None:
        return None
    if (row.text, row.target) != (request.text, target):
        raise InputError(f"request key {request.request_key!r} belongs to announcement "
                         f"{row.id}, made with another text or target; nothing was made")
    try:
        codes = _targets(app, row.target)[1]
    except BroadcasterError:  # its target is gone since
        codes = []
    return Announced(row.id, row.programme, row.entry_code, row.starts_at, row.repeat,
                     tuple(codes), row.publication, row.engine, bool(fallback),
                     _aired_ms(app, row.programme, row.publication, codes), row.priority,
                     existing=True)


def _aired_ms(app: Parts, programme: str, number: int, codes: list[str]) -> int:
    """How long an announcement plays, as publication ``number`` lists it (0 when that
    publication is gone)."""
    if not codes:
        return 0
    try:
        data = json.loads(station_file(root(app), codes[0], "playlist.json", number)
                          .read_bytes())
    except (OSError, ValueError, NotFound):
        return 0
    return max((int(item["media"]["duration_ms"]) for item in data.get("items", [])
                if str(item.get("id", "")).startswith(f"{programme}@")), default=0)


def _schedule(app: PlanningParts, request: AnnouncementRequest, announcement_id: int, target: str,
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
                          on_collision=CollisionPolicy.AFTER if request.priority == Priority.NORMAL
                          else CollisionPolicy.PREEMPT,
                          created_at=now, updated_at=now))
        made.programme, made.entry_code = code, code
    crash_point("announce:entry")
    number = _publish(app, codes, now, recovery.publication_note(announcement_id))
    crash_point("announce:published")
    with transaction(app.sessions) as session:
        stored = session.get(Announcement, announcement_id)
        assert stored is not None
        stored.publication = number
    return at, number, built


def _withdraw(app: Parts, announcement_id: int, code: str) -> None:
    with transaction(app.sessions) as session:
        session.execute(delete(Entry).where(Entry.code == code,
                                            Entry.origin == Origin.ANNOUNCE.value))
        session.execute(delete(Programme).where(Programme.code == code,
                                                Programme.origin == Origin.ANNOUNCE.value))
        session.execute(delete(Announcement).where(Announcement.id == announcement_id))


def _next_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1 if moment.microsecond else 0)


def _publish(app: PlanningParts, codes: list[str], now: datetime, note: str) -> int:
    window = timedelta(hours=app.config.publish_window_hours)
    number, _ = publish(app, start=now, window=window, note=note, now=now, codes=codes)
    return number


def cancel(app: PlanningParts, announcement_id: int, now: datetime | None = None) -> int:
    """Withdraw an announcement: remove its entry and publish; the new publication number."""
    now = now or utcnow()
    with transaction(app.sessions) as session:
        row = session.get(Announcement, announcement_id)
        if row is None:
            raise NotFound(f"no announcement number {announcement_id}")
        if row.publication is None and row.cancelled_at is None:
            raise InputError(f"announcement {announcement_id} is not published yet: it is "
                             "being made, or a crash left it half-made (the next start of "
                             "`broadcaster serve` withdraws it)")
        if row.publication is None:
            raise InputError(recovery.withdrawn_note(row))
        if row.cancelled_at is not None and session.scalar(select(Publication.id).where(
                Publication.note == _cancel_note(announcement_id)).limit(1)) is not None:
            raise InputError(f"announcement {announcement_id} was already cancelled at "
                             f"{row.cancelled_at.astimezone(LOCAL):%Y-%m-%d %H:%M}")
        # Cancelled but not published since: a crash stopped that cancel midway; finish it.
        row.cancelled_at = row.cancelled_at or now
        entry = session.scalar(select(Entry).where(Entry.code == row.entry_code))
        if entry is not None:
            session.delete(entry)
        target = row.target
    _, codes = _targets(app, target)
    return _publish(app, codes, now, _cancel_note(announcement_id))


def _cancel_note(announcement_id: int) -> str:
    return f"cancel announcement {announcement_id}"
