"""The agent's own small configuration: defaults < TOML file (``--config``) < flags.

Each setting is declared once, as a field of :class:`AgentSettings` (default, help, checks) with
the same stdlib-only mechanism as the server's (:mod:`broadcaster.settings`, a core module);
:data:`SETTINGS` reads them back and drives the file, the command-line options and validation,
and docs/agent.md lists every entry (a test checks it). No environment variables; relative paths
in the file are read from the file's folder; the file may hold an ``[agent]`` table. The agent
needs nothing of the server's configuration or database.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcaster.errors import ConfigError
from broadcaster.settings import (
    Layers,
    Setting,
    between,
    http_url,
    not_negative,
    one_of,
    setting,
    table,
)

WORDS = {int: "a number", float: "a number", str: "text", Path: "a path",
         list: "a list of paths"}
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class AgentSettings:
    """The agent's settings, typed and checked; each field declares one (see :data:`SETTINGS`)."""

    server: str = setting("", "Base URL of the province's server, e.g. https://dai.example.vn.",
                          http_url)
    station: str = setting("", "This station's code, e.g. TANTIEN-01.")
    token_file: Path | None = setting(None, "File holding the station's secret token "
                                      "(mode 0600).", of=Path)
    cache: Path | None = setting(None, "Folder for the playlist, media, report queue and state.",
                                 of=Path)
    player: str = setting("auto", "Player backend: auto (the first installed of mpv, ffplay, "
                          "aplay) or a player's name.")
    player_path: str = setting("", "Path of the player program (default: found on PATH).")
    audio_device: str = setting("", "Audio output for mpv (--audio-device) or aplay (-D).")
    sink_dir: Path | None = setting(None, "Folder the file player writes plays.jsonl and media "
                                    "to.", of=Path)
    fallback: tuple[Path, ...] = setting((), "Local files or folders played in a loop to fill "
                                         "gaps.", of=list)
    wait_s: int = setting(55, "Long-poll: how long the server may hold a playlist request.",
                          not_negative,
                          between(1, 60, " (the server holds a request at most 60 s)"))
    timeout_s: float = setting(15.0, "Network timeout (connect, and reads beyond the poll).",
                               not_negative)
    backoff_min_s: float = setting(1.0, "First retry delay after a network error.",
                                   not_negative)
    backoff_max_s: float = setting(300.0, "Longest retry delay (jitter is added below it).",
                                   not_negative)
    heartbeat_s: float = setting(60.0, "Send a heartbeat at least this often.", not_negative)
    max_bytes_per_s: int = setting(0, "Download bandwidth limit in bytes/s (0: none).",
                                   not_negative)
    media_grace_hours: float = setting(24.0, "Keep media no longer in the playlist this long.",
                                       not_negative)
    relay_retries: int = setting(3, "Reconnects to a dropped live stream before the fallback.",
                                 not_negative)
    relay_retry_s: float = setting(2.0, "Pause between reconnects to a live stream.",
                                   not_negative)
    log_level: str = setting("info", "debug, info, warning or error.",
                             one_of(*LOG_LEVELS, say="one of " + ", ".join(LOG_LEVELS)))

    @property
    def cache_dir(self) -> Path:
        """The cache folder (checked present by :func:`load_settings`)."""
        assert self.cache is not None
        return self.cache


SETTINGS: tuple[Setting, ...] = table(AgentSettings)


def read_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file (top level, or an ``[agent]`` table)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"agent config file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"agent config file {path} cannot be read: {exc}") from None
    data = data.get("agent", data) if isinstance(data.get("agent"), dict) else data
    return {key.replace("-", "_"): value for key, value in data.items()}


def load_settings(config_file: Path | None = None, flags: Mapping[str, Any] | None = None,
                  require: tuple[str, ...] = ("server", "station", "token_file", "cache")
                  ) -> AgentSettings:
    """Defaults < ``config_file`` < ``flags`` (``None`` flags are unset); checked.

    Relative paths in the file are read from the file's folder.
    """
    layers = Layers(SETTINGS, label="agent setting", words=WORDS)
    if config_file is not None:
        layers.from_mapping(read_file(config_file), str(config_file), base=config_file.parent)
    layers.from_flags(flags or {})
    settings = AgentSettings(**layers.values)
    missing = [name for name in require if not getattr(settings, name)]
    if missing:
        raise ConfigError("the agent needs " + ", ".join(
            f"--{n.replace('_', '-')}" for n in missing) + " (as options or in --config)")
    layers.check()
    return _checked(settings)


def _checked(settings: AgentSettings) -> AgentSettings:
    from broadcaster.agent.players import player_choices  # the registry (imports this module)

    if settings.player not in (choices := player_choices()):
        raise ConfigError(f"unknown player {settings.player!r}; valid players: "
                          f"{', '.join(choices)}")
    if settings.player == "file" and settings.sink_dir is None:
        raise ConfigError("the file player needs --sink-dir DIR")
    if settings.backoff_max_s < settings.backoff_min_s:
        raise ConfigError("agent setting 'backoff_max_s' is smaller than 'backoff_min_s'")
    return dataclasses.replace(settings, server=settings.server.rstrip("/"))


def read_token(path: Path) -> str:
    """The station token in ``path`` (surrounding whitespace removed)."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"the token file {path} cannot be read: {exc.strerror}") from None
    if not token:
        raise ConfigError(f"the token file {path} is empty")
    return token
