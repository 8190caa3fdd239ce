"""The ``broadcaster`` command line: thin adapters that parse options, call plain functions and
print. Errors the operator can act on (:class:`BroadcasterError`) are printed as one sentence and
exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from broadcaster import __version__
from broadcaster.config import Config
from broadcaster.errors import BroadcasterError
from broadcaster.logs import setup_logging

if TYPE_CHECKING:
    from broadcaster.app import App


class Context:
    """Carries the global options; builds the config and the app on first use only."""

    def __init__(self, config_file: Path | None, flags: dict[str, Any]) -> None:
        self.config_file = config_file
        self.flags = flags
        self._config: Config | None = None
        self._app: App | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            # Here, not at the top: the table gathers the speech engines, which `agent` and
            # `--help` do not need.
            from broadcaster.settings_table import load_config

            self._config = load_config(self.config_file, flags=self.flags)
            setup_logging(self._config.log_level, self._config.log_format)
        return self._config

    @property
    def app(self) -> App:
        if self._app is None:
            from broadcaster.app import App  # the heavy part: only commands that need it

            self._app = App(self.config)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


# Each command's module, imported only when that command runs: `broadcaster announce` then
# starts in 0.2 s instead of 2 s, and `broadcaster agent` on a station never imports the
# server's libraries.
COMMANDS = {
    "agent": "agent", "announce": "announce", "check": "check", "clips": "speech",
    "config": "admin",
    "db": "admin", "demo": "demo", "docs": "docs", "engines": "speech", "groups": "stations",
    "normalize": "speech", "programme": "programmes", "publications": "schedule",
    "publish": "schedule", "report": "report", "schedule": "schedule", "serve": "serve",
    "stations": "stations", "tts": "speech", "users": "users",
}
# Each command's one line in `broadcaster --help`, so the list needs no command's module: a
# station's slim install (no server libraries) can print it. tests/test_cli.py keeps these the
# commands' own short help.
SHORT_HELP = {
    "agent": "Run the station agent: pull, cache, play on time, report.",
    "announce": "Speak and publish an announcement now or at a time.",
    "check": "Check that nothing is half-made, lost or doubled.",
    "clips": "List rendered clips and re-render fallback ones.",
    "config": "Show the effective configuration.",
    "db": "Create, migrate and inspect the database.",
    "demo": "Set up the example province offline, ready to serve.",
    "docs": "Add, list and show documents.",
    "engines": "List speech engines and whether they run here.",
    "groups": "Add, list and show groups of stations.",
    "normalize": "Print a text exactly as it will be spoken.",
    "programme": "Add, list, show and build programmes.",
    "publications": "List publications.",
    "publish": "Publish the next window for every station.",
    "report": "Reports: which stations received and played what.",
    "schedule": "Validate, apply, export and show schedules.",
    "serve": "Run the service: station HTTP API and scheduler.",
    "stations": "Add, list and show stations; issue tokens.",
    "tts": "Speak a file, doc:ID or text into a clip.",
    "users": "Add, change and list web UI users.",
}
SERVER_INSTALL = "pip install 'broadcaster[server]'"


def missing_library(exc: ModuleNotFoundError) -> str:
    """The third-party library an import could not find, or "" when it is one of ours."""
    missing = (exc.name or "").partition(".")[0]
    return "" if missing == "broadcaster" else missing


def say_server_needed(name: str, missing: str) -> NoReturn:
    """Tell the operator that command ``name`` needs the server install, and exit 2."""
    click.echo(f"broadcaster: lỗi: lệnh '{name}' cần bản máy chủ (thiếu thư viện {missing}); "
               f"hãy cài: {SERVER_INSTALL}\n"
               f"broadcaster: error: the '{name}' command needs the server install "
               f"({missing} is missing): {SERVER_INSTALL}", err=True)
    sys.exit(2)


def needs_server(name: str, missing: str) -> click.Command:
    """The stand-in for a command whose module cannot be imported because a library of the
    server install is missing (a station's slim install): it says so and exits 2."""
    return click.Command(name, callback=lambda args: say_server_needed(name, missing),
                         add_help_option=False, short_help=SHORT_HELP.get(name),
                         params=[click.Argument(["args"], nargs=-1, type=click.UNPROCESSED)],
                         context_settings={"ignore_unknown_options": True})


class BroadcasterGroup(click.Group):
    """The top command group: loads each command's module on first use, and turns
    BroadcasterError into a clear message and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            try:
                importlib.import_module(f"broadcaster.cli.{COMMANDS[cmd_name]}")  # registers it
            except ModuleNotFoundError as exc:
                if not missing_library(exc):
                    raise
                return needs_server(cmd_name, missing_library(exc))
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from ``SHORT_HELP``, without importing any command's module."""
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BroadcasterError as exc:
            click.echo(f"broadcaster: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except ModuleNotFoundError as exc:  # a command importing a server library as it runs
            if not missing_library(exc):
                raise
            say_server_needed(ctx.invoked_subcommand or "", missing_library(exc))


pass_ctx = click.make_pass_decorator(Context)


def echo_json(data: Any) -> None:
    """Print data as indented JSON, Vietnamese kept readable."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def echo_fields(info: dict[str, Any], keys: tuple[str, ...]) -> None:
    """Print ``key: value`` lines for the keys that have a value."""
    for key in keys:
        value = info.get(key)
        if value not in (None, "", []):
            click.echo(f"{key + ':':<10} {value}")


@click.group(cls=BroadcasterGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="broadcaster")
@click.option("--config", "config_file", type=click.Path(path_type=Path),
              help="Config file (default: ./broadcaster.toml, or $BROADCASTER_CONFIG).")
@click.option("--home", type=click.Path(path_type=Path),
              help="Folder for database, media and logs (default ./var).")
@click.option("--database-url", help="SQLAlchemy database URL (default: SQLite in HOME).")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, home: Path | None,
         database_url: str | None) -> None:
    """broadcaster: speech, schedules and playlists for Vietnamese radio, TV and commune
    loudspeakers."""
    obj = Context(config_file, {"home": home, "database_url": database_url})
    ctx.obj = obj
    ctx.call_on_close(obj.close)
