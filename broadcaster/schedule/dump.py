"""Writing a schedule back as YAML (``schedule export``): the format ``load_schedule`` reads,
in the key order of docs/schedules.md, Vietnamese kept readable."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Any

import yaml

from broadcaster.schedule.spec import (
    DEFAULT_FADE_MS,
    DEFAULT_GAP_MS,
    DEFAULT_TIMEZONE,
    Alias,
    EntrySpec,
    GroupSpec,
    ItemSpec,
    ProgrammeSpec,
    ScheduleSpec,
    StationSpec,
    format_duration,
)

__all__ = ["dump_schedule"]


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{code: BS, name: ...}``."""


class _FlowList(list[Any]):
    """A list written on one line: ``[2025-09-02]``."""


class _Quoted(str):
    """Text written in double quotes (times, so no reader takes 17:30 for a number)."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # indent lists under their key


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping(
    "tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence(
    "tag:yaml.org,2002:seq", v, flow_style=True))
# safe_dump refuses str subclasses: the vocabulary's enums are written as their plain value.
_Dumper.add_multi_representer(StrEnum, lambda d, v: d.represent_str(str(v)))
_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar(
    "tag:yaml.org,2002:str", str(v), style='"'))


def _aliases_data(aliases: tuple[Alias, ...]) -> list[_Flow]:
    return [_Flow(code=a.code, **({"name": a.name} if a.name else {})) for a in aliases]


def _group_data(group: GroupSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"code": group.code, "name": group.name, "kind": group.kind}
    if group.parent:
        data["parent"] = group.parent
    if group.aliases:
        data["aliases"] = _aliases_data(group.aliases)
    if group.rules is not None:
        rules = _Flow()
        if group.rules.hours:
            start, end = group.rules.hours
            rules["hours"] = _Quoted(f"{start:%H:%M}-{end:%H:%M}")
        for key in ("max_session_minutes", "max_sessions_per_day"):
            if (value := getattr(group.rules, key)) is not None:
                rules[key] = value
        data["rules"] = rules
    return data


def _station_data(station: StationSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"code": station.code, "name": station.name, "kind": station.kind}
    if station.group:
        data["group"] = station.group
    data["profile"] = station.profile
    if station.timezone != DEFAULT_TIMEZONE:
        data["timezone"] = station.timezone
    if station.aliases:
        data["aliases"] = _aliases_data(station.aliases)
    return data


def _item_data(item: ItemSpec) -> dict[str, Any]:
    if item.kind == "silence":
        return {"silence": format_duration(item.duration or timedelta(0))}
    if item.kind == "relay":
        relay = _Flow(url=item.value, duration=format_duration(item.duration or timedelta(0)))
        if item.fallback:
            relay["fallback"] = item.fallback
        return {"relay": relay}
    return {item.kind: item.value}


def _programme_data(programme: ProgrammeSpec) -> dict[str, Any]:
    data: dict[str, Any] = {"code": programme.code, "title": programme.title}
    if programme.gap_ms != DEFAULT_GAP_MS:
        data["gap_ms"] = programme.gap_ms
    if programme.fade_ms != DEFAULT_FADE_MS:
        data["fade_ms"] = programme.fade_ms
    data["items"] = [_item_data(i) for i in programme.items]
    return data


def _entry_data(entry: EntrySpec) -> dict[str, Any]:
    data: dict[str, Any] = {"id": entry.id}
    if entry.programme:
        data["programme"] = entry.programme
    if entry.clip:
        data["clip"] = entry.clip
    data["target"] = entry.target
    if entry.start_at is not None:
        data["start"] = _Quoted(entry.start_at.isoformat(timespec="minutes" if not
                                                          entry.start_at.second else "seconds"))
    elif entry.start_time is not None:
        data["start"] = _Quoted(f"{entry.start_time:%H:%M}")
    if entry.rrule:
        data["rrule"] = entry.rrule
    if entry.valid_from or entry.valid_until:
        data["valid"] = _Flow({k: v for k, v in (("from", entry.valid_from),
                                                 ("until", entry.valid_until)) if v})
    if entry.exdates:
        data["except"] = _FlowList(entry.exdates)
    data["priority"] = entry.priority
    data["on_collision"] = entry.on_collision
    if entry.slot_minutes is not None:
        data["slot_minutes"] = entry.slot_minutes
    return data


def dump_schedule(spec: ScheduleSpec) -> str:
    """YAML text that :func:`load_schedule` reads back to an equal spec (Vietnamese kept as is)."""
    doc: dict[str, Any] = {}
    if spec.province:
        doc["province"] = _Flow(code=spec.province.code, name=spec.province.name)
    sections = {"groups": [_group_data(g) for g in spec.groups],
                "stations": [_station_data(s) for s in spec.stations],
                "programmes": [_programme_data(p) for p in spec.programmes],
                "entries": [_entry_data(e) for e in spec.entries]}
    doc.update({key: value for key, value in sections.items() if value})
    return yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=100)
