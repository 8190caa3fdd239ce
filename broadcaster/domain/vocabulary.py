"""The words of the domain, one enum each (standard library only: the agent imports it too).

Every enum is a :class:`~enum.StrEnum` whose values are the strings the files, the database,
the command line and the station protocol have always used, so ``Priority.NORMAL == "normal"``
and a member serialises to JSON as its value. PyYAML's ``safe_dump`` refuses ``str``
subclasses: the YAML writer passes ``str(member)``. Their Vietnamese names are in
:mod:`broadcaster.domain.labels`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "CHANNEL_KINDS",
    "COLLISION_POLICIES",
    "GROUP_KINDS",
    "ITEM_KINDS",
    "PRIORITIES",
    "PRIORITY_RANK",
    "ROLES",
    "STATION_KINDS",
    "CollisionPolicy",
    "ConflictKind",
    "GroupKind",
    "ItemKind",
    "Origin",
    "Priority",
    "Role",
    "StationKind",
    "StationState",
]


class Priority(StrEnum):
    """How urgent an entry or announcement is, lowest first (the order is the rank)."""

    NORMAL = "normal"
    HIGH = "high"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        """0 normal, 1 high, 2 emergency."""
        return PRIORITY_RANK[self]


class CollisionPolicy(StrEnum):
    """What an entry does when it would start while another is playing."""

    PREEMPT = "preempt"
    AFTER = "after"
    DROP = "drop"


class ItemKind(StrEnum):
    """What one item of a programme plays."""

    JINGLE = "jingle"
    IDENT = "ident"
    DOCUMENT = "document"
    TEXT = "text"
    FILE = "file"
    SILENCE = "silence"
    RELAY = "relay"


class StationKind(StrEnum):
    """A place that plays: a commune loudspeaker system, a radio or a TV channel."""

    LOUDSPEAKER = "loudspeaker"
    RADIO = "radio"
    TV = "tv"


class GroupKind(StrEnum):
    """What a group of stations stands for."""

    PROVINCE = "province"
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL = "special"
    CLUSTER = "cluster"
    AREA = "area"


class Origin(StrEnum):
    """Where a group, station, programme or entry was made, so each maker changes only its own.

    ``schedule apply`` reconciles the rows the schedule files own (``file``) and never touches
    what an operator made in the web UI, with ``schedule add`` or ``announce``.
    """

    FILE = "file"
    CLI = "cli"
    UI = "ui"
    ANNOUNCE = "announce"


class Role(StrEnum):
    """What a user of the web UI may do."""

    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class StationState(StrEnum):
    """Whether a station reports in (the heartbeat), as the coverage report and the UI say."""

    ONLINE = "online"
    OFFLINE = "offline"
    NEVER = "never"


class ConflictKind(StrEnum):
    """What a collision did to the entry that gave way."""

    PREEMPTED = "preempted"
    RESUMED = "resumed"
    DELAYED = "delayed"
    DROPPED = "dropped"


PRIORITIES: tuple[Priority, ...] = tuple(Priority)          # lowest first
# A priority's rank, 0 normal ... 2 emergency; a plain string finds its member's rank too.
PRIORITY_RANK: dict[str, int] = {p: rank for rank, p in enumerate(PRIORITIES)}
COLLISION_POLICIES: tuple[CollisionPolicy, ...] = tuple(CollisionPolicy)
ITEM_KINDS: tuple[ItemKind, ...] = tuple(ItemKind)
STATION_KINDS: tuple[StationKind, ...] = tuple(StationKind)
GROUP_KINDS: tuple[GroupKind, ...] = tuple(GroupKind)
ROLES: tuple[Role, ...] = tuple(Role)
# Stations that play a continuous channel (published as XMLTV and iCalendar too).
CHANNEL_KINDS: tuple[StationKind, ...] = (StationKind.RADIO, StationKind.TV)
