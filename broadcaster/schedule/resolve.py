"""What each station plays, and when: expand entries, settle collisions, check broadcast rules.

Pure functions, no database. Instants are aware UTC datetimes; wall-clock times (``start_time``,
``start_at``, validity and exception dates, allowed hours) are in the station's zone.

**Recurrence** (:func:`expand`). An entry's RRULE (RFC 5545, python-dateutil) is expanded in local
wall-clock time, then each start is converted to UTC, so "daily at 06:00" stays 06:00 local across
a DST change. The rule counts from ``valid_from`` (its DTSTART), else from ``start_at``'s date,
else from Monday 2001-01-01: that first day matters only for ``COUNT``, ``INTERVAL`` and rules
without a ``BY...`` day (``FREQ=WEEKLY`` alone repeats on that weekday). ``UNTIL`` is read as local
wall-clock time (a UTC ``...Z`` value is converted). Validity (both ends inclusive) and exception
dates are local dates of the start. A local time that does not exist (skipped by a DST change)
plays at the same offset as before the change (02:30 becomes 03:30); one that exists twice plays
at the first. Expansion is capped (:mod:`broadcaster.schedule.bounds`): a rule that gives
more than ``MAX_PER_DAY`` airings a day over the window, or walks more than ``MAX_SCAN``
occurrences before it, is an :class:`InputError` naming the entry, whoever wrote it.

**Collisions** (:func:`resolve`). One channel plays one thing at a time. Priorities rank
``emergency > high > normal``. An entry's ``policy`` says what *it* does when it would start while
another item plays:

- ``preempt``: if it outranks the item playing, it interrupts it; the interrupted item is cut
  and its rest resumes as soon as the channel is free again (part 2, 3, ... with the offset into
  the programme; pre-emption may cascade). Against an equal or higher item it waits, like
  ``after``: equal priority never interrupts.
- ``after`` (the default): it waits until the channel is free and then plays whole, even when it
  outranks the item playing (a high-priority bulletin goes in right after the current item).
- ``drop``: if it cannot start at its exact time it does not play; the occurrence is recorded in
  ``dropped``. Once it has started it is treated like any other item (if cut, its rest resumes).
- ``emergency`` always plays at its exact time, whatever its policy: it interrupts anything,
  including an earlier emergency still playing (the newest alert goes first, the earlier one
  resumes after it). Emergencies due at the same instant play one after another, in id order.

When the channel becomes free, the waiting items go in the order: higher priority first, then
the earliest scheduled start (so an interrupted item resumes before those that queued behind
it), then id. An item due at that instant waits behind an earlier waiting item of the same
priority. Nothing limits how late a waiting item may start: it is not dropped or flagged when it
is pushed past its slot or into the next day (:func:`check_limits` still sees where it lands).
Each interruption, delay and drop is recorded as a :class:`Conflict` with a sentence for
operators; ``resumed`` is never produced (a pre-emption's note says when the rest resumes).

Broadcast rules are checked on the resolved items by :mod:`broadcaster.schedule.limits`.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr

from broadcaster.domain.vocabulary import (
    COLLISION_POLICIES,
    PRIORITIES,
    PRIORITY_RANK,
    CollisionPolicy,
    Priority,
)
from broadcaster.errors import InputError
from broadcaster.schedule.bounds import MAX_PER_DAY, MAX_SCAN

__all__ = [
    "POLICIES",
    "PRIORITIES",
    "Conflict",
    "Item",
    "Occurrence",
    "Policy",
    "Priority",
    "Resolution",
    "Rule",
    "dtstart",
    "expand",
    "resolve",
]

Policy = CollisionPolicy
POLICIES = COLLISION_POLICIES
ANCHOR = date(2001, 1, 1)  # a Monday, the first day of a month and of a year
ZERO = timedelta(0)


@dataclass(frozen=True)
class Rule:
    """One scheduling entry, already resolved to a target."""

    id: str
    programme: str
    duration: timedelta
    priority: Priority = Priority.NORMAL
    policy: Policy = CollisionPolicy.AFTER
    start_time: time | None = None
    start_at: datetime | None = None
    rrule: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    exdates: tuple[date, ...] = ()
    slot: timedelta | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise InputError(f"entry {self.id!r}: priority {self.priority!r} is not one of "
                             f"{', '.join(PRIORITIES)}")
        if self.policy not in POLICIES:
            raise InputError(f"entry {self.id!r}: collision policy {self.policy!r} is not one "
                             f"of {', '.join(POLICIES)}")
        if self.duration <= ZERO:
            raise InputError(f"entry {self.id!r}: the programme {self.programme!r} has no length")
        if self.rrule is None and self.start_at is None:
            raise InputError(f"entry {self.id!r}: a one-off entry needs a local date and time")
        if self.rrule is not None and self.start_time is None and self.start_at is None:
            raise InputError(f"entry {self.id!r}: a repeating entry needs a start time")


@dataclass(frozen=True)
class Occurrence:
    """One time an entry is due; ``tz`` is the station's zone, used to word conflicts."""

    rule: Rule
    start: datetime
    tz: ZoneInfo | None = field(default=None, compare=False, repr=False)

    @property
    def end(self) -> datetime:
        return self.start + self.rule.duration


@dataclass(frozen=True)
class Item:
    """One thing that actually plays: a whole occurrence or one part of a pre-empted one."""

    rule_id: str
    programme: str
    start: datetime
    end: datetime
    offset: timedelta
    priority: Priority
    scheduled_start: datetime
    part: int = 1
    over_slot: bool = False


@dataclass(frozen=True)
class Conflict:
    """A collision and how it was settled."""

    time: datetime
    winner: str
    loser: str
    resolution: Literal["preempted", "resumed", "delayed", "dropped"]
    note: str


@dataclass(frozen=True)
class Resolution:
    """What plays (sorted, never overlapping), every conflict, and what does not play."""

    items: tuple[Item, ...]
    conflicts: tuple[Conflict, ...]
    dropped: tuple[Occurrence, ...]


# -- recurrence ------------------------------------------------------------------------------

def dtstart(rule: Rule) -> datetime:
    """The naive local DTSTART the rule's recurrence counts from (see the module notes)."""
    clock = rule.start_time or (rule.start_at.time() if rule.start_at else time())
    day = rule.valid_from or (rule.start_at.date() if rule.start_at else ANCHOR)
    return datetime.combine(day, clock.replace(tzinfo=None))


def expand(rules: Sequence[Rule], tz: ZoneInfo, window_start: datetime,
           window_end: datetime) -> list[Occurrence]:
    """Every occurrence whose [start, end) overlaps the window, by (start, priority desc, id)."""
    lo, hi = _utc(window_start, "window_start"), _utc(window_end, "window_end")
    out = []
    for rule in rules:
        for local in _local_starts(rule, tz, lo - rule.duration, hi):
            start = local.replace(tzinfo=tz).astimezone(UTC)
            if start < hi and start + rule.duration > lo and _valid(rule, local.date()):
                out.append(Occurrence(rule, start, tz))
    return sorted(out, key=_order)


def _order(occ: Occurrence) -> tuple[datetime, int, str]:
    return occ.start, -PRIORITY_RANK[occ.rule.priority], occ.rule.id


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _valid(rule: Rule, day: date) -> bool:
    return ((rule.valid_from is None or day >= rule.valid_from)
            and (rule.valid_until is None or day <= rule.valid_until)
            and day not in rule.exdates)


def _local_starts(rule: Rule, tz: ZoneInfo, lo: datetime, hi: datetime, *,
                  shift: bool = True) -> list[datetime]:
    """Naive local starts of ``rule`` roughly within [lo, hi] (UTC; a day's margin each side).

    With ``shift``, the rule's DTSTART is moved forward by whole periods to just before the
    window, so a rule counting from 2001 costs no more than one counting from last week.
    """
    if rule.rrule is None:
        assert rule.start_at is not None  # checked by Rule
        start_at = rule.start_at
        if start_at.tzinfo is not None:
            start_at = start_at.astimezone(tz).replace(tzinfo=None)
        return [start_at]
    # Whole local days, so that the same entry on many stations shares one cached expansion.
    first = datetime.combine(_naive(lo, tz).date() - timedelta(days=1), time())
    last = datetime.combine(_naive(hi, tz).date() + timedelta(days=2), time())
    return list(_recurrence(rule.id, rule.rrule, tz, dtstart(rule), first, last, shift))


@lru_cache(maxsize=4096)
def _recurrence(rule_id: str, text: str, tz: ZoneInfo, anchor: datetime, first: datetime,
                last: datetime, shift: bool) -> tuple[datetime, ...]:
    parts = _rule_parts(rule_id, text, tz)
    if shift:
        parts, anchor = _shifted(parts, anchor, first)
    try:
        recurrence = rrulestr(";".join(f"{k}={v}" for k, v in parts.items()), dtstart=anchor)
    except (ValueError, TypeError) as err:
        raise InputError(f"entry {rule_id!r}: {text!r} is not a valid RRULE: {err}") from None
    days = (last - first).days
    cap = MAX_PER_DAY * (days + 1)  # [first, last] holds the first instant of day days + 1
    out: list[datetime] = []
    for seen, moment in enumerate(recurrence):  # lazily: never more than the caps
        if moment > last:
            break
        if moment >= first:
            out.append(moment)
        if len(out) > cap:
            raise InputError(f"entry {rule_id!r}: the rule {text!r} gives more than {cap:,} "
                             f"airings from {first:%Y-%m-%d} to {last:%Y-%m-%d}, more than the "
                             f"{MAX_PER_DAY} a day a station can broadcast; change the rule or "
                             "remove the entry")
        if seen >= MAX_SCAN + cap:
            raise InputError(f"entry {rule_id!r}: the rule {text!r} counts more than "
                             f"{MAX_SCAN:,} airings before {first:%Y-%m-%d}; change the rule "
                             "or remove the entry")
    return tuple(out)


def _naive(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _rule_parts(rule_id: str, rrule: str, tz: ZoneInfo) -> dict[str, str]:
    """The RRULE as ordered ``{NAME: value}``; a UTC ``UNTIL`` becomes local wall-clock time."""
    text = rrule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:"):]
    parts: dict[str, str] = {}
    for chunk in filter(None, text.split(";")):
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not name.isalpha() or name in parts:
            raise InputError(f"entry {rule_id!r}: {rrule!r} is not a valid RRULE: "
                             f"{chunk!r} is not one NAME=value part")
        parts[name] = value.strip()
    if "FREQ" not in parts:
        raise InputError(f"entry {rule_id!r}: {rrule!r} is not a valid RRULE: no FREQ")
    until = parts.get("UNTIL", "")
    if until.upper().endswith("Z"):
        try:
            moment = datetime.strptime(until[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"entry {rule_id!r}: {rrule!r} is not a valid RRULE: "
                             f"UNTIL {until!r} is not a date and time") from None
        parts["UNTIL"] = f"{_naive(moment, tz):%Y%m%dT%H%M%S}"
    return parts


_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_PERIOD = {"YEARLY": relativedelta(years=1), "MONTHLY": relativedelta(months=1),
           "WEEKLY": timedelta(weeks=1), "DAILY": timedelta(days=1),
           "HOURLY": timedelta(hours=1), "MINUTELY": timedelta(minutes=1),
           "SECONDLY": timedelta(seconds=1)}


def _shifted(parts: dict[str, str], anchor: datetime,
             first: datetime) -> tuple[dict[str, str], datetime]:
    """Move DTSTART forward by whole periods (never past ``first``); the result is unchanged.

    The days dateutil would take from DTSTART (weekday, day of month, month) are written into
    the rule first. A rule with ``COUNT`` counts from its real start and is left alone.
    """
    freq = parts["FREQ"].upper()
    if "COUNT" in parts or "BYEASTER" in parts or freq not in _PERIOD or first <= anchor:
        return parts, anchor
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        return parts, anchor  # dateutil reports it
    if interval < 1:
        return parts, anchor
    parts = dict(parts)
    if not {"BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY"} & parts.keys():
        if freq == "YEARLY":
            parts.setdefault("BYMONTH", str(anchor.month))
            parts["BYMONTHDAY"] = str(anchor.day)
        elif freq == "MONTHLY":
            parts["BYMONTHDAY"] = str(anchor.day)
        elif freq == "WEEKLY":
            parts["BYDAY"] = _DAY_CODES[anchor.weekday()]
    period = _PERIOD[freq]
    if isinstance(period, relativedelta):
        months = (period.years * 12 + period.months) * interval
        elapsed = (first.year - anchor.year) * 12 + first.month - anchor.month
        steps = elapsed // months - 1
        return parts, (anchor + relativedelta(months=steps * months) if steps > 0 else anchor)
    steps = (first - anchor) // (period * interval) - 1
    return parts, (anchor + steps * period * interval if steps > 0 else anchor)


# -- collisions ------------------------------------------------------------------------------

@dataclass
class _Job:
    """An occurrence on its way to the air: how much of it has played, which part comes next."""

    seq: int
    occ: Occurrence
    played: timedelta = ZERO
    part: int = 1

    @property
    def rank(self) -> int:
        return PRIORITY_RANK[self.occ.rule.priority]

    @property
    def remaining(self) -> timedelta:
        return self.occ.rule.duration - self.played

    def __lt__(self, other: _Job) -> bool:  # the waiting order
        return ((-self.rank, self.occ.start, self.occ.rule.id, self.seq)
                < (-other.rank, other.occ.start, other.occ.rule.id, other.seq))


def _interrupts(new: _Job, playing: _Job) -> bool:
    if new.occ.rule.priority == Priority.EMERGENCY:
        return True
    return new.rank > playing.rank and new.occ.rule.policy == CollisionPolicy.PREEMPT


def resolve(occurrences: Sequence[Occurrence]) -> Resolution:
    """Settle collisions on one channel (see the module notes for the rules)."""
    jobs = [_Job(seq, occ) for seq, occ in enumerate(sorted(occurrences, key=_order))]
    played: dict[tuple[int, int], Item] = {}
    waiting: list[_Job] = []
    events: list[tuple[str, datetime, _Job, _Job, int]] = []  # kind, time, winner, loser, part
    playing: _Job | None = None
    since = datetime.min.replace(tzinfo=UTC)

    def air(job: _Job, end: datetime) -> None:
        rule = job.occ.rule
        played[job.seq, job.part] = Item(
            rule.id, rule.programme, since, end, job.played, rule.priority, job.occ.start,
            job.part, rule.slot is not None and rule.duration > rule.slot)
        job.played += end - since
        job.part += 1

    i = 0
    while i < len(jobs) or playing is not None:
        instants = [jobs[i].occ.start] if i < len(jobs) else []
        if playing is not None:
            instants.append(since + playing.remaining)
        t = min(instants)
        if playing is not None and since + playing.remaining <= t:
            air(playing, t)
            playing = None
        due = []
        while i < len(jobs) and jobs[i].occ.start == t:
            due.append(jobs[i])
            i += 1
        winner: _Job | None = None
        if playing is not None:
            winner = next((job for job in due if _interrupts(job, playing)), None)
            if winner is not None:
                air(playing, t)
                events.append(("preempted", t, winner, playing, playing.part))
                heapq.heappush(waiting, playing)
                playing = None
        if playing is None:
            if winner is None and due and due[0].occ.rule.priority == Priority.EMERGENCY:
                winner = due[0]
            elif winner is None:
                best = min(due) if due else None
                winner = heapq.heappop(waiting) if waiting and (best is None or waiting[0] < best) \
                    else best
            if winner is None:
                continue
            playing, since = winner, t
        for job in due:
            if job is playing:
                continue
            if job.occ.rule.policy == CollisionPolicy.DROP \
                    and job.occ.rule.priority != Priority.EMERGENCY:
                events.append(("dropped", t, playing, job, 1))
            else:
                events.append(("delayed", t, playing, job, 1))
                heapq.heappush(waiting, job)
    conflicts = [_conflict(kind, t, w, lo, part, played) for kind, t, w, lo, part in events]
    conflicts.sort(key=lambda c: c.time)
    dropped = tuple(lo.occ for kind, _, _, lo, _ in events if kind == "dropped")
    items = sorted(played.values(), key=lambda item: item.start)
    return Resolution(tuple(items), tuple(conflicts), dropped)


def _label(job: _Job) -> str:
    priority = job.occ.rule.priority
    prefix = {Priority.EMERGENCY: "emergency ", Priority.HIGH: "high-priority "}.get(priority, "")
    return f"{prefix}{job.occ.rule.id!r}"


def _clock(moment: datetime, tz: ZoneInfo | None) -> str:
    local = moment.astimezone(tz or UTC)
    return f"{local:%H:%M:%S}" if local.second else f"{local:%H:%M}"


def _length(span: timedelta) -> str:
    seconds = round(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def _conflict(kind: str, t: datetime, winner: _Job, loser: _Job, part: int,
              played: dict[tuple[int, int], Item]) -> Conflict:
    tz = loser.occ.tz or winner.occ.tz
    won, lost, at = _label(winner), _label(loser), _clock(t, tz)
    if kind == "preempted":
        rest = played[loser.seq, part]
        note = (f"{won} pre-empted {lost} at {at}; it resumes at {_clock(rest.start, tz)} "
                f"from {_length(rest.offset)}")
        return Conflict(t, winner.occ.rule.id, loser.occ.rule.id, "preempted", note)
    if kind == "delayed":
        start = played[loser.seq, 1].start
        note = (f"{lost} could not start at {at} because {won} plays then; it starts at "
                f"{_clock(start, tz)} instead, {_minutes(start - t)} min late")
        return Conflict(t, winner.occ.rule.id, loser.occ.rule.id, "delayed", note)
    note = f"{lost} was dropped: it could not start at {at} because {won} plays then"
    return Conflict(t, winner.occ.rule.id, loser.occ.rule.id, "dropped", note)

def _minutes(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    return f"{minutes:.0f}" if minutes == int(minutes) else f"{minutes:.1f}"
