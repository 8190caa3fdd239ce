"""The agent's own small configuration: defaults < TOML file (``--config``) < flags.

One table (:data:`SETTINGS`: name, default, help) drives the file, the command-line help and
validation, and docs/agent.md lists every entry (a test checks it). The agent needs nothing of
the server's configuration or database.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broadcaster.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One agent setting: its name, type, default and one line of help."""

    name: str
    kind: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("server", str, "", "Base URL of the province's server, e.g. https://dai.example.vn."),
    Setting("station", str, "", "This station's code, e.g. TANTIEN-01."),
    Setting("token_file", Path, None, "File holding the station's secret token (mode 0600)."),
    Setting("cache", Path, None, "Folder for the playlist, media, report queue and state."),
    Setting("player", str, "auto", "Player backend: auto (the first installed of mpv, ffplay, "
            "aplay) or a player's name."),
    Setting("player_path", str, "", "Path of the player program (default: found on PATH)."),
    Setting("audio_device", str, "", "Audio output for mpv (--audio-device) or aplay (-D)."),
    Setting("sink_dir", Path, None, "Folder the file player writes plays.jsonl and media to."),
    Setting("fallback", list, [], "Local files or folders played in a loop to fill gaps."),
    Setting("wait_s", int, 55, "Long-poll: how long the server may hold a playlist request."),
    Setting("timeout_s", float, 15.0, "Network timeout (connect, and reads beyond the poll)."),
    Setting("backoff_min_s", float, 1.0, "First retry delay after a network error."),
    Setting("backoff_max_s", float, 300.0, "Longest retry delay (jitter is added below it)."),
    Setting("heartbeat_s", float, 60.0, "Send a heartbeat at least this often."),
    Setting("max_bytes_per_s", int, 0, "Download bandwidth limit in bytes/s (0: none)."),
    Setting("media_grace_hours", float, 24.0, "Keep media no longer in the playlist this long."),
    Setting("relay_retries", int, 3, "Reconnects to a dropped live stream before the fallback."),
    Setting("relay_retry_s", float, 2.0, "Pause between reconnects to a live stream."),
    Setting("log_level", str, "info", "debug, info, warning or error."),
)
NAMES = {s.name: s for s in SETTINGS}
LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class AgentSettings:
    """The agent's settings, typed and checked (see :data:`SETTINGS`)."""

    server: str = ""
    station: str = ""
    token_file: Path | None = None
    cache: Path | None = None
    player: str = "auto"
    player_path: str = ""
    audio_device: str = ""
    sink_dir: Path | None = None
    fallback: tuple[Path, ...] = ()
    wait_s: int = 55
    timeout_s: float = 15.0
    backoff_min_s: float = 1.0
    backoff_max_s: float = 300.0
    heartbeat_s: float = 60.0
    max_bytes_per_s: int = 0
    media_grace_hours: float = 24.0
    relay_retries: int = 3
    relay_retry_s: float = 2.0
    log_level: str = "info"

    @property
    def cache_dir(self) -> Path:
        """The cache folder (checked present by :func:`load_settings`)."""
        assert self.cache is not None
        return self.cache


def _convert(setting: Setting, value: Any, base: Path | None) -> Any:
    where = f"agent setting {setting.name!r}"
    if setting.kind is Path:
        if not isinstance(value, str | Path) or not str(value):
            raise ConfigError(f"{where} must be a path, got {value!r}")
        path = Path(value).expanduser()
        return base / path if base is not None and not path.is_absolute() else path
    if setting.kind is list:
        values = value.split(":") if isinstance(value, str) else value
        if not isinstance(values, list | tuple) or not all(isinstance(v, str | Path)
                                                           for v in values):
            raise ConfigError(f"{where} must be a list of paths, got {value!r}")
        return tuple(_convert(Setting(setting.name, Path, None, ""), v, base)
                     for v in values if str(v))
    if setting.kind in (int, float):
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        try:
            number = setting.kind(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a number, got {value!r}") from None
        if number < 0:
            raise ConfigError(f"{where} must not be negative, got {value!r}")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be text, got {value!r}")
    return value


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
    values: dict[str, Any] = {}
    sources: list[tuple[Mapping[str, Any], Path | None, str]] = []
    if config_file is not None:
        sources.append((read_file(config_file), config_file.parent, str(config_file)))
    sources.append(({k: v for k, v in (flags or {}).items() if v not in (None, (), [])},
                    None, "the command line"))
    for data, base, origin in sources:
        for key, value in data.items():
            if key not in NAMES:
                raise ConfigError(f"unknown agent setting {key!r} in {origin}; valid settings: "
                                  f"{', '.join(NAMES)}")
            values[key] = _convert(NAMES[key], value, base)
    settings = AgentSettings(**values)
    missing = [name for name in require if not getattr(settings, name)]
    if missing:
        raise ConfigError("the agent needs " + ", ".join(
            f"--{n.replace('_', '-')}" for n in missing) + " (as options or in --config)")
    return _checked(settings)


def _checked(settings: AgentSettings) -> AgentSettings:
    from broadcaster.agent.players import player_choices  # the registry (imports this module)

    if settings.player not in (choices := player_choices()):
        raise ConfigError(f"unknown player {settings.player!r}; valid players: "
                          f"{', '.join(choices)}")
    if settings.player == "file" and settings.sink_dir is None:
        raise ConfigError("the file player needs --sink-dir DIR")
    if settings.log_level not in LOG_LEVELS:
        raise ConfigError(f"agent setting 'log_level' must be one of {', '.join(LOG_LEVELS)}, "
                          f"got {settings.log_level!r}")
    if settings.server and not settings.server.startswith(("http://", "https://")):
        raise ConfigError(f"agent setting 'server' must be an http:// or https:// URL, got "
                          f"{settings.server!r}")
    if not 1 <= settings.wait_s <= 60:
        raise ConfigError(f"agent setting 'wait_s' must be between 1 and 60 (the server holds "
                          f"a request at most 60 s), got {settings.wait_s}")
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
