"""The ``broadcaster`` command line: thin adapters that parse options, call plain functions and
print. Errors the operator can act on (:class:`BroadcasterError`) are printed as one sentence and
exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from broadcaster import __version__
from broadcaster.config import Config, load_config
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


# Each command's module, imported only when that command runs (or for --help): `broadcaster
# announce` then starts in 0.2 s instead of 2 s, and `broadcaster agent` on a station never
# imports the server's libraries.
COMMANDS = {
    "agent": "agent", "announce": "announce", "check": "check", "clips": "speech",
    "config": "admin",
    "db": "admin", "demo": "demo", "docs": "docs", "engines": "speech", "groups": "stations",
    "normalize": "speech", "programme": "programmes", "publications": "schedule",
    "publish": "schedule", "report": "report", "schedule": "schedule", "serve": "serve",
    "stations": "stations", "tts": "speech", "users": "users",
}


class BroadcasterGroup(click.Group):
    """The top command group: loads each command's module on first use, and turns
    BroadcasterError into a clear message and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"broadcaster.cli.{COMMANDS[cmd_name]}")  # registers it
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BroadcasterError as exc:
            click.echo(f"broadcaster: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


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
