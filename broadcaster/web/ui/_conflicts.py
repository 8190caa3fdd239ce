"""Schedule conflicts as the real resolver sees them, for the calendar page.

:func:`plan_week` plans the selected station, or each station of the selected group (at most
:data:`MAX_STATIONS`), for the week with :class:`broadcaster.schedule.plan.Planner`, the code
that publishing runs; :func:`summarise` (pure) turns the resolutions into marks on the
calendar's airings (pre-empted, delayed, dropped) and a list of conflicts by day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from broadcaster.app import App
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import ConflictKind
from broadcaster.errors import BroadcasterError
from broadcaster.schedule.catalogue import load_targets
from broadcaster.schedule.plan import Planner, StationPlan

MAX_STATIONS = 50
KIND_NAMES = shorts(ConflictKind)
SlotKey = tuple[str, datetime]   # (entry code, scheduled local wall-clock time)


@dataclass(frozen=True)
class ConflictRow:
    """One collision the resolver settled, at local time ``day`` ``at``, on ``stations``."""

    day: date
    at: time
    kind: str
    winner: str
    loser: str
    stations: tuple[str, ...]

    @property
    def text(self) -> str:
        """Vietnamese: what happened to which entry, and because of which."""
        return f"{self.loser} {KIND_NAMES.get(self.kind, self.kind)} vì {self.winner}"


@dataclass(frozen=True)
class WeekPlan:
    """The resolver's view of a week: marks per airing, conflicts, what was planned."""

    marks: dict[SlotKey, tuple[str, ...]] = field(default_factory=dict)
    conflicts: tuple[ConflictRow, ...] = ()
    stations: tuple[str, ...] = ()
    left_out: int = 0
    problem: str | None = None
    entries: frozenset[str] = frozenset()   # codes of the entries reaching those stations


def _clock(moment: datetime) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _where(stations: set[str]) -> str:
    names = sorted(stations)
    return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:3])} và " \
        f"{len(names) - 3} đài khác"


def summarise(plans: Sequence[StationPlan]) -> tuple[dict[SlotKey, tuple[str, ...]],
                                                     tuple[ConflictRow, ...]]:
    """Marks on each scheduled airing (entry, local time) that did not play whole and on
    time, and the resolver's conflicts merged across stations, by time."""
    marks: dict[SlotKey, dict[str, set[str]]] = {}
    rows: dict[tuple[datetime, str, str, str], set[str]] = {}
    for plan in plans:
        tz, code = ZoneInfo(plan.station.timezone), plan.station.code
        resolution = plan.resolution
        for item in resolution.items:
            scheduled = item.scheduled_start.astimezone(tz).replace(tzinfo=None)
            start = item.start.astimezone(tz)
            if item.part > 1:
                text = f"bị ngắt, phát tiếp lúc {_clock(start)}"
            elif item.start != item.scheduled_start:
                text = f"phát muộn, bắt đầu lúc {_clock(start)}"
            else:
                continue
            marks.setdefault((item.rule_id, scheduled), {}).setdefault(text, set()).add(code)
        for occ in resolution.dropped:
            scheduled = occ.start.astimezone(tz).replace(tzinfo=None)
            marks.setdefault((occ.rule.id, scheduled), {}).setdefault(
                "bị bỏ, không phát", set()).add(code)
        for c in resolution.conflicts:
            local = c.time.astimezone(tz).replace(tzinfo=None)
            rows.setdefault((local, c.resolution, c.winner, c.loser), set()).add(code)
    flat = {key: tuple(f"{text} ({_where(codes)})" for text, codes in sorted(texts.items()))
            for key, texts in marks.items()}
    conflicts = tuple(ConflictRow(t.date(), t.time(), kind, winner, loser, tuple(sorted(codes)))
                      for (t, kind, winner, loser), codes in sorted(rows.items()))
    return flat, conflicts


def plan_week(app: App, target: str, monday: date, tz: ZoneInfo) -> WeekPlan:
    """Plan the week from ``monday`` (local midnight in ``tz``) for the station ``target``,
    the stations in group ``target`` (and its subgroups), or every station when empty; at
    most :data:`MAX_STATIONS` stations, by code."""
    start = datetime.combine(monday, time(), tz)
    end = start + timedelta(days=7)
    planner = Planner(app)
    with app.sessions() as session:
        targets = load_targets(session)
    if target and any(t.code == target for t in targets):
        chosen = [t for t in targets if t.code == target]
    elif target:
        chosen = [t for t in targets
                  if any(g.code == target for g in planner.catalogue.chain(t.group_id))]
    else:
        chosen = targets
    chosen, left_out = chosen[:MAX_STATIONS], max(0, len(chosen) - MAX_STATIONS)
    codes = tuple(t.code for t in chosen)
    reaching = frozenset(e.code for t in chosen for e in planner.entries_for(t))
    try:
        plans = [planner.plan(t, start, end) for t in chosen]
    except BroadcasterError as exc:
        return WeekPlan(stations=codes, left_out=left_out, problem=str(exc), entries=reaching)
    marks, conflicts = summarise(plans)
    return WeekPlan(marks, conflicts, codes, left_out, entries=reaching)
