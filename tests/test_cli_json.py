"""One convention for every command: whatever lists or shows takes ``--json`` and prints JSON.

The test walks the click command tree: every command is either a listing (it must accept
``--json``, and is run with it on a small database) or an action named below with the reason
it prints no listing. A new command must be put in one of the two.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from broadcaster.cli import COMMANDS, main
from tests.conftest import EXAMPLE

SCHEDULE = """
groups:
  - {code: BS, name: Tỉnh Bình Sơn, kind: province}
  - {code: BS-TANTIEN, name: Xã Tân Tiến, kind: commune, parent: BS}
stations:
  - {code: TANTIEN-01, name: Đài truyền thanh xã Tân Tiến, group: BS-TANTIEN}
programmes:
  - code: ban-tin
    title: Bản tin sáng
    items:
      - text: "Sau đây là bản tin buổi sáng."
entries:
  - {id: sang, programme: ban-tin, target: BS, start: "06:00", rrule: FREQ=DAILY}
"""

# Listing and showing commands, in the order they run, with the arguments they need here.
LISTINGS: dict[str, list[str]] = {
    "config show": [],
    "engines": [],
    "docs list": [],
    "docs show": ["1"],
    "groups list": [],
    "groups show": ["BS"],
    "stations list": [],
    "stations show": ["TANTIEN-01"],
    "programme list": [],
    "programme show": ["ban-tin"],
    "schedule show": ["--station", "TANTIEN-01", "--date", "2030-03-04"],
    "publish": ["--days", "1"],
    "publications": [],
    "report coverage": ["--since", "2030-03-04", "--until", "2030-03-05"],
    "clips list": [],
    "users list": [],
    "agent status": ["--cache", "{tmp}/cache"],
    "check": [],
}
ACTIONS = {
    "agent": "runs the station agent until it is stopped",
    "announce": "makes an announcement (prints its id; --json prints what was done)",
    "clips rerender": "speaks clips again",
    "db init": "migrates the database and says so in one line",
    "demo": "sets up the example province",
    "docs add": "stores documents (--json prints what was stored)",
    "groups add": "adds a group",
    "normalize": "prints the text as it will be spoken, for reading",
    "programme add": "adds a programme",
    "programme build": "builds a programme (--json prints the clip made)",
    "schedule add": "adds or changes an entry",
    "schedule apply": "makes the database match the files",
    "schedule export": "prints YAML, the format schedule apply reads",
    "schedule remove": "removes an entry",
    "schedule validate": "checks files; problems go to stderr with their line",
    "serve": "runs the service until it is stopped",
    "stations add": "adds a station",
    "stations token": "prints a new secret token alone, for $(...)",
    "tts": "speaks into a clip (--json prints the clip made)",
    "users add": "adds a user",
    "users password": "sets a password (asked twice, never echoed)",
    "users role": "changes a user's role and ends their sessions",
    "users signout": "ends every session of a user",
}


def walk(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
    """Every command under ``group`` by its full name; a group that runs on its own (``agent``)
    counts as a command too."""
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                yield full, command
            yield from walk(command, f"{full} ")
        else:
            yield full, command


@pytest.fixture(scope="module")
def commands() -> dict[str, click.Command]:
    for module in set(COMMANDS.values()):
        importlib.import_module(f"broadcaster.cli.{module}")
    return dict(walk(main))


def test_every_command_is_a_listing_or_a_named_action(commands: dict[str, click.Command]) -> None:
    assert not set(LISTINGS) & set(ACTIONS)
    assert sorted(set(commands) - set(LISTINGS) - set(ACTIONS)) == [], \
        "a new command: add it to LISTINGS (with --json) or ACTIONS (with the reason)"
    assert sorted((set(LISTINGS) | set(ACTIONS)) - set(commands)) == []
    without = [name for name in LISTINGS
               if not any("--json" in p.opts for p in commands[name].params)]
    assert without == [], "every command that lists or shows takes --json"


def test_every_listing_prints_json(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    cli("docs", "add", str(EXAMPLE))
    for name, args in LISTINGS.items():
        argv = [*name.split(), *(a.replace("{tmp}", str(tmp_path)) for a in args), "--json"]
        out = cli(*argv).stdout
        try:
            json.loads(out)
        except ValueError as exc:
            pytest.fail(f"broadcaster {' '.join(argv)} printed no JSON ({exc}): {out[:300]}")


def test_report_coverage_keeps_format(cli) -> None:  # type: ignore[no-untyped-def]
    period = ["report", "coverage", "--since", "2030-03-04", "--until", "2030-03-05"]
    assert json.loads(cli(*period, "--format", "json").stdout) == \
        json.loads(cli(*period, "--json").stdout)
    assert cli(*period, "--format", "csv").stdout.startswith("code,name,group,")
    assert "two formats" in cli(*period, "--json", "--format", "csv", code=2).stderr
