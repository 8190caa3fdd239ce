"""Schedules: the declarative schedule files, parsed and validated with exact locations.

``load_schedule`` reads ``schedules/*.yaml`` into a :class:`ScheduleSpec` (or raises a
:class:`ScheduleError` listing every problem with file, line and field); ``dump_schedule``
writes a spec back as YAML.
"""

from broadcaster.schedule.spec import (
    COLLISION_POLICIES,
    GROUP_KINDS,
    ITEM_KINDS,
    PRIORITIES,
    STATION_KINDS,
    Alias,
    CollisionPolicy,
    EntrySpec,
    GroupKind,
    GroupSpec,
    ItemKind,
    ItemSpec,
    Location,
    Priority,
    ProgrammeSpec,
    ProvinceSpec,
    Rules,
    ScheduleSpec,
    StationKind,
    StationSpec,
    format_duration,
    parse_duration,
)
from broadcaster.schedule.yamlfile import (
    Problem,
    ScheduleError,
    dump_schedule,
    load_schedule,
    validate,
)

__all__ = [
    "COLLISION_POLICIES",
    "GROUP_KINDS",
    "ITEM_KINDS",
    "PRIORITIES",
    "STATION_KINDS",
    "Alias",
    "CollisionPolicy",
    "EntrySpec",
    "GroupKind",
    "GroupSpec",
    "ItemKind",
    "ItemSpec",
    "Location",
    "Priority",
    "Problem",
    "ProgrammeSpec",
    "ProvinceSpec",
    "Rules",
    "ScheduleError",
    "ScheduleSpec",
    "StationKind",
    "StationSpec",
    "dump_schedule",
    "format_duration",
    "load_schedule",
    "parse_duration",
    "validate",
]
