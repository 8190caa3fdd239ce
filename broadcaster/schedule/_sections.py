"""Reading the sections of one schedule file (province, groups, stations, programmes, entries).

Each section is read into its spec object and checked on its own: keys, value formats, RRULEs,
ident templates. Checks that need every file (duplicate codes, references, the group tree) are
in :mod:`broadcaster.schedule._checks`.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

from dateutil.rrule import rrule, rrulestr
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from broadcaster.codes import DOCUMENT_KEY, ENTRY_ID
from broadcaster.domain.rules import RULE_KEYS, parse_hours
from broadcaster.domain.vocabulary import (
    CollisionPolicy,
    GroupKind,
    Priority,
    StationKind,
)
from broadcaster.errors import InputError
from broadcaster.schedule._nodes import NodeReader, kind_of
from broadcaster.schedule.bounds import rule_problem
from broadcaster.schedule.spec import (
    COLLISION_POLICIES,
    DEFAULT_FADE_MS,
    DEFAULT_GAP_MS,
    DEFAULT_TIMEZONE,
    GROUP_KINDS,
    ITEM_KINDS,
    PRIORITIES,
    STATION_KINDS,
    Alias,
    EntrySpec,
    GroupSpec,
    ItemSpec,
    Location,
    ProgrammeSpec,
    ProvinceSpec,
    Rules,
    StationSpec,
)
from broadcaster.stations import check_timezone

SECTIONS = ("province", "groups", "stations", "programmes", "entries")
PROVINCE_KEYS = ("code", "name")
ALIAS_KEYS = ("code", "name")
GROUP_KEYS = ("code", "name", "kind", "parent", "aliases", "rules")
STATION_KEYS = ("code", "name", "kind", "group", "profile", "timezone", "aliases")
PROGRAMME_KEYS = ("code", "title", "gap_ms", "fade_ms", "items")
RELAY_KEYS = ("url", "duration", "fallback")
ENTRY_KEYS = ("id", "programme", "clip", "target", "start", "rrule", "valid", "except",
              "priority", "on_collision", "slot_minutes")
VALID_KEYS = ("from", "until")
RELAY_SCHEMES = ("http", "https", "rtsp", "rtmp")

ID_RE = ENTRY_ID.pattern
NAME_RE = re.compile(r"^\w[\w.-]*\Z")  # an asset name under audio/, a profile
PATH_RE = re.compile(r"^\w[\w .-]*(?:/\w[\w .-]*)*\Z")  # a relative file path, no '..'
# A relay's fallback: a recorded file, or a shipped jingle or tone (``jingle:ket-thuc``).
FALLBACK_RE = re.compile(PATH_RE.pattern + r"|^jingle:\w[\w.-]*\Z")
SHA256_RE = re.compile(r"^[0-9a-f]{64}\Z")
TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?")
IDENT_FIELDS = ("name", "code")
# A recurrence without valid.from is anchored here; only COUNT and INTERVAL depend on it.
ANCHOR_DAY = date(2025, 1, 1)

T = TypeVar("T")


@dataclass
class Read(Generic[T]):
    """A spec object as read, with the path and the value location of its fields."""

    spec: T
    path: str
    sites: dict[str, Location] = field(default_factory=dict)

    def site(self, name: str) -> tuple[Location, str]:
        return self.sites.get(name, cast(Any, self.spec).loc), f"{self.path}.{name}"


@dataclass
class File:
    """What one file held."""

    province: Read[ProvinceSpec] | None = None
    groups: list[Read[GroupSpec]] = field(default_factory=list)
    stations: list[Read[StationSpec]] = field(default_factory=list)
    programmes: list[Read[ProgrammeSpec]] = field(default_factory=list)
    entries: list[Read[EntrySpec]] = field(default_factory=list)


class SectionReader(NodeReader):
    """Reads and checks each section of one file, on top of :class:`NodeReader`."""

    def province(self, node: Node) -> Read[ProvinceSpec] | None:
        fields = self.mapping(node, "province", PROVINCE_KEYS, PROVINCE_KEYS)
        if fields is None:
            return None
        code = self.code(fields.get("code"), "province.code")
        name = self.text(fields.get("name"), "province.name")
        if code is None:
            return None
        return Read(ProvinceSpec(code, name or "", loc=self.loc(node)), "province",
                     {"code": self.loc(fields["code"])})

    def aliases(self, node: Node | None, path: str) -> tuple[Alias, ...]:
        out = []
        for i, item in enumerate(self.sequence(node, path)):
            sub = f"{path}[{i}]"
            fields = self.mapping(item, sub, ALIAS_KEYS, ("code",))
            if fields is not None:
                code = self.code(fields.get("code"), f"{sub}.code")
                name = self.text(fields.get("name"), f"{sub}.name") if "name" in fields else ""
                if code is not None:
                    out.append(Alias(code, name or "", loc=self.loc(fields["code"])))
        return tuple(out)

    def rules(self, node: Node, path: str) -> Rules:
        fields = self.mapping(node, path, RULE_KEYS) or {}
        hours = None
        if (text := self.text(fields.get("hours"), f"{path}.hours")) is not None:
            try:
                hours = parse_hours(text, f"{path}.hours")
            except InputError as exc:
                self.problem(fields["hours"], f"{path}.hours",
                             str(exc).removeprefix(f"{path}.hours: "))
        return Rules(hours,
                     self.integer(fields.get("max_session_minutes"),
                                  f"{path}.max_session_minutes", 1),
                     self.integer(fields.get("max_sessions_per_day"),
                                  f"{path}.max_sessions_per_day", 1))

    def group(self, node: Node, path: str) -> Read[GroupSpec] | None:
        fields = self.mapping(node, path, GROUP_KEYS, ("code", "name", "kind"))
        if fields is None:
            return None
        code = self.code(fields.get("code"), f"{path}.code")
        name = self.text(fields.get("name"), f"{path}.name")
        kind = self.choice(fields.get("kind"), f"{path}.kind", GROUP_KINDS)
        parent = self.code(fields.get("parent"), f"{path}.parent")
        rules = self.rules(fields["rules"], f"{path}.rules") if "rules" in fields else None
        aliases = self.aliases(fields.get("aliases"), f"{path}.aliases")
        if code is None:
            return None
        spec = GroupSpec(code, name or "", kind or GroupKind.AREA, parent, rules, aliases,
                         loc=self.loc(node))
        return Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def station(self, node: Node, path: str) -> Read[StationSpec] | None:
        fields = self.mapping(node, path, STATION_KEYS, ("code", "name"))
        if fields is None:
            return None
        code = self.code(fields.get("code"), f"{path}.code")
        name = self.text(fields.get("name"), f"{path}.name")
        kind = self.choice(fields.get("kind"), f"{path}.kind", STATION_KINDS) \
            or StationKind.LOUDSPEAKER
        group = self.code(fields.get("group"), f"{path}.group")
        profile = self.matching(fields.get("profile"), f"{path}.profile", NAME_RE,
                                "an output profile name") or _default_profile(kind)
        zone = self.text(fields.get("timezone"), f"{path}.timezone") or DEFAULT_TIMEZONE
        try:
            check_timezone(zone)
        except InputError as exc:
            self.problem(fields["timezone"], f"{path}.timezone", str(exc))
        aliases = self.aliases(fields.get("aliases"), f"{path}.aliases")
        if code is None:
            return None
        spec = StationSpec(code, name or "", kind, group, profile, zone, aliases,
                           loc=self.loc(node))
        return Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def item(self, node: Node, path: str) -> ItemSpec | None:
        if not isinstance(node, MappingNode):
            self.problem(node, path, f"an item must be one key and its value, such as "
                         f"'jingle: mo-dau'; got {kind_of(node)}")
            return None
        fields = self.mapping(node, path, ITEM_KINDS)
        if fields is None:
            return None
        keys = [k.value for k, _ in node.value if isinstance(k, ScalarNode)]
        kinds = [k for k in ITEM_KINDS if k in keys]
        if len(kinds) != 1:
            if len(kinds) > 1 or len(node.value) == 0:  # unknown keys are already reported
                had = f"; this one has {' and '.join(kinds)}" if kinds else ""
                self.problem(node, path, f"an item holds exactly one of "
                             f"{', '.join(ITEM_KINDS)}{had}")
            return None
        kind, sub, loc = kinds[0], f"{path}.{kinds[0]}", self.loc(node)
        if kind not in fields:
            self.problem(node, sub, f"{kind.value!r} has no value")
            return None
        value = fields[kind]
        if kind == "silence":
            return ItemSpec(kind, "", self.duration(value, sub), loc=loc)
        if kind == "relay":
            relay = self.mapping(value, sub, RELAY_KEYS, ("url", "duration"))
            if relay is None:
                return None
            url = self.text(relay.get("url"), f"{sub}.url")
            if url is not None:
                parts = urlsplit(url)
                if parts.scheme not in RELAY_SCHEMES or not parts.netloc:
                    self.problem(relay["url"], f"{sub}.url", f"{url!r} is not a stream URL "
                                 f"({', '.join(RELAY_SCHEMES)})")
            span = self.duration(relay.get("duration"), f"{sub}.duration")
            fallback = self.matching(relay.get("fallback"), f"{sub}.fallback", FALLBACK_RE,
                                     "a relative file path (no '..') or jingle:NAME")
            return ItemSpec(kind, url or "", span, fallback, loc=loc)
        checks = {"jingle": (NAME_RE, "an asset name under audio/, such as mo-dau"),
                  "document": (DOCUMENT_KEY.pattern, "a document key, such as "
                               f"nghi-quyet-tom-tat ({DOCUMENT_KEY.rule})"),
                  "file": (PATH_RE, "a relative file path (no '..')")}
        if kind in checks:
            text = self.matching(value, sub, *checks[kind])
        else:
            text = self.text(value, sub)
        if kind == "ident" and text is not None:
            self.ident(value, sub, text)
        return ItemSpec(kind, text or "", loc=loc)

    def ident(self, node: Node, path: str, template: str) -> None:
        try:
            names = [f for _, f, spec, conv in string.Formatter().parse(template)
                     if f is not None and (f not in IDENT_FIELDS or spec or conv)]
        except ValueError:
            names = ["a lone brace"]
        if names:
            self.problem(node, path, f"the ident may only use {{name}} and {{code}}; "
                         f"found {', '.join(repr(n) for n in names)}")

    def programme(self, node: Node, path: str) -> Read[ProgrammeSpec] | None:
        fields = self.mapping(node, path, PROGRAMME_KEYS, ("code", "title", "items"))
        if fields is None:
            return None
        code = self.code(fields.get("code"), f"{path}.code")
        title = self.text(fields.get("title"), f"{path}.title")
        gap = self.integer(fields.get("gap_ms"), f"{path}.gap_ms", 0)
        fade = self.integer(fields.get("fade_ms"), f"{path}.fade_ms", 0)
        nodes = self.sequence(fields.get("items"), f"{path}.items")
        if "items" in fields and not nodes and isinstance(fields["items"], SequenceNode):
            self.problem(fields["items"], f"{path}.items", "a programme needs at least one item")
        items = [self.item(n, f"{path}.items[{i}]") for i, n in enumerate(nodes)]
        if code is None:
            return None
        spec = ProgrammeSpec(code, title or "", tuple(i for i in items if i is not None),
                             DEFAULT_GAP_MS if gap is None else gap,
                             DEFAULT_FADE_MS if fade is None else fade, loc=self.loc(node))
        return Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def start(self, node: Node | None, path: str) -> time | datetime | None:
        value = self.text(node, path)
        if value is None:
            return None
        assert node is not None
        if match := TIME_RE.fullmatch(value):
            try:
                return time(int(match[1]), int(match[2]))
            except ValueError:
                self.problem(node, path, f"{value!r} is not a time (HH:MM)")
                return None
        if match := DATETIME_RE.fullmatch(value):
            year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
            try:
                return datetime(year, month, day, hour, minute, second)
            except ValueError:
                pass
        self.problem(node, path, f"{value!r} is not a time (HH:MM) or a local date and time "
                     "(YYYY-MM-DDTHH:MM, no time zone)")
        return None

    def entry(self, node: Node, path: str) -> Read[EntrySpec] | None:
        # No start: a bulletin the stations place themselves (normal: in a slot with room;
        # high: at the start of the next session); see broadcaster.schedule.plan.
        fields = self.mapping(node, path, ENTRY_KEYS, ("id", "target"))
        if fields is None:
            return None
        ident = self.matching(fields.get("id"), f"{path}.id", ID_RE,
                              f"a valid id: use {ENTRY_ID.rule}")
        programme = self.code(fields.get("programme"), f"{path}.programme")
        clip = self.matching(fields.get("clip"), f"{path}.clip", SHA256_RE,
                             "a clip's sha256 (64 lowercase hexadecimal digits)")
        if ("programme" in fields) == ("clip" in fields):
            self.problem(node, f"{path}.programme", "give either programme or clip, not both"
                         if "clip" in fields else "missing required key 'programme' (or clip)")
        target = self.code(fields.get("target"), f"{path}.target")
        start = self.start(fields.get("start"), f"{path}.start") if "start" in fields else None
        valid_from = valid_until = None
        if "valid" in fields:
            valid = self.mapping(fields["valid"], f"{path}.valid", VALID_KEYS) or {}
            valid_from = self.day(valid.get("from"), f"{path}.valid.from")
            valid_until = self.day(valid.get("until"), f"{path}.valid.until")
            if valid_from and valid_until and valid_until < valid_from:
                self.problem(valid["until"], f"{path}.valid.until", f"{valid_until} is before "
                             f"valid.from {valid_from}")
        exdates = [self.day(n, f"{path}.except[{i}]")
                   for i, n in enumerate(self.sequence(fields.get("except"), f"{path}.except"))]
        rule = self.recurrence(fields.get("rrule"), f"{path}.rrule", start, valid_from)
        if "rrule" not in fields and "except" in fields:
            self.problem(fields["except"], f"{path}.except",
                         "exception dates only apply to a repeating entry (with rrule)")
        if "rrule" in fields and isinstance(start, datetime):
            self.problem(fields["start"], f"{path}.start", "a repeating entry starts at a "
                         "wall-clock time HH:MM; give its first day in valid.from")
        if "rrule" not in fields and isinstance(start, time):
            self.problem(fields["start"], f"{path}.start", "a one-off entry (no rrule) needs a "
                         "full local date and time, such as 2025-09-02T07:00")
        priority = self.choice(fields.get("priority"), f"{path}.priority", PRIORITIES)
        if "start" not in fields and ("rrule" in fields or priority == Priority.EMERGENCY):
            self.problem(node, f"{path}.start", "missing required key 'start' (only a normal or "
                         "high bulletin without rrule may leave it out)")
        policy = self.choice(fields.get("on_collision"), f"{path}.on_collision",
                             COLLISION_POLICIES)
        slot = self.integer(fields.get("slot_minutes"), f"{path}.slot_minutes", 1)
        if ident is None:
            return None
        spec = EntrySpec(
            ident, programme, clip, target or "",
            start_time=start if isinstance(start, time) else None,
            start_at=start if isinstance(start, datetime) else None,
            rrule=rule, valid_from=valid_from, valid_until=valid_until,
            exdates=tuple(d for d in exdates if d is not None),
            priority=priority or Priority.NORMAL,
            on_collision=policy or CollisionPolicy.AFTER, slot_minutes=slot,
            loc=self.loc(node))
        return Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def recurrence(self, node: Node | None, path: str, start: time | datetime | None,
                   valid_from: date | None) -> str | None:
        """The RRULE, upper-cased (RFC 5545 names are case-insensitive), without "RRULE:"."""
        value = self.text(node, path)
        if value is None:
            return None
        assert node is not None
        value = re.sub(r"^RRULE:", "", value.upper()).strip()
        parts = dict(p.partition("=")[::2] for p in value.split(";"))
        reason = _rrule_problem(value, parts, start, valid_from)
        if reason:
            self.problem(node, path, f"{value!r} is not a valid RRULE: {reason}")
        return value


def _rrule_problem(value: str, parts: dict[str, str], start: time | datetime | None,
                   valid_from: date | None) -> str | None:
    """Why dateutil, the ranges of RFC 5545 or the bounds of a broadcast
    (:mod:`~broadcaster.schedule.bounds`) refuse this RRULE; None when it is fine."""
    if "\n" in value or "DTSTART" in parts or "EXDATE" in parts:
        return "write the rule only (FREQ=...); the start goes in start, exceptions in except"
    if any("=" not in p for p in value.split(";")):
        return "write NAME=VALUE parts separated by ';', such as FREQ=WEEKLY;BYDAY=MO,TH"
    if "FREQ" not in parts:
        return "FREQ is missing (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)"
    if parts.get("UNTIL", "").endswith("Z"):
        return "UNTIL must be a local date (no Z); or use valid.until"
    bounds = rule_problem(value)
    if bounds:
        return bounds
    if ("COUNT" in parts or int(parts.get("INTERVAL", "1") or 1) > 1) and valid_from is None:
        return "COUNT and INTERVAL count from a first day: give valid.from"
    wall = start if isinstance(start, time) else time(0, 0)
    try:
        parsed = rrulestr(value, dtstart=datetime.combine(valid_from or ANCHOR_DAY, wall))
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None if isinstance(parsed, rrule) else "give a single rule"


def _default_profile(kind: str) -> str:
    return "loudspeaker" if kind == StationKind.LOUDSPEAKER else "radio"   # profile names
