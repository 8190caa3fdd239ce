"""``broadcaster agent``: the commune station agent, and ``agent status``.

Thin: the options come from the agent's settings table, the work from
:class:`broadcaster.agent.Agent`. Nothing here touches the server's configuration or database.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from broadcaster.agent import SETTINGS, format_status, load_settings, status
from broadcaster.cli import main
from broadcaster.errors import ConfigError

F = Callable[..., Any]


def _setting_options(command: F) -> F:
    """One option per agent setting (``--token-file``, ``--max-bytes-per-s``, ...)."""
    for setting in reversed(SETTINGS):
        flag = "--" + setting.name.replace("_", "-")
        if setting.type is list:
            option = click.option(flag, setting.name, multiple=True,
                                  type=click.Path(path_type=Path),
                                  help=setting.help + " Repeatable.")
        elif setting.type is Path:
            option = click.option(flag, setting.name, type=click.Path(path_type=Path),
                                  help=setting.help)
        else:
            option = click.option(flag, setting.name, type=setting.type,
                                  help=f"{setting.help} [default: {setting.default}]"
                                  if setting.default not in ("", None) else setting.help)
        command = option(command)
    return command


def _logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)


@main.group("agent", invoke_without_command=True,
            short_help="Run the station agent: pull, cache, play on time, report.")
@click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
              help="The agent's TOML file (settings as in docs/agent.md).")
@_setting_options
@click.pass_context
def agent_cmd(ctx: click.Context, config_file: Path | None, **flags: Any) -> None:
    """Run a commune station's agent until SIGTERM (or Ctrl-C).

    It long-polls the station's playlist, keeps the media verified in --cache, plays each
    item on time with --player (``file`` writes plays to --sink-dir instead), keeps playing
    from the cache while the server is unreachable, and reports what it played.

    \b
    broadcaster agent --server https://dai.example.vn --station TANTIEN-01 \\
        --token-file /etc/broadcaster/token --cache /var/lib/broadcaster-agent
    broadcaster agent status --cache /var/lib/broadcaster-agent
    """
    ctx.meta["agent_config"], ctx.meta["agent_flags"] = config_file, flags
    if ctx.invoked_subcommand is not None:
        return
    settings = load_settings(config_file, flags)
    try:
        from broadcaster.agent.runner import Agent  # needs httpx; the server's commands do not
    except ImportError as exc:
        raise ConfigError(f"the agent cannot start: the Python package {exc.name!r} is not "
                          f"installed (pip install {exc.name})") from None
    _logging(settings.log_level)
    agent = Agent(settings)

    def stop(signum: int, _: FrameType | None) -> None:
        logging.getLogger("broadcaster.agent").info("signal %d: stopping", signum)
        agent.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    agent.run()


@agent_cmd.command("status")
@click.option("--cache", type=click.Path(path_type=Path, file_okay=False),
              help="The agent's cache folder (or from --config).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status_cmd(ctx: click.Context, cache: Path | None, as_json: bool) -> None:
    """What the agent holds: publication, next items, media ready or missing, last contact,
    unsent reports. Works whether or not the agent runs."""
    flags = dict(ctx.meta.get("agent_flags") or {}) | {"cache": cache}
    settings = load_settings(ctx.meta.get("agent_config"), flags, require=("cache",))
    result = status(settings.cache_dir)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2))
    else:
        click.echo(format_status(result))
