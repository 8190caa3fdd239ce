"""Schedule files (``schedules/*.yaml``): read with exact locations, validate, write back.

Reading walks PyYAML's composed node tree (not the constructed Python objects), so every value
keeps the line and column it was written at, and values are taken from their source text: an
unquoted ``05:30`` stays a time (YAML 1.1 would make it the number 330) and ``2025-09-02`` a
date. Validation never stops at the first problem: each file is read to the end, then the
files are checked together (duplicate codes, references, the group tree), and every problem is
reported with file, line, column and the field's path, e.g. ``entries[3].start``.
"""

from __future__ import annotations

import difflib
import re
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar, cast
from urllib.parse import urlsplit

import yaml
from dateutil.rrule import rrule, rrulestr
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from broadcaster.errors import InputError
from broadcaster.schedule.dump import dump_schedule as dump_schedule  # re-exported
from broadcaster.schedule.rules import rule_problems
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
    ScheduleSpec,
    StationSpec,
    parse_duration,
)
from broadcaster.stations import CODE_RE, RULE_KEYS, check_timezone, parse_hours

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

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
NAME_RE = re.compile(r"^\w[\w.-]*$")  # an asset name under audio/, a document key, a profile
PATH_RE = re.compile(r"^\w[\w .-]*(?:/\w[\w .-]*)*$")  # a relative file path, no '..'
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
DATETIME_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?")
IDENT_FIELDS = ("name", "code")
SYNTAX_HINTS = {
    "mapping values are not allowed": " (is a ':' missing after a key just above, or does a "
                                      "value holding ': ' need quotes?)",
    "'\\t'": " (indent with spaces, not tabs)",
    "another document": " (a schedule file holds one YAML document: remove the '---' line or "
                        "split the file)",
}
RRULE_RANGES = {"COUNT": (1, 100_000), "INTERVAL": (1, 1000), "BYMONTH": (1, 12),
                "BYMONTHDAY": (-31, 31), "BYYEARDAY": (-366, 366), "BYWEEKNO": (-53, 53)}
NULL_TAG = "tag:yaml.org,2002:null"
# A recurrence without valid.from is anchored here; only COUNT and INTERVAL depend on it.
ANCHOR_DAY = date(2025, 1, 1)

T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a schedule file: where, which field, and what."""

    loc: Location
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.field}: {self.message}" if self.field else \
            f"{self.loc}: {self.message}"


class ScheduleError(InputError):
    """The schedule files were refused; ``problems`` holds every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class _Read(Generic[T]):
    """A spec object as read, with the path and the value location of its fields."""

    spec: T
    path: str
    sites: dict[str, Location] = field(default_factory=dict)

    def site(self, name: str) -> tuple[Location, str]:
        return self.sites.get(name, cast(Any, self.spec).loc), f"{self.path}.{name}"


@dataclass
class _File:
    """What one file held."""

    province: _Read[ProvinceSpec] | None = None
    groups: list[_Read[GroupSpec]] = field(default_factory=list)
    stations: list[_Read[StationSpec]] = field(default_factory=list)
    programmes: list[_Read[ProgrammeSpec]] = field(default_factory=list)
    entries: list[_Read[EntrySpec]] = field(default_factory=list)


def _kind_of(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return repr(node.value)


def _is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG)


class _Reader:
    """Typed access to one file's nodes; every refusal becomes a Problem, never an exception."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def loc(self, node: Node) -> Location:
        mark = node.start_mark
        return Location(self.file, mark.line + 1, mark.column + 1)

    def problem(self, where: Node | Location, path: str, message: str) -> None:
        loc = where if isinstance(where, Location) else self.loc(where)
        self.problems.append(Problem(loc, path, message))

    def mapping(self, node: Node, path: str, keys: Sequence[str],
                required: Sequence[str] = ()) -> dict[str, Node] | None:
        """The non-empty values of a mapping by key; unknown, doubled and missing keys refused."""
        if not isinstance(node, MappingNode):
            self.problem(node, path, f"{'must' if path else 'the file must'} be a mapping with "
                         f"the keys {', '.join(keys)}; got {_kind_of(node)}")
            return None
        out: dict[str, Node] = {}
        seen: dict[str, int] = {}
        empty: set[str] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, ScalarNode) else None
            sub = f"{path}.{name}" if path else str(name)
            if name is None or name not in keys:
                shown = repr(name) if name is not None else _kind_of(key)
                self.problem(key, sub if name else path,
                             f"unknown key {shown}; valid keys: {', '.join(keys)}")
            elif name in seen:
                self.problem(key, sub, f"key {name!r} is given twice (first at line "
                             f"{seen[name]})")
            else:
                seen[name] = key.start_mark.line + 1
                if _is_null(value):
                    empty.add(name)
                else:
                    out[name] = value
        for name in required:
            if name in empty:
                self.problem(node, f"{path}.{name}" if path else name, f"{name!r} has no value")
            elif name not in out:
                self.problem(node, f"{path}.{name}" if path else name,
                             f"missing required key {name!r}")
        return out

    def sequence(self, node: Node | None, path: str) -> list[Node]:
        if node is None:
            return []
        if not isinstance(node, SequenceNode):
            self.problem(node, path, f"must be a list (lines starting with '- '); "
                         f"got {_kind_of(node)}")
            return []
        return list(node.value)

    def text(self, node: Node | None, path: str) -> str | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode):
            hint = " (text holding '{', ':' or '[' must be put in quotes)" \
                if isinstance(node, MappingNode | SequenceNode) else ""
            self.problem(node, path, f"must be text, not {_kind_of(node)}{hint}")
            return None
        value = unicodedata.normalize("NFC", node.value).strip()
        if not value:
            self.problem(node, path, "is empty")
            return None
        return value

    def matching(self, node: Node | None, path: str, pattern: re.Pattern[str],
                 what: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not pattern.match(value):
            assert node is not None
            self.problem(node, path, f"{value!r} is not {what}")
        return value

    def code(self, node: Node | None, path: str) -> str | None:
        return self.matching(node, path, CODE_RE, "a valid code: use 1-64 letters (A-Z, a-z), "
                             "digits, '.', '_' or '-', starting with a letter or digit")

    def integer(self, node: Node | None, path: str, minimum: int) -> int | None:
        value = self.text(node, path)
        if value is None:
            return None
        if not value.isascii() or not value.isdigit() or int(value) < minimum:
            assert node is not None
            self.problem(node, path, f"must be a whole number of at least {minimum}, "
                         f"got {value!r}")
            return None
        return int(value)

    def choice(self, node: Node | None, path: str, choices: Sequence[T]) -> T | None:
        value = self.text(node, path)
        if value is not None and value not in choices:
            assert node is not None
            self.problem(node, path, f"{value!r} is not one of {', '.join(map(str, choices))}")
            return None
        return cast(T | None, value)

    def day(self, node: Node | None, path: str) -> date | None:
        value = self.text(node, path)
        if value is None:
            return None
        match = DATE_RE.fullmatch(value)
        try:
            if match:
                return date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
        assert node is not None
        self.problem(node, path, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def duration(self, node: Node | None, path: str) -> timedelta | None:
        value = self.text(node, path)
        if value is None:
            return None
        try:
            span = parse_duration(value)
        except ValueError:
            span = None
        if not span:
            assert node is not None
            self.problem(node, path, f"{value!r} is not a duration: write e.g. 90s, 2m, 1m30s, "
                         "1h, or a number of seconds (more than 0)")
        return span

    # -- sections -----------------------------------------------------------------------------

    def province(self, node: Node) -> _Read[ProvinceSpec] | None:
        fields = self.mapping(node, "province", PROVINCE_KEYS, PROVINCE_KEYS)
        if fields is None:
            return None
        code = self.code(fields.get("code"), "province.code")
        name = self.text(fields.get("name"), "province.name")
        if code is None:
            return None
        return _Read(ProvinceSpec(code, name or "", loc=self.loc(node)), "province",
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

    def group(self, node: Node, path: str) -> _Read[GroupSpec] | None:
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
        spec = GroupSpec(code, name or "", kind or "area", parent, rules, aliases,
                         loc=self.loc(node))
        return _Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def station(self, node: Node, path: str) -> _Read[StationSpec] | None:
        fields = self.mapping(node, path, STATION_KEYS, ("code", "name"))
        if fields is None:
            return None
        code = self.code(fields.get("code"), f"{path}.code")
        name = self.text(fields.get("name"), f"{path}.name")
        kind = self.choice(fields.get("kind"), f"{path}.kind", STATION_KINDS) or "loudspeaker"
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
        return _Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

    def item(self, node: Node, path: str) -> ItemSpec | None:
        if not isinstance(node, MappingNode):
            self.problem(node, path, f"an item must be one key and its value, such as "
                         f"'jingle: mo-dau'; got {_kind_of(node)}")
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
            self.problem(node, sub, f"{kind!r} has no value")
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
            fallback = self.matching(relay.get("fallback"), f"{sub}.fallback", PATH_RE,
                                     "a relative file path (no '..')")
            return ItemSpec(kind, url or "", span, fallback, loc=loc)
        checks = {"jingle": (NAME_RE, "an asset name under audio/, such as mo-dau"),
                  "document": (NAME_RE, "a document key, such as nghi-quyet-tom-tat"),
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

    def programme(self, node: Node, path: str) -> _Read[ProgrammeSpec] | None:
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
        return _Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

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

    def entry(self, node: Node, path: str) -> _Read[EntrySpec] | None:
        # No start: a bulletin the stations place themselves (normal: in a slot with room;
        # high: at the start of the next session); see broadcaster.schedule.plan.
        fields = self.mapping(node, path, ENTRY_KEYS, ("id", "target"))
        if fields is None:
            return None
        ident = self.matching(fields.get("id"), f"{path}.id", ID_RE, "a valid id: use 1-100 "
                              "letters (A-Z, a-z), digits, '.', '_' or '-'")
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
        if "start" not in fields and ("rrule" in fields or priority == "emergency"):
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
            priority=priority or "normal", on_collision=policy or "after", slot_minutes=slot,
            loc=self.loc(node))
        return _Read(spec, path, {k: self.loc(v) for k, v in fields.items()})

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
    """Why dateutil (or the ranges of RFC 5545) refuse this RRULE; None when it is fine."""
    if "\n" in value or "DTSTART" in parts or "EXDATE" in parts:
        return "write the rule only (FREQ=...); the start goes in start, exceptions in except"
    if any("=" not in p for p in value.split(";")):
        return "write NAME=VALUE parts separated by ';', such as FREQ=WEEKLY;BYDAY=MO,TH"
    if "FREQ" not in parts:
        return "FREQ is missing (FREQ=DAILY, WEEKLY, MONTHLY or YEARLY)"
    if parts.get("UNTIL", "").endswith("Z"):
        return "UNTIL must be a local date (no Z); or use valid.until"
    for key, (low, high) in RRULE_RANGES.items():
        for number in filter(None, parts.get(key, "").split(",")):
            if not re.fullmatch(r"[+-]?\d+", number):
                return f"{key}={number} is not a whole number"
            if not low <= int(number) <= high or int(number) == 0:
                return f"{key}={number} is out of range ({low}..{high}, not 0)"
    if ("COUNT" in parts or int(parts.get("INTERVAL", "1") or 1) > 1) and valid_from is None:
        return "COUNT and INTERVAL count from a first day: give valid.from"
    wall = start if isinstance(start, time) else time(0, 0)
    try:
        parsed = rrulestr(value, dtstart=datetime.combine(valid_from or ANCHOR_DAY, wall))
    except (ValueError, TypeError) as exc:
        return str(exc)
    return None if isinstance(parsed, rrule) else "give a single rule"


def _default_profile(kind: str) -> str:
    return "loudspeaker" if kind == "loudspeaker" else "radio"


def _syntax_problem(name: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error as a Problem at the parser's mark, with a hint for common slips."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or ""
        hint = SYNTAX_HINTS.get(next((k for k in SYNTAX_HINTS if k in problem), ""), "")
        if "another document" in problem:
            problem = "a second YAML document starts here"
        context = f" ({exc.context}, line {exc.context_mark.line + 1})" \
            if exc.context and exc.context_mark and not hint else ""
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        return Problem(Location(name, line, column), "",
                       f"YAML syntax error: {problem}{context}{hint}")
    position = getattr(exc, "position", 0)  # a ReaderError: a character YAML does not allow
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = ord(text[position]) if position < len(text) else 0
    return Problem(Location(name, line, column), "", f"the control character U+{code:04X} is "
                   "not allowed in a YAML file; delete it")


def _read_file(path: Path, problems: list[Problem]) -> _File:
    """Read one file: its specs with their sites; problems are appended to ``problems``."""
    name = str(path)
    out = _File()
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except OSError as exc:
        problems.append(Problem(Location(name, 0, 0), "", f"cannot read the file: "
                                f"{exc.strerror or exc}"))
        return out
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.append(Problem(Location(name, line, column), "", "the file is not UTF-8 text; "
                                "save it as UTF-8 (Unicode)"))
        return out
    reader = _Reader(name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        problems.append(_syntax_problem(name, text, exc))
        return out
    if root is None or _is_null(root):
        problems.append(Problem(Location(name, 0, 0), "", "the file holds no schedule; "
                                f"expected one or more of: {', '.join(SECTIONS)}"))
        return out
    sections = reader.mapping(root, "", SECTIONS) or {}
    if "province" in sections:
        out.province = reader.province(sections["province"])

    def each(key: str, method: Callable[[Node, str], _Read[T] | None]) -> list[_Read[T]]:
        nodes = reader.sequence(sections.get(key), key)
        return [r for i, n in enumerate(nodes) if (r := method(n, f"{key}[{i}]")) is not None]

    out.groups = each("groups", reader.group)
    out.stations = each("stations", reader.station)
    out.programmes = each("programmes", reader.programme)
    out.entries = each("entries", reader.entry)
    problems.extend(reader.problems)
    return out


# -- checks across files ---------------------------------------------------------------------


class _Checker:
    """Checks that need every file: duplicate codes, references, the group tree."""

    def __init__(self, files: Sequence[_File], order: dict[str, int]) -> None:
        self.files = files
        self.order = order
        self.problems: list[Problem] = []
        self.groups: dict[str, _Read[GroupSpec]] = {}
        self.stations: dict[str, _Read[StationSpec]] = {}
        self.aliases: dict[str, tuple[str, str]] = {}  # former code -> (kind, current code)
        self.programmes: set[str] = set()

    def key(self, loc: Location) -> tuple[int, int, int]:
        return self.order.get(loc.file, len(self.order)), loc.line, loc.column

    def unique(self, defs: list[tuple[str, Location, str, str]]) -> None:
        """Refuse a code given twice ``(code, loc, path, what)``, at the second one."""
        first: dict[str, tuple[Location, str]] = {}
        for code, loc, path, what in sorted(defs, key=lambda d: self.key(d[1])):
            if code in first:
                where, used_by = first[code]
                at = f"line {where.line}" if where.file == loc.file else str(where)
                self.problems.append(Problem(loc, path, f"{code!r} is already used by "
                                             f"{used_by} at {at}"))
            else:
                first[code] = (loc, what)

    def run(self) -> None:
        units: list[tuple[str, Location, str, str]] = []
        programmes: list[tuple[str, Location, str, str]] = []
        entries: list[tuple[str, Location, str, str]] = []
        for f in self.files:
            for kind, reads in (("group", f.groups), ("station", f.stations)):
                for r in reads:
                    spec = cast(GroupSpec | StationSpec, r.spec)
                    units.append((spec.code, *r.site("code"), f"the {kind} {spec.code!r}"))
                    for i, alias in enumerate(spec.aliases):
                        units.append((alias.code, alias.loc, f"{r.path}.aliases[{i}].code",
                                      f"a former code of the {kind} {spec.code!r}"))
            programmes += [(r.spec.code, *r.site("code"), "a programme") for r in f.programmes]
            entries += [(r.spec.id, *r.site("id"), "an entry") for r in f.entries]
        for defs in (units, programmes, entries):
            self.unique(defs)
        for f in reversed(self.files):  # the first definition wins
            for group in reversed(f.groups):
                self.groups[group.spec.code] = group
                self.aliases.update({a.code: ("group", group.spec.code)
                                     for a in group.spec.aliases})
            for station in reversed(f.stations):
                self.stations[station.spec.code] = station
                self.aliases.update({a.code: ("station", station.spec.code)
                                     for a in station.spec.aliases})
            self.programmes.update(p.spec.code for p in f.programmes)
        self.references()
        self.cycles()

    def resolve(self, code: str) -> tuple[str | None, str]:
        """(kind, current code) of a group/station code or former code; kind None if unknown."""
        if code in self.groups:
            return "group", code
        if code in self.stations:
            return "station", code
        kind, current = self.aliases.get(code, (None, code))
        return kind, current

    def reference(self, code: str | None, site: tuple[Location, str], kinds: tuple[str, ...],
                  known: Sequence[str]) -> None:
        if code is None:
            return
        what = " or ".join(kinds)
        kind = self.resolve(code)[0] if kinds != ("programme",) else \
            ("programme" if code in self.programmes else None)
        if kind is None:
            close = difflib.get_close_matches(code, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.problems.append(Problem(*site, f"no {what} has the code {code!r}{hint}"))
        elif kind not in kinds:
            self.problems.append(Problem(*site, f"{code!r} is a {kind}, not a {what}"))

    def references(self) -> None:
        groups = list(self.groups)
        units = groups + list(self.stations)
        for f in self.files:
            if f.province is not None:
                self.reference(f.province.spec.code, f.province.site("code"), ("group",), groups)
            for g in f.groups:
                self.reference(g.spec.parent, g.site("parent"), ("group",), groups)
            for s in f.stations:
                self.reference(s.spec.group, s.site("group"), ("group",), groups)
            for e in f.entries:
                self.reference(e.spec.target or None, e.site("target"), ("group", "station"),
                               units)
                self.reference(e.spec.programme, e.site("programme"), ("programme",),
                               sorted(self.programmes))
        headers = [f.province for f in self.files if f.province is not None]
        for header in headers[1:]:
            if header.spec != headers[0].spec:
                self.problems.append(Problem(header.spec.loc, "province", "a different province "
                                             f"is already given at {headers[0].spec.loc}"))

    def cycles(self) -> None:
        parent = {code: self.resolve(r.spec.parent)[1] for code, r in self.groups.items()
                  if r.spec.parent}
        reported: set[frozenset[str]] = set()
        for f in self.files:
            for read in f.groups:
                path = [read.spec.code]
                while (up := parent.get(path[-1])) is not None and up not in path:
                    path.append(up)
                if up != read.spec.code or frozenset(path) in reported:
                    continue
                reported.add(frozenset(path))
                self.problems.append(Problem(*read.site("parent"), "the group tree has a cycle: "
                                             + " -> ".join([*path, read.spec.code])))

    def spec(self) -> ScheduleSpec:
        """Everything read, with former codes replaced by current ones."""
        def current(code: str | None) -> str | None:
            return None if code is None else self.resolve(code)[1]

        out = ScheduleSpec()
        for f in self.files:
            province = f.province.spec if f.province else None
            out = out.merged(ScheduleSpec(
                replace(province, code=current(province.code) or "") if province else None,
                tuple(replace(g.spec, parent=current(g.spec.parent)) for g in f.groups),
                tuple(replace(s.spec, group=current(s.spec.group)) for s in f.stations),
                tuple(p.spec for p in f.programmes),
                tuple(replace(e.spec, target=current(e.spec.target) or "") for e in f.entries)))
        return out


def _expand(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        else:
            out.append(path)
    return out


def _load(paths: Sequence[Path]) -> tuple[ScheduleSpec, list[Problem]]:
    problems: list[Problem] = []
    expanded = _expand(paths)
    files = [_read_file(path, problems) for path in expanded]
    order = {str(path): i for i, path in reversed(list(enumerate(expanded)))}
    checker = _Checker(files, order)
    checker.run()
    problems += checker.problems
    problems.sort(key=lambda p: checker.key(p.loc))
    return checker.spec(), problems


def validate(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the schedule files (a folder stands for its *.yaml files), in file order."""
    return _load_checked(paths)[1]


def _load_checked(paths: Sequence[Path]) -> tuple[ScheduleSpec, list[Problem]]:
    """Load, then check the broadcast rules that can be checked on the files alone."""
    spec, problems = _load(paths)
    if not problems:
        index = {e.id: n for n, e in enumerate(spec.entries)}
        problems = [Problem(entry.loc, f"entries[{index[entry.id]}].{name}", message)
                    for entry, name, message in rule_problems(spec)]
    return spec, problems


def load_schedule(paths: Sequence[Path]) -> ScheduleSpec:
    """Read and check schedule files; raise :class:`ScheduleError` listing every problem."""
    spec, problems = _load_checked(paths)
    if problems:
        raise ScheduleError(problems)
    return spec
