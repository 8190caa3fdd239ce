"""Schedule files: the example province, the round trip, and every validation rule with its line."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from textwrap import dedent

import pytest
from dateutil.rrule import rrulestr

from broadcaster import stations
from broadcaster.domain.vocabulary import (
    CollisionPolicy,
    GroupKind,
    ItemKind,
    Priority,
    StationKind,
)
from broadcaster.errors import InputError
from broadcaster.schedule import (
    GROUP_KINDS,
    STATION_KINDS,
    Alias,
    EntrySpec,
    GroupSpec,
    ItemSpec,
    Location,
    Problem,
    ProgrammeSpec,
    ProvinceSpec,
    Rules,
    ScheduleError,
    ScheduleSpec,
    StationSpec,
    dump_schedule,
    format_duration,
    load_schedule,
    parse_duration,
    validate,
)

REPO = Path(__file__).resolve().parents[2]
Check = Callable[..., list[Problem]]
EXAMPLE = REPO / "schedules" / "binh-son.yaml"

# The other file of most cases: a province, a commune with a former code, a station, a programme.
BASE = """\
groups:
  - code: BS
    name: Tỉnh Bình Sơn
    kind: province
    rules: {hours: "05:00-21:00"}
  - code: BS-A
    name: Xã A
    kind: commune
    parent: BS
    aliases: [{code: BS-OLD, name: Xã A (huyện cũ)}]
stations:
  - code: A-01
    name: Đài truyền thanh xã A
    group: BS-A
programmes:
  - code: p
    title: Chương trình
    items:
      - jingle: mo-dau
"""


@pytest.fixture
def base(tmp_path: Path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(BASE, encoding="utf-8")
    return path


@pytest.fixture
def check(tmp_path: Path, base: Path) -> Check:
    """Validate ``text`` as case.yaml, read together with base.yaml (unless base=False)."""

    def run(text: str, with_base: bool = True) -> list[Problem]:
        case = tmp_path / "case.yaml"
        case.write_text(dedent(text), encoding="utf-8")
        return validate([base, case] if with_base else [case])

    return run


# -- the example province ------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> ScheduleSpec:
    return load_schedule([EXAMPLE])


def test_example_validates_cleanly() -> None:
    assert validate([EXAMPLE]) == []


def test_example_has_a_province_of_communes_and_wards(example: ScheduleSpec) -> None:
    assert example.province == ProvinceSpec("BS", "Tỉnh Bình Sơn")
    units = [g for g in example.groups if g.kind in ("commune", "ward")]
    assert len(units) >= 20
    assert {"commune", "ward", "special", "cluster", "province"} <= {g.kind for g in example.groups}
    # One loudspeaker station per commune and ward.
    for unit in units:
        here = [s for s in example.stations if s.group == unit.code]
        assert [s.kind for s in here] == ["loudspeaker"], unit.code
    radio = [s for s in example.stations if s.kind == "radio"]
    assert [(s.name, s.profile) for s in radio] == [
        ("Đài Phát thanh - Truyền hình tỉnh Bình Sơn", "radio")]
    old = [a.name for g in example.groups for a in g.aliases]
    assert "Xã Tân Tiến (huyện Hòa Thuận cũ)" in old and len(old) >= 5


def test_example_rules_ward_and_commune(example: ScheduleSpec) -> None:
    by_code = {g.code: g for g in example.groups}

    def effective(code: str) -> Rules:
        found: dict[str, object] = {}
        node: GroupSpec | None = by_code[code]
        while node is not None:
            for f in dataclasses.fields(Rules):
                if node.rules and getattr(node.rules, f.name) is not None:
                    found.setdefault(f.name, getattr(node.rules, f.name))
            node = by_code.get(node.parent) if node.parent else None
        return Rules(**found)  # type: ignore[arg-type]

    ward = next(g for g in example.groups if g.kind == "ward")
    commune = next(g for g in example.groups if g.kind == "commune")
    assert effective(ward.code) == Rules((time(5), time(21)), 15, 2)
    assert effective(commune.code) == Rules((time(5), time(21)), 45, 3)


def test_example_programmes_and_weekly_pattern(example: ScheduleSpec) -> None:
    programmes = {p.code: p for p in example.programmes}
    morning = programmes["thoi-su-sang"]
    assert [i.kind for i in morning.items][:4] == ["jingle", "ident", "text", "relay"]
    relay = next(i for i in morning.items if i.kind == "relay")
    assert relay.duration == timedelta(minutes=30) and relay.fallback
    assert any(i == ItemSpec(ItemKind.DOCUMENT, "nghi-quyet-tom-tat")
               for p in example.programmes for i in p.items)
    jingles = {i.value for p in example.programmes for i in p.items if i.kind == "jingle"}
    assert jingles == {"mo-dau", "ket-thuc", "bao-dong"}

    entries = example.entries
    starts = {e.start_time for e in entries if e.start_time}
    assert {time(5, 30), time(6), time(17, 30)} <= starts
    assert any("BYDAY=MO,TH" in (e.rrule or "") for e in entries)
    assert any("BYMONTHDAY=1" in (e.rrule or "") for e in entries)
    assert any(date(2025, 9, 2) in e.exdates for e in entries)
    assert any(e.start_at == datetime(2025, 9, 2, 7) for e in entries)
    # Weekdays and weekends differ.
    weekday = {e.programme for e in entries if "MO,TU,WE,TH,FR" in (e.rrule or "")}
    weekend = {e.programme for e in entries if "SA,SU" in (e.rrule or "")}
    assert weekday and weekend and weekday != weekend
    # Every rule expands.
    for e in entries:
        if e.rrule:
            start = datetime.combine(e.valid_from or date(2025, 7, 1), e.start_time or time())
            assert rrulestr(e.rrule, dtstart=start).after(start, inc=True) is not None, e.id


# -- round trip ----------------------------------------------------------------------------


def test_example_round_trips(example: ScheduleSpec, tmp_path: Path) -> None:
    text = dump_schedule(example)
    assert "Tỉnh Bình Sơn" in text and "\\u" not in text  # Vietnamese kept readable
    assert text.index("province:") < text.index("groups:") < text.index("stations:") \
        < text.index("programmes:") < text.index("entries:")
    out = tmp_path / "export.yaml"
    out.write_text(text, encoding="utf-8")
    again = load_schedule([out])
    assert again == example
    assert dump_schedule(again) == text  # stable


def test_round_trip_of_every_field(tmp_path: Path) -> None:
    spec = ScheduleSpec(
        ProvinceSpec("BS", "Tỉnh Bình Sơn"),
        (GroupSpec("BS", "Tỉnh Bình Sơn", GroupKind.PROVINCE, rules=Rules((time(5), time(23, 59)))),
         GroupSpec("BS-A", "Xã A: bờ biển", GroupKind.COMMUNE, "BS", Rules(None, 45, None),
                   (Alias("BS-OLD", "Xã A (huyện cũ)"), Alias("BS-OLD2", ""))),
         GroupSpec("BS-A-C1", "Cụm loa 1", GroupKind.CLUSTER, "BS-A", Rules())),
        (StationSpec("A-01", "Đài A", StationKind.LOUDSPEAKER, "BS-A-C1"),
         StationSpec("TV", "Truyền hình", StationKind.TV, "BS", "radio", "Asia/Bangkok",
                     (Alias("TV-OLD", "Kênh cũ"),)),
         StationSpec("LOOSE", "Không nhóm", StationKind.RADIO, None, "radio")),
        (ProgrammeSpec("p", "Chương trình: thử", (
            ItemSpec(ItemKind.JINGLE, "mo-dau"),
            ItemSpec(ItemKind.IDENT, "Đây là {name} ({code})"),
            ItemSpec(ItemKind.DOCUMENT, "nghi-quyet-tom-tat"),
            ItemSpec(ItemKind.TEXT, "Dòng một.\nDòng hai: có dấu hai chấm, # và 'nháy'."),
            ItemSpec(ItemKind.FILE, "audio/recorded/phong su.mp3"),
            ItemSpec(ItemKind.SILENCE, "", timedelta(seconds=1.5)),
            ItemSpec(ItemKind.RELAY, "https://x.example.vn/live?a=1", timedelta(hours=1, minutes=5)),
            ItemSpec(ItemKind.RELAY, "http://x.example.vn/", timedelta(minutes=30), "audio/a.mp3"),
        ), gap_ms=0, fade_ms=120),),
        (EntrySpec("e1", "p", None, "BS", time(17, 30), None, "FREQ=WEEKLY;BYDAY=MO,TH",
                   date(2025, 1, 1), date(2025, 12, 31), (date(2025, 9, 1), date(2025, 9, 4)),
                   Priority.HIGH, CollisionPolicy.PREEMPT, 30),
         EntrySpec("e2", None, "a" * 64, "A-01", None, datetime(2025, 9, 2, 7, 0, 30)),
         EntrySpec("e3", "p", None, "TV", time(0, 0), None, "FREQ=DAILY", None, date(2026, 1, 1),
                   priority=Priority.EMERGENCY, on_collision=CollisionPolicy.DROP)),
    )
    path = tmp_path / "all.yaml"
    path.write_text(dump_schedule(spec), encoding="utf-8")
    assert load_schedule([path]) == spec


def test_empty_spec_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text(dump_schedule(ScheduleSpec()), encoding="utf-8")
    assert load_schedule([path]) == ScheduleSpec()


# -- reading -------------------------------------------------------------------------------


def test_values_come_from_their_source_text(tmp_path: Path, base: Path) -> None:
    """YAML 1.1 would read 17:30 as 1050 and 2025-09-02 as a date object; we read the text."""
    case = tmp_path / "case.yaml"
    case.write_text(dedent("""\
        entries:
          - id: e
            programme: p
            target: BS-A
            start: 17:30
            rrule: freq=weekly;byday=mo
            valid: {from: 2025-09-02, until: "2025-12-31"}
            except: [2025-09-08]
            slot_minutes: "20"
        """), encoding="utf-8")
    entry = load_schedule([base, case]).entries[0]
    assert entry == EntrySpec("e", "p", None, "BS-A", time(17, 30), None, "FREQ=WEEKLY;BYDAY=MO",
                              date(2025, 9, 2), date(2025, 12, 31), (date(2025, 9, 8),),
                              slot_minutes=20)
    assert entry.loc == Location(str(case), 2, 5)
    assert entry.recurring


def test_former_codes_resolve_to_current_ones(tmp_path: Path, base: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(dedent("""\
        groups:
          - {code: BS-A-C1, name: Cụm loa, kind: cluster, parent: BS-OLD}
        stations:
          - {code: C1-01, name: Cụm 1, group: BS-OLD}
        entries:
          - {id: e, programme: p, target: BS-OLD, start: "06:00", rrule: FREQ=DAILY}
        """), encoding="utf-8")
    spec = load_schedule([base, case])
    assert spec.groups[-1].parent == "BS-A"
    assert spec.stations[-1].group == "BS-A"
    assert spec.entries[0].target == "BS-A"


def test_defaults(tmp_path: Path, base: Path) -> None:
    spec = load_schedule([base])
    assert spec.stations[0] == StationSpec("A-01", "Đài truyền thanh xã A", StationKind.LOUDSPEAKER, "BS-A",
                                           "loudspeaker", "Asia/Ho_Chi_Minh")
    assert (spec.programmes[0].gap_ms, spec.programmes[0].fade_ms) == (300, 30)
    case = tmp_path / "radio.yaml"
    case.write_text("stations: [{code: R, name: Đài, kind: tv}]\n", encoding="utf-8")
    assert load_schedule([case]).stations[0].profile == "radio"


def test_a_folder_stands_for_its_yaml_files(tmp_path: Path) -> None:
    folder = tmp_path / "schedules"
    folder.mkdir()
    (folder / "a-groups.yaml").write_text(BASE, encoding="utf-8")
    (folder / "b-entries.yml").write_text(
        "entries: [{id: e, programme: p, target: A-01, start: '2025-09-02T07:00'}]\n",
        encoding="utf-8")
    (folder / "notes.txt").write_text("not a schedule", encoding="utf-8")
    spec = load_schedule([folder])
    assert [e.id for e in spec.entries] == ["e"] and len(spec.groups) == 2


def test_locations_do_not_count_in_equality() -> None:
    a = Alias("X", "x", loc=Location("a.yaml", 1, 1))
    assert a == Alias("X", "x") and hash(a) == hash(Alias("X", "x"))


def test_merged_keeps_order_and_first_header() -> None:
    one = ScheduleSpec(ProvinceSpec("BS", "Bình Sơn"), groups=(GroupSpec("BS", "B", GroupKind.PROVINCE),))
    two = ScheduleSpec(ProvinceSpec("XX", "Khác"), groups=(GroupSpec("X", "X", GroupKind.COMMUNE),))
    merged = one.merged(two)
    assert merged.province == one.province
    assert [g.code for g in merged.groups] == ["BS", "X"]


def test_kinds_match_the_station_registry() -> None:
    assert GROUP_KINDS == stations.GROUP_KINDS
    assert STATION_KINDS == stations.STATION_KINDS


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("2m", timedelta(minutes=2)),
    ("1m30s", timedelta(seconds=90)), ("1h", timedelta(hours=1)), ("45", timedelta(seconds=45)),
    ("1.5", timedelta(seconds=1.5)), ("1h2m3.25s", timedelta(hours=1, minutes=2, seconds=3.25)),
    (" 2M ", timedelta(minutes=2)),
])
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "s", "2 weeks", "-5", "1:30", "1.2345s", "2s1m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("value", "text"), [
    (timedelta(minutes=30), "30m"), (timedelta(seconds=90), "1m30s"),
    (timedelta(hours=1), "1h"), (timedelta(milliseconds=1500), "1.5s"), (timedelta(0), "0s"),
])
def test_format_duration(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


# -- problems ------------------------------------------------------------------------------


def test_problem_text() -> None:
    problem = Problem(Location("schedules/binh-son.yaml", 42, 7), "entries[3].start",
                      "'25:00' is not a time (HH:MM)")
    assert str(problem) == ("schedules/binh-son.yaml:42:7: entries[3].start: '25:00' is not a "
                            "time (HH:MM)")
    assert str(Problem(Location("a.yaml", 0, 0), "", "cannot read the file")) == \
        "a.yaml: cannot read the file"


# Each case: a small file read together with BASE, and the one problem it must give:
# (line, column or None, field path, part of the message).
CASES = [
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: commune
            colour: red
        """, (5, 5, "groups[0].colour", "unknown key 'colour'; valid keys: code, name, kind, "
                                        "parent, aliases, rules"), id="unknown-key"),
    pytest.param("""\
        schedule: []
        """, (1, 1, "schedule", "valid keys: province, groups, stations, programmes, entries"),
        id="unknown-section"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS-A
            start: "06:00"
            rrule: FREQ=DAILY
            prority: high
        """, (7, 5, "entries[0].prority", "valid keys: id, programme, clip, target, start"),
        id="unknown-entry-key"),
    pytest.param("""\
        groups:
          - code: X
            name: X
        """, (2, 5, "groups[0].kind", "missing required key 'kind'"), id="missing-key"),
    pytest.param("""\
        stations:
          - code: X
            name:
        """, (2, 5, "stations[0].name", "'name' has no value"), id="empty-required-key"),
    pytest.param("""\
        groups:
          code: X
        """, (2, 3, "groups", "must be a list"), id="section-not-a-list"),
    pytest.param("""\
        groups:
          - code: X
            name: [X]
            kind: commune
        """, (3, 11, "groups[0].name", "must be text, not a list"), id="text-is-a-list"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            gap_ms: lots
            items: [{jingle: mo-dau}]
        """, (4, 13, "programmes[0].gap_ms", "must be a whole number of at least 0, got 'lots'"),
        id="not-a-number"),
    pytest.param("""\
        groups:
          - code: "Xã A"
            name: X
            kind: commune
        """, (2, 11, "groups[0].code", "'Xã A' is not a valid code"), id="bad-code"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: district
        """, (4, 11, "groups[0].kind", "'district' is not one of province, commune, ward, "
                                      "special, cluster, area"), id="bad-group-kind"),
    pytest.param("""\
        stations:
          - code: X
            name: X
            kind: loa
        """, (4, 11, "stations[0].kind", "'loa' is not one of loudspeaker, radio, tv"),
        id="bad-station-kind"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: commune
          - code: X
            name: Y
            kind: commune
        """, (5, 11, "groups[1].code", "'X' is already used by the group 'X' at line 2"),
        id="duplicate-group"),
    pytest.param("""\
        stations:
          - code: BS-A
            name: X
        """, (2, 11, "stations[0].code", "'BS-A' is already used by the group 'BS-A' at "
                                         "{base}:6:11"), id="station-code-taken-by-group"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: commune
            aliases: [{code: BS-OLD}]
        """, (5, 22, "groups[0].aliases[0].code", "already used by a former code of the group "
                                                 "'BS-A'"), id="alias-taken"),
    pytest.param("""\
        programmes:
          - code: p
            title: again
            items: [{jingle: mo-dau}]
        """, (2, 11, "programmes[0].code", "'p' is already used by a programme at {base}:"),
        id="duplicate-programme"),
    pytest.param("""\
        entries:
          - {id: e, programme: p, target: BS, start: "06:00", rrule: FREQ=DAILY}
          - {id: e, programme: p, target: BS, start: "07:00", rrule: FREQ=DAILY}
        """, (3, 10, "entries[1].id", "'e' is already used by an entry at line 2"),
        id="duplicate-entry"),
    pytest.param("""\
        groups:
          - {code: X, name: X, kind: commune, parent: BS-B}
        """, (2, 47, "groups[0].parent", "no group has the code 'BS-B' (did you mean 'BS-A'?)"),
        id="unknown-parent"),
    pytest.param("""\
        groups:
          - {code: X, name: X, kind: commune, parent: A-01}
        """, (2, 47, "groups[0].parent", "'A-01' is a station, not a group"),
        id="parent-is-a-station"),
    pytest.param("""\
        stations:
          - {code: X, name: X, group: NOWHERE}
        """, (2, 31, "stations[0].group", "no group has the code 'NOWHERE'"),
        id="unknown-station-group"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS-Z
            start: "06:00"
            rrule: FREQ=DAILY
        """, (4, 13, "entries[0].target", "no group or station has the code 'BS-Z'"),
        id="unknown-target"),
    pytest.param("""\
        entries:
          - id: e
            programme: thoi-su
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY
        """, (3, 16, "entries[0].programme", "no programme has the code 'thoi-su'"),
        id="unknown-programme"),
    pytest.param("""\
        province: {code: XX, name: Tỉnh X}
        """, (1, 18, "province.code", "no group has the code 'XX'"), id="unknown-province"),
    pytest.param("""\
        groups:
          - {code: X, name: X, kind: commune, parent: Y}
          - {code: Y, name: Y, kind: commune, parent: Z}
          - {code: Z, name: Z, kind: commune, parent: X}
        """, (2, 47, "groups[0].parent", "the group tree has a cycle: X -> Y -> Z -> X"),
        id="cycle"),
    pytest.param("""\
        groups:
          - {code: X, name: X, kind: commune, parent: X}
        """, (2, 47, "groups[0].parent", "the group tree has a cycle: X -> X"), id="self-parent"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "25:00"
            rrule: FREQ=DAILY
        """, (5, 12, "entries[0].start", "'25:00' is not a time (HH:MM)"), id="bad-time"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-02-30T07:00"
        """, (5, 12, "entries[0].start", "is not a time (HH:MM) or a local date and time"),
        id="bad-datetime"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00+07:00"
        """, (5, 12, "entries[0].start", "no time zone"), id="datetime-with-zone"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY
            valid: {from: 2025-02-30}
        """, (7, 19, "entries[0].valid.from", "'2025-02-30' is not a date (YYYY-MM-DD)"),
        id="bad-date"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY
            except: [2025-09-02, 2 September]
        """, (7, 26, "entries[0].except[1]", "'2 September' is not a date"), id="bad-exdate"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY
            valid: {from: 2025-12-31, until: 2025-01-01}
        """, (7, 38, "entries[0].valid.until", "2025-01-01 is before valid.from 2025-12-31"),
        id="until-before-from"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - silence: a while
        """, (5, 18, "programmes[0].items[0].silence", "'a while' is not a duration"),
        id="bad-duration"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - silence: 0s
        """, (5, 18, "programmes[0].items[0].silence", "more than 0"), id="zero-duration"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=WEEKLY;BYDAY=XX
        """, (6, 12, "entries[0].rrule", "'FREQ=WEEKLY;BYDAY=XX' is not a valid RRULE: invalid "
                                         "'BYDAY': XX"), id="bad-rrule"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: BYDAY=MO
        """, (6, 12, "entries[0].rrule", "FREQ is missing"), id="rrule-without-freq"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=YEARLY;BYMONTH=13
        """, (6, 12, "entries[0].rrule", "BYMONTH=13 is out of range"), id="rrule-out-of-range"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY;UNTIL=20251231T000000Z
        """, (6, 12, "entries[0].rrule", "UNTIL must be a local date (no Z)"), id="rrule-utc-until"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=WEEKLY;INTERVAL=2
        """, (6, 12, "entries[0].rrule", "give valid.from"), id="rrule-interval-needs-anchor"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: "DTSTART:20250101T000000\\nRRULE:FREQ=DAILY"
        """, (6, 12, "entries[0].rrule", "write the rule only"), id="rrule-with-dtstart"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            rrule: FREQ=DAILY;MO
        """, (6, 12, "entries[0].rrule", "write NAME=VALUE parts separated by ';'"),
        id="rrule-bad-part"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
        """, (5, 12, "entries[0].start", "a one-off entry (no rrule) needs a full local date and "
                                         "time"), id="one-off-without-datetime"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00"
            rrule: FREQ=DAILY
        """, (5, 12, "entries[0].start", "a repeating entry starts at a wall-clock time"),
        id="recurring-with-datetime"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00"
            except: [2025-09-02]
        """, (6, 13, "entries[0].except", "only apply to a repeating entry"),
        id="except-on-one-off"),
    pytest.param("""\
        entries:
          - id: e
            target: BS
            start: "2025-09-02T07:00"
        """, (2, 5, "entries[0].programme", "missing required key 'programme' (or clip)"),
        id="neither-programme-nor-clip"),
    pytest.param(f"""\
        entries:
          - id: e
            programme: p
            clip: {"b" * 64}
            target: BS
            start: "2025-09-02T07:00"
        """, (2, 5, "entries[0].programme", "give either programme or clip, not both"),
        id="programme-and-clip"),
    pytest.param("""\
        entries:
          - id: e
            clip: ABC
            target: BS
            start: "2025-09-02T07:00"
        """, (3, 11, "entries[0].clip", "64 lowercase hexadecimal digits"), id="bad-clip"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00"
            priority: urgent
        """, (6, 15, "entries[0].priority", "'urgent' is not one of normal, high, emergency"),
        id="bad-priority"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00"
            on_collision: later
        """, (6, 19, "entries[0].on_collision", "'later' is not one of preempt, after, drop"),
        id="bad-policy"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "2025-09-02T07:00"
            slot_minutes: 0
        """, (6, 19, "entries[0].slot_minutes", "at least 1, got '0'"), id="bad-slot"),
    pytest.param("""\
        stations:
          - code: X
            name: X
            timezone: Asia/Hanoi
        """, (4, 15, "stations[0].timezone", "unknown time zone 'Asia/Hanoi'"), id="bad-timezone"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - {}
        """, (5, 9, "programmes[0].items[0]", "an item holds exactly one of jingle, ident, "
                                              "document, text, file, silence, relay"),
        id="item-without-kind"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - jingle: mo-dau
                text: Xin chào
        """, (5, 9, "programmes[0].items[0]", "this one has jingle and text"), id="item-two-kinds"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - mo-dau
        """, (5, 9, "programmes[0].items[0]", "such as 'jingle: mo-dau'"), id="item-not-mapping"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - jingle:
        """, (5, 9, "programmes[0].items[0].jingle", "'jingle' has no value"), id="item-empty"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - relay: {duration: 30m}
        """, (5, 16, "programmes[0].items[0].relay.url", "missing required key 'url'"),
        id="relay-without-url"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - relay: {url: "http://radio.example.vn/live.mp3"}
        """, (5, 16, "programmes[0].items[0].relay.duration", "missing required key 'duration'"),
        id="relay-without-duration"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - relay: {url: radio.example.vn, duration: 30m}
        """, (5, 22, "programmes[0].items[0].relay.url", "is not a stream URL"),
        id="relay-bad-url"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - ident: "Đây là {ten}"
        """, (5, 16, "programmes[0].items[0].ident", "may only use {name} and {code}; found "
                                                    "'ten'"), id="ident-placeholder"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - ident: {name}
        """, (5, 16, "programmes[0].items[0].ident", "must be text, not a mapping (text "
                                                    "holding '{'"), id="ident-unquoted"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - file: ../../etc/passwd
        """, (5, 15, "programmes[0].items[0].file", "is not a relative file path"),
        id="file-outside"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items:
              - relay: {url: "http://x.vn/live", duration: 1m, fallback: "jingle:../x"}
        """, (5, 66, "programmes[0].items[0].relay.fallback",
              "is not a relative file path (no '..') or jingle:NAME"), id="fallback-outside"),
    pytest.param("""\
        programmes:
          - code: q
            title: Q
            items: []
        """, (4, 12, "programmes[0].items", "at least one item"), id="no-items"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: ward
            rules: {hours: "21:00-05:00"}
        """, (5, 20, "groups[0].rules.hours", "'21:00-05:00' ends before it starts"),
        id="hours-reversed"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: ward
            rules: {hours: 5h-21h}
        """, (5, 20, "groups[0].rules.hours", "is not a range of hours like 05:00-21:00"),
        id="hours-malformed"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: ward
            rules: {max_sessions_per_day: 0}
        """, (5, 35, "groups[0].rules.max_sessions_per_day", "at least 1"), id="rule-zero"),
    pytest.param("""\
        groups:
          - code: X
            name: X
            kind: ward
            rules: {max_minutes: 15}
        """, (5, 13, "groups[0].rules.max_minutes", "valid keys: hours, max_session_minutes, "
                                                    "max_sessions_per_day"), id="rule-unknown"),
    pytest.param("""\
        entries:
          - id: e
            programme: p
            target: BS
            start: "06:00"
            start: "07:00"
            rrule: FREQ=DAILY
        """, (6, 5, "entries[0].start", "key 'start' is given twice (first at line 5)"),
        id="key-twice"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_each_rule_gives_one_located_problem(check: Check, base: Path, text: str,
                                             expected: tuple[int, int, str, str]) -> None:
    line, column, field, message = expected
    problems = check(text)
    assert [(p.loc.line, p.field) for p in problems] == [(line, field)], problems
    problem = problems[0]
    assert problem.loc.file.endswith("case.yaml")
    assert problem.loc.column == column, problem
    assert message.replace("{base}", str(base)) in problem.message


def test_many_problems_in_one_file_are_all_reported(check: Check) -> None:
    problems = check("""\
        groups:
          - code: X
            name: X
            kind: district
        stations:
          - code: Y
            name: Y
            group: BS-Q
        programmes:
          - code: q
            title: Q
            items: [{}]
        entries:
          - id: e
            programme: q
            target: Y
            start: "25:00"
            rrule: FREQ=DAILY
            priority: urgent
          - id: e
            programme: nothing
            target: X
            start: "06:00"
        """)
    assert [(p.loc.line, p.field) for p in problems] == [
        (4, "groups[0].kind"),
        (8, "stations[0].group"),
        (12, "programmes[0].items[0]"),
        (17, "entries[0].start"),
        (19, "entries[0].priority"),
        (20, "entries[1].id"),
        (21, "entries[1].programme"),
        (23, "entries[1].start"),
    ]


def test_problems_span_files_in_order(tmp_path: Path, base: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text("groups: [{code: BS-A, name: again, kind: commune}]\n", encoding="utf-8")
    two = tmp_path / "two.yaml"
    two.write_text("entries: [{id: e, programme: p, target: BS, start: '99:00', "
                   "rrule: FREQ=DAILY}]\n", encoding="utf-8")
    problems = validate([base, one, two])
    assert [str(p) for p in problems] == [
        f"{one}:1:17: groups[0].code: 'BS-A' is already used by the group 'BS-A' at {base}:6:11",
        f"{two}:1:52: entries[0].start: '99:00' is not a time (HH:MM)",
    ]


def test_load_raises_with_every_problem(check: Check, tmp_path: Path, base: Path) -> None:
    text = """\
        groups:
          - {code: X, name: X, kind: district}
          - {code: Y, name: Y, kind: commune, parent: NOWHERE}
        """
    case = tmp_path / "case.yaml"
    case.write_text(dedent(text), encoding="utf-8")
    with pytest.raises(ScheduleError) as caught:
        load_schedule([base, case])
    error = caught.value
    assert isinstance(error, InputError)
    assert len(error.problems) == 2
    assert str(error).splitlines() == [str(p) for p in error.problems]
    assert error.problems == check(text)


SYNTAX = [
    pytest.param("groups:\n  - code: BS\n    name: \"Tỉnh\n    kind: province\n",
                 (5, 1, "found unexpected end of stream"), id="open-quote"),
    pytest.param("groups:\n  - code BS\n    name: X\n",
                 (3, 9, "mapping values are not allowed here (is a ':' missing"), id="no-colon"),
    pytest.param("groups:\n\t- code: BS\n", (2, 1, "indent with spaces, not tabs"), id="tab"),
    pytest.param("groups: []\n---\nentries: []\n", (2, 1, "remove the '---' line"),
                 id="two-documents"),
    pytest.param("entries:\n  - {id: e, target: [a\n", (3, 1, "expected ',' or ']'"),
                 id="open-bracket"),
    pytest.param("groups:\n  - code: B\x07S\n", (2, 12, "control character U+0007"),
                 id="control-character"),
]


@pytest.mark.parametrize(("text", "expected"), SYNTAX)
def test_yaml_syntax_errors_are_located(tmp_path: Path, text: str,
                                        expected: tuple[int, int, str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    problems = validate([path])
    assert len(problems) == 1, problems
    line, column, message = expected
    assert (problems[0].loc.line, problems[0].loc.column, problems[0].field) == (line, column, "")
    assert message in problems[0].message


def test_unreadable_files(tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b"groups:\n  - name: X\xe3 T\xe2n Ti\xean\n")  # Windows-1258 bytes
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n", encoding="utf-8")
    problems = validate([latin, empty, missing, listed])
    assert [(p.loc.file, p.loc.line) for p in problems] == [
        (str(latin), 2), (str(empty), 0), (str(missing), 0), (str(listed), 1)]
    assert "not UTF-8" in problems[0].message
    assert "holds no schedule" in problems[1].message
    assert "cannot read the file" in problems[2].message
    assert "the file must be a mapping" in problems[3].message


def test_utf8_bom_and_decomposed_vietnamese_are_accepted(tmp_path: Path) -> None:
    import unicodedata

    path = tmp_path / "bom.yaml"
    nfd = unicodedata.normalize("NFD", "Xã Tân Tiến")
    path.write_bytes(b"\xef\xbb\xbf" + f"groups: [{{code: X, name: {nfd}, kind: commune}}]\n"
                     .encode())
    assert load_schedule([path]).groups[0].name == "Xã Tân Tiến"


def test_anchors_repeat_values(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(dedent("""\
        groups:
          - {code: A, name: A, kind: ward, rules: &urban {max_session_minutes: 15}}
          - {code: B, name: B, kind: ward, rules: *urban}
        """), encoding="utf-8")
    spec = load_schedule([path])
    assert spec.groups[0].rules == spec.groups[1].rules == Rules(None, 15, None)


def test_rrule_prefix_and_case_are_normalised(tmp_path: Path, base: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("entries: [{id: e, programme: p, target: BS, start: '06:00', "
                    "rrule: 'RRULE:freq=weekly;byday=mo,th'}]\n", encoding="utf-8")
    assert load_schedule([base, case]).entries[0].rrule == "FREQ=WEEKLY;BYDAY=MO,TH"


def test_every_key_and_choice_is_documented() -> None:
    from broadcaster.schedule import yamlfile
    from broadcaster.schedule.spec import COLLISION_POLICIES, ITEM_KINDS, PRIORITIES

    text = (REPO / "docs" / "schedules.md").read_text(encoding="utf-8")
    words = [*yamlfile.SECTIONS, *yamlfile.GROUP_KEYS, *yamlfile.STATION_KEYS,
             *yamlfile.PROGRAMME_KEYS, *yamlfile.ENTRY_KEYS, *yamlfile.RELAY_KEYS,
             *yamlfile.VALID_KEYS, *stations.RULE_KEYS, *ITEM_KINDS, *GROUP_KINDS,
             *STATION_KINDS, *PRIORITIES, *COLLISION_POLICIES]
    missing = [w for w in words if f"`{w}" not in text]
    assert missing == []
