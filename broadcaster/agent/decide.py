"""What to play now: a pure function of the playlist, the time and what the agent holds.

The server's playlist has already settled collisions (pre-empted programmes are cut into parts,
the rest resumes as a later part with ``offset_ms``), so the agent only follows the newest
playlist:

- The item that should play at ``now`` is one whose ``[start, end)`` holds ``now``, that has
  not been played or reported yet, and that can play (its media is verified in the cache, or it
  is a live relay). Should several overlap, the highest priority wins, then the latest start
  (the newest), then the id.
- A late start plays from the right second: ``offset_ms + (now - start)`` into the media.
  Less than :data:`MIN_PLAY` left of an item is not started.
- When the item that should play changes, the playing one stops: ``preempted`` (another item
  outranks it, it left the playlist, or a newer playlist cut it short) or ``played`` (it
  reached the end it had when it started).
- An item whose slot ended without it being played is reported once: ``failed`` when its media
  was missing or unverified, ``skipped`` otherwise (the agent was not running, or another item
  had the slot).
- No item: a gap, silent or filled by the fallback playlist until the next start.

:class:`Decision.wake_at` is the next moment the answer can change by itself (a start or an
end); the caller decides again then, or sooner when something else changes (a new playlist,
media ready, the player stopped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from broadcaster.agent.playlist import Item

MIN_PLAY = timedelta(milliseconds=500)
# An item that reaches this close to the end it had when it started counts as played whole.
END_TOLERANCE = timedelta(seconds=1)
_MS = timedelta(milliseconds=1)

StopOutcome = Literal["played", "preempted", "failed"]
MissOutcome = Literal["skipped", "failed"]


@dataclass(frozen=True)
class Playing:
    """What the player is doing, as far as decisions go."""

    item_id: str
    sha256: str
    planned_end: datetime       # the item's end when it started
    finished: bool = False      # the player stopped by itself
    error: str = ""             # why it stopped by itself, when it failed


@dataclass(frozen=True)
class View:
    """What the agent holds: the playback, verified media, items already reported."""

    playing: Playing | None
    ready: frozenset[str]
    done: frozenset[str]
    running_since: datetime


@dataclass(frozen=True)
class Cue:
    """Start ``item`` now, ``offset_ms`` into its media, until ``until``."""

    item: Item
    offset_ms: int
    until: datetime


@dataclass(frozen=True)
class Stop:
    """Stop the playing item and report it."""

    item_id: str
    outcome: StopOutcome
    detail: str = ""


@dataclass(frozen=True)
class Missed:
    """An item whose slot passed without it playing."""

    item: Item
    outcome: MissOutcome
    detail: str


@dataclass(frozen=True)
class Decision:
    """What to do now; see the module docstring."""

    play: Cue | None = None
    keep: bool = False
    stop: Stop | None = None
    missed: tuple[Missed, ...] = ()
    wake_at: datetime | None = None
    gap_until: datetime | None = None

    @property
    def gap(self) -> bool:
        """Nothing scheduled plays after this decision."""
        return self.play is None and not self.keep


def offset_at(item: Item, now: datetime) -> int:
    """Milliseconds into the media where ``item`` is at ``now`` (its own offset when early)."""
    return item.offset_ms + max(0, (now - item.start) // _MS)


def _order(item: Item) -> tuple[int, float, str]:
    return (-item.rank, -item.start.timestamp(), item.id)


def _playable(item: Item, now: datetime, view: View) -> bool:
    playing = view.playing
    if playing is not None and playing.item_id == item.id and \
            playing.sha256 == item.media.sha256:
        return not playing.finished
    if item.end - now < MIN_PLAY:
        return False
    return bool(item.relay_url) or item.media.sha256 in view.ready


def _stop(playing: Playing, want: Item | None, items: dict[str, Item], now: datetime) -> Stop:
    if playing.finished:
        return Stop(playing.item_id, "failed" if playing.error else "played", playing.error)
    item = items.get(playing.item_id)
    if item is None:
        return Stop(playing.item_id, "preempted", "it left the playlist")
    if item.media.sha256 != playing.sha256:
        return Stop(playing.item_id, "preempted", "the playlist changed its media")
    if item.end <= now:
        if item.end >= playing.planned_end - END_TOLERANCE:
            return Stop(playing.item_id, "played")
        return Stop(playing.item_id, "preempted", "a newer playlist ended it early")
    return Stop(playing.item_id, "preempted",
                f"pre-empted by {want.id} ({want.priority})" if want else "")


def _missed(item: Item, view: View) -> Missed:
    if item.end <= view.running_since:
        return Missed(item, "skipped", "the agent was not running during its slot")
    if item.relay_url or item.media.sha256 in view.ready:
        return Missed(item, "skipped", "it did not get its slot (the playlist came late or "
                                       "another item had the slot)")
    return Missed(item, "failed", f"its media {item.media.name} was missing or unverified "
                                  f"at its time")


def decide(items: Sequence[Item], now: datetime, view: View) -> Decision:
    """What to play at ``now``, what to stop, what to report as missed (pure)."""
    by_id = {i.id: i for i in items}
    playing = view.playing
    live = [i for i in items if i.start <= now < i.end and i.id not in view.done]
    want = min((i for i in live if _playable(i, now, view)), key=_order, default=None)

    stop: Stop | None = None
    keep = False
    if playing is not None:
        keep = (want is not None and want.id == playing.item_id
                and want.media.sha256 == playing.sha256 and not playing.finished)
        if not keep:
            stop = _stop(playing, want, by_id, now)
            if want is not None and want.id == playing.item_id and playing.finished:
                want = None  # never restart an item that stopped by itself
    play = None if keep or want is None else Cue(want, offset_at(want, now), want.end)

    stopped = playing.item_id if playing is not None else None
    missed = tuple(_missed(i, view) for i in items
                   if i.end <= now and i.id not in view.done and i.id != stopped)

    upcoming = [i.start for i in items if i.start > now and i.id not in view.done]
    ends = [i.end for i in live]
    wake_at = min([*upcoming, *ends], default=None)
    gap_until = None if (keep or play) else min(upcoming, default=None)
    return Decision(play, keep, stop, missed, wake_at, gap_until)
