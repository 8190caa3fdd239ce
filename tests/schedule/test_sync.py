"""schedule validate / apply / export through the CLI, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from broadcaster.schedule.yamlfile import load_schedule

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "schedules" / "binh-son.yaml"


@pytest.fixture
def run(cli):  # type: ignore[no-untyped-def]
    return cli


def test_example_province_validates_applies_and_exports(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("schedule", "validate", str(EXAMPLE)).stdout.strip().endswith(": valid")
    first = run("schedule", "apply", str(EXAMPLE)).stdout.splitlines()
    added = [line for line in first if line.startswith("added")]
    spec = load_schedule([EXAMPLE])
    assert len(added) == len(spec.groups) + len(spec.stations) + len(spec.programmes) \
        + len(spec.entries)
    assert len([s for s in spec.stations if s.kind == "loudspeaker"]) >= 20
    assert run("schedule", "apply", str(EXAMPLE)).stdout.strip() == \
        "nothing to change: the database already matches"
    out = tmp_path / "export.yaml"
    run("schedule", "export", "-o", str(out))
    exported, original = load_schedule([out]), load_schedule([EXAMPLE])
    for part in ("groups", "stations", "programmes", "entries"):
        key = "id" if part == "entries" else "code"
        assert sorted(getattr(exported, part), key=lambda x: getattr(x, key)) == \
            sorted(getattr(original, part), key=lambda x: getattr(x, key)), part
    # Former codes resolve after apply.
    aliased = next(g for g in spec.groups if g.aliases)
    shown = run("groups", "show", aliased.aliases[0].code, "--json").stdout
    assert f'"code": "{aliased.code}"' in shown


def test_apply_changes_and_removes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("schedule", "apply", str(EXAMPLE))
    text = EXAMPLE.read_text(encoding="utf-8")
    spec = load_schedule([EXAMPLE])
    entry = spec.entries[-1]
    # Drop the last entry and rename one station.
    station = spec.stations[0]
    edited = text.replace(station.name, station.name + " (mới)", 1)
    cut = edited.index(f"id: {entry.id}")
    edited = edited[:edited.rindex("\n  - ", 0, cut)] + "\n"
    path = tmp_path / "edited.yaml"
    path.write_text(edited, encoding="utf-8")
    lines = run("schedule", "apply", str(path)).stdout.splitlines()
    assert f"changed  station {station.code}" in lines
    assert f"removed  entry {entry.id}" in lines
    assert lines[-1] == "0 added, 1 changed, 1 removed"


def test_bad_file_reports_file_line_and_field(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("entries:\n  - id: x\n    programme: p\n    target: NOPE\n"
                   "    start: '25:00'\n    rrule: FREQ=DAILY\n", encoding="utf-8")
    result = run("schedule", "validate", str(bad), code=1)
    assert f"{bad}:5:" in result.stderr and "entries[0].start" in result.stderr
    assert "NOPE" in result.stderr
    applied = run("schedule", "apply", str(bad), code=1)
    assert "entries[0].start" in applied.stderr
    assert "no stations yet" in run("stations", "list").stdout


def test_validate_checks_the_rules_it_can_see_in_the_files(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = EXAMPLE.read_text(encoding="utf-8")
    late = tmp_path / "late.yaml"
    late.write_text(text + "  - {id: dem, programme: thoi-su-sang, target: BS-XA, "
                           "start: '21:30', rrule: FREQ=DAILY}\n"
                           "  - {id: bao-dem, programme: thoi-su-sang, target: BS-XA, "
                           "start: '2030-01-01T23:00', priority: emergency}\n"
                           "  - {id: dai, programme: thoi-su-sang, target: BS-PHUONG, "
                           "start: '06:00', rrule: FREQ=DAILY, slot_minutes: 60}\n",
                    encoding="utf-8")
    result = run("schedule", "validate", str(late), code=1)
    lines = result.stderr.splitlines()
    assert any(".start: 21:30 is outside the allowed hours 05:00-21:00" in line for line in lines)
    assert any(".slot_minutes: a 60-minute slot is longer than the 15 minutes" in line
               for line in lines)
    assert not any("bao-dem" in line for line in lines)  # emergencies are exempt
    assert lines[-1] == "2 problem(s) found"


@pytest.mark.slow
def test_example_province_publishes(run) -> None:  # type: ignore[no-untyped-def]
    """The README's walk through the example province, as an operator types it."""
    run("schedule", "apply", str(EXAMPLE))
    run("docs", "add", str(REPO / "docs" / "examples" / "nghi-quyet-tom-tat.md"))
    # 2026-12-03 is a Thursday: communes hear the morning news, the resolution and the evening.
    day = json.loads(run("schedule", "show", "--station", "TRUONGXUAN-01", "--date",
                         "2026-12-03", "--json").stdout)
    assert [i["entry"] for i in day["items"]] == ["xa-sang", "xa-nghi-quyet",
                                                  "xa-chieu-ngay-thuong"]
    assert not day["violations"]
    out = run("publish", "--days", "7").stdout.splitlines()
    assert out[-1] == "publication 1 published"
    spec = load_schedule([EXAMPLE])
    assert len([line for line in out if line.startswith("new ")]) == len(spec.stations)
    index = json.loads((run.home / "publications" / "current" / "index.json").read_text())
    assert set(index["stations"]) == {s.code for s in spec.stations}
    assert (run.home / "publications" / "current" / "channels" / "PTTH-BS.xml").is_file()
