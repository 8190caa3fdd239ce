"""One typed, frozen configuration object.

Every setting is declared once in ``SETTINGS`` (name, type, default, help). That table drives
the ``broadcaster.toml`` file, the ``BROADCASTER_*`` environment variables, the ``config show``
command, validation and ``docs/configuration.md`` (a test fails when a setting is undocumented).

Precedence: defaults < ``broadcaster.toml`` < ``BROADCASTER_*`` environment < command-line flags.

Output profiles (how clips are encoded and how loud they are) live in ``[profiles.NAME]`` tables
of the same file; the built-in ``loudspeaker`` and ``radio`` profiles can be overridden field by
field and new ones added.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broadcaster.errors import ConfigError
from broadcaster.xmltv_ids import DEFAULT_DOMAIN, is_dns_name, parse_overrides

ENV_PREFIX = "BROADCASTER_"
CONFIG_FILE = "broadcaster.toml"


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, type, default and a one-line help."""

    name: str
    type: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", Path, Path("var"), "Folder for the database, media store and logs."),
    Setting(
        "database_url",
        str,
        "",
        "SQLAlchemy URL; empty means SQLite at HOME/broadcaster.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.",
    ),
    Setting("engines", str, "gtts,espeak", "Speech engine fallback chain, best first."),
    Setting("profile", str, "loudspeaker", "Default output profile for clips."),
    Setting("dialect", str, "north", "Number reading: north (linh, nghìn) or south (lẻ, ngàn)."),
    Setting("lexicon", str, "", "Extra lexicon files (TSV), separated by ':'; later ones win."),
    Setting("max_document_bytes", int, 2_000_000, "Largest document file accepted, in bytes."),
    Setting("espeak_voice", str, "vi", "espeak-ng voice: vi, vi-vn-x-central or vi-vn-x-south."),
    Setting("piper_model", str, "", "Path to the piper voice model (.onnx) the operator supplies."),
    Setting("gtts_tld", str, "com.vn", "Google host suffix used by gTTS."),
    Setting("gtts_timeout", float, 10.0, "Seconds to wait for one gTTS request."),
    Setting("gtts_retries", int, 4, "Retries on 429/5xx before gTTS counts as down."),
    Setting("gtts_min_interval", float, 0.3, "Seconds between two gTTS requests (throttle)."),
    Setting("audio_dir", str, "", "Folder of jingles and tones; empty means the shipped audio/."),
    Setting("ffmpeg", str, "", "ffmpeg binary; empty means the one shipped by imageio-ffmpeg."),
    Setting("log_level", str, "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting("log_format", str, "text", "Log lines: text (one readable line) or json (one object)."),
    Setting("host", str, "127.0.0.1", "Address `serve` listens on."),
    Setting("port", int, 8080, "Port `serve` listens on."),
    Setting("inbox_dir", str, "", "Folder watched for new summaries; empty means HOME/inbox."),
    Setting("inbox_interval_s", float, 10.0, "Seconds between two looks at the inbox."),
    Setting("render_lead_hours", float, 48.0, "Render programmes this many hours before air."),
    Setting("publish_interval_minutes", float, 60.0, "Scheduled publication every N minutes."),
    Setting("publish_window_hours", float, 48.0, "Publications cover now to now + N hours."),
    Setting("offline_after_minutes", float, 15.0, "A station silent this long is offline."),
    Setting("retention_days", float, 14.0, "Keep publications and unreferenced media this long."),
    Setting("station_rate", float, 10.0, "Requests per second one station may make."),
    Setting("station_burst", int, 20, "Requests a station may make at once before 429."),
    Setting("max_body_bytes", int, 262_144, "Largest request body accepted (413 beyond)."),
    Setting("shutdown_grace_s", float, 10.0, "On SIGTERM, seconds to finish open requests."),
    Setting("xmltv_domain", str, DEFAULT_DOMAIN,
            "DNS domain naming channels in XMLTV (RFC 2838): PTTH-BS is ptth-bs.DOMAIN."),
    Setting("xmltv_ids", str, "",
            "XMLTV ids given per channel: CODE=id pairs separated by commas."),
    Setting("public_url", str, "", "URL players reach `serve` at (M3U8 media links), e.g. "
            "https://phatthanh.example.vn; empty: the address a request came in on."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Profile:
    """An output profile: encoding, loudness target and speech defaults for one kind of output."""

    name: str
    format: str = "mp3"
    codec: str = "libmp3lame"
    sample_rate: int = 44_100
    channels: int = 1
    bitrate: str = "64k"
    loudness_lufs: float = -16.0
    true_peak_dbtp: float = -1.5
    voice: str = ""
    rate: float = 1.0
    sentence_pause_ms: int = 450
    paragraph_pause_ms: int = 900

    @property
    def extension(self) -> str:
        """File name extension of clips in this profile."""
        return self.format


BUILTIN_PROFILES: dict[str, Profile] = {
    # Outdoor horn loudspeakers: narrow band, loud and dense, mono, small files for 3G links.
    "loudspeaker": Profile(
        name="loudspeaker",
        sample_rate=22_050,
        bitrate="64k",
        loudness_lufs=-14.0,
        true_peak_dbtp=-1.0,
        rate=0.95,
        sentence_pause_ms=550,
        paragraph_pause_ms=1_100,
    ),
    # FM / provincial radio: EBU R 128-like loudness for broadcast chains, 44.1 kHz.
    "radio": Profile(
        name="radio",
        sample_rate=44_100,
        bitrate="128k",
        loudness_lufs=-23.0,
        true_peak_dbtp=-1.0,
        sentence_pause_ms=450,
        paragraph_pause_ms=900,
    ),
}


@dataclass(frozen=True)
class Config:
    """The effective configuration. Build it with :func:`load_config`."""

    home: Path = Path("var")
    database_url: str = ""
    engines: str = "gtts,espeak"
    profile: str = "loudspeaker"
    dialect: str = "north"
    lexicon: str = ""
    max_document_bytes: int = 2_000_000
    espeak_voice: str = "vi"
    piper_model: str = ""
    gtts_tld: str = "com.vn"
    gtts_timeout: float = 10.0
    gtts_retries: int = 4
    gtts_min_interval: float = 0.3
    audio_dir: str = ""
    ffmpeg: str = ""
    log_level: str = "INFO"
    log_format: str = "text"
    host: str = "127.0.0.1"
    port: int = 8080
    inbox_dir: str = ""
    inbox_interval_s: float = 10.0
    render_lead_hours: float = 48.0
    publish_interval_minutes: float = 60.0
    publish_window_hours: float = 48.0
    offline_after_minutes: float = 15.0
    retention_days: float = 14.0
    station_rate: float = 10.0
    station_burst: int = 20
    max_body_bytes: int = 262_144
    shutdown_grace_s: float = 10.0
    xmltv_domain: str = DEFAULT_DOMAIN
    xmltv_ids: str = ""
    public_url: str = ""
    profiles: Mapping[str, Profile] = field(default_factory=lambda: dict(BUILTIN_PROFILES))
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        """The database URL, with the SQLite default filled in."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'broadcaster.db').resolve()}"

    @property
    def media_dir(self) -> Path:
        """Root of the content-addressed media store."""
        return self.home / "media"

    @property
    def inbox(self) -> Path:
        """The folder ``serve`` watches for new summaries."""
        return Path(self.inbox_dir) if self.inbox_dir else self.home / "inbox"

    @property
    def assets_dir(self) -> Path:
        """Where jingles and tones are: the setting, or the audio/ folder shipped with the code."""
        return Path(self.audio_dir) if self.audio_dir else \
            Path(__file__).resolve().parents[1] / "audio"

    @property
    def engine_chain(self) -> tuple[str, ...]:
        """The fallback chain as a tuple of engine names."""
        return tuple(n.strip() for n in self.engines.split(",") if n.strip())

    @property
    def lexicon_paths(self) -> tuple[Path, ...]:
        """Operator lexicon files, in override order."""
        return tuple(Path(p) for p in self.lexicon.split(":") if p)

    @property
    def xmltv_id_overrides(self) -> dict[str, str]:
        """The ``xmltv_ids`` setting as {station code: XMLTV channel id}."""
        return parse_overrides(self.xmltv_ids)

    def get_profile(self, name: str | None = None) -> Profile:
        """The named profile (default: the configured one); unknown names list the valid ones."""
        wanted = name or self.profile
        try:
            return self.profiles[wanted]
        except KeyError:
            valid = ", ".join(sorted(self.profiles))
            raise ConfigError(f"unknown output profile {wanted!r}; valid profiles: {valid}") \
                from None

    def with_overrides(self, **values: Any) -> Config:
        """A copy with some settings replaced (values already typed)."""
        return dataclasses.replace(self, **values)


def _coerce(setting: Setting, value: Any, where: str) -> Any:
    try:
        if setting.type is bool and isinstance(value, str):
            low = value.strip().lower()
            if low not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(value)
            return low in {"1", "true", "yes", "on"}
        if setting.type is Path:
            return Path(value)
        if setting.type in (int, float) and isinstance(value, bool):
            raise ValueError(value)
        return setting.type(value)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{where}: setting {setting.name!r} must be {setting.type.__name__}, got {value!r}"
        ) from None


_PROFILE_FIELDS = {f.name: f for f in dataclasses.fields(Profile) if f.name != "name"}


def _parse_profiles(raw: Any, where: str) -> dict[str, Profile]:
    profiles = dict(BUILTIN_PROFILES)
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: [profiles] must be a table of tables")
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [profiles.{name}] must be a table")
        base = profiles.get(name, Profile(name=name))
        changes: dict[str, Any] = {}
        for key, value in values.items():
            spec = _PROFILE_FIELDS.get(key)
            if spec is None:
                valid = ", ".join(sorted(_PROFILE_FIELDS))
                raise ConfigError(
                    f"{where}: [profiles.{name}] unknown field {key!r}; valid: {valid}")
            kind = type(getattr(base, key))
            try:
                if isinstance(value, bool):
                    raise TypeError(value)
                changes[key] = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{where}: [profiles.{name}] field {key!r} must be {kind.__name__}, "
                    f"got {value!r}"
                ) from None
        profiles[name] = dataclasses.replace(base, **changes)
    return profiles


def _validate(cfg: Config) -> None:
    if cfg.dialect not in ("north", "south"):
        src = cfg.sources.get("dialect", "default")
        raise ConfigError(f"{src}: setting 'dialect' must be north or south, got {cfg.dialect!r}")
    if not cfg.engine_chain:
        raise ConfigError("setting 'engines' must name at least one speech engine")
    if cfg.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(f"setting 'log_level' must be DEBUG, INFO, WARNING or ERROR, "
                          f"got {cfg.log_level!r}")
    if cfg.log_format not in ("text", "json"):
        raise ConfigError(f"setting 'log_format' must be text or json, got {cfg.log_format!r}")
    if not 0 <= cfg.port <= 65535:
        raise ConfigError(f"setting 'port' must be between 0 and 65535, got {cfg.port}")
    for name in ("inbox_interval_s", "render_lead_hours", "publish_interval_minutes",
                 "publish_window_hours", "offline_after_minutes", "retention_days",
                 "station_rate", "station_burst", "max_body_bytes"):
        if getattr(cfg, name) <= 0:
            raise ConfigError(f"setting {name!r} must be greater than 0, "
                              f"got {getattr(cfg, name)!r}")
    _validate_xmltv(cfg)
    if cfg.public_url and (not cfg.public_url.startswith(("http://", "https://"))
                           or any(c in cfg.public_url for c in " \t\r\n")):
        raise ConfigError(f"setting 'public_url' must be an http:// or https:// URL, "
                          f"got {cfg.public_url!r}")
    cfg.get_profile()
    for p in cfg.profiles.values():
        if p.format not in ("mp3", "ogg", "opus", "wav", "m4a"):
            raise ConfigError(f"profile {p.name!r}: format must be mp3, ogg, opus, m4a or wav, "
                              f"got {p.format!r}")
        if not -40.0 <= p.loudness_lufs <= -5.0:
            raise ConfigError(f"profile {p.name!r}: loudness_lufs must be between -40 and -5")
        if not 0.5 <= p.rate <= 2.0:
            raise ConfigError(f"profile {p.name!r}: rate must be between 0.5 and 2.0")


def _validate_xmltv(cfg: Config) -> None:
    if not is_dns_name(cfg.xmltv_domain):
        src = cfg.sources.get("xmltv_domain", "default")
        raise ConfigError(f"{src}: setting 'xmltv_domain' must be a lowercase DNS name such as "
                          f"binhson.gov.vn, got {cfg.xmltv_domain!r}")
    try:
        parse_overrides(cfg.xmltv_ids)
    except ValueError as exc:
        src = cfg.sources.get("xmltv_ids", "default")
        raise ConfigError(f"{src}: setting 'xmltv_ids': {exc}") from None


def load_config(
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    read_file: Callable[[Path], bytes] = Path.read_bytes,
) -> Config:
    """Build the configuration: defaults < file < environment < flags.

    ``config_file`` defaults to ``$BROADCASTER_CONFIG`` or ``./broadcaster.toml`` when present.
    A bad value raises :class:`ConfigError` naming the setting and where it came from.
    """
    environ = os.environ if env is None else env
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    profiles = dict(BUILTIN_PROFILES)

    explicit = config_file or (Path(environ[ENV_PREFIX + "CONFIG"])
                               if environ.get(ENV_PREFIX + "CONFIG") else None)
    path = explicit or Path(CONFIG_FILE)
    if explicit is not None and not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    if path.is_file():
        try:
            data = tomllib.loads(read_file(path).decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for key, value in data.items():
            if key == "profiles":
                profiles = _parse_profiles(value, str(path))
                continue
            setting = _BY_NAME.get(key)
            if setting is None:
                valid = ", ".join(sorted(_BY_NAME))
                raise ConfigError(f"{path}: unknown setting {key!r}; valid settings: {valid}")
            values[key] = _coerce(setting, value, str(path))
            sources[key] = str(path)

    for setting in SETTINGS:
        var = ENV_PREFIX + setting.name.upper()
        if var in environ:
            values[setting.name] = _coerce(setting, environ[var], f"environment {var}")
            sources[setting.name] = f"environment {var}"

    for key, value in (flags or {}).items():
        if value is None:
            continue
        setting = _BY_NAME[key]
        values[key] = _coerce(setting, value, f"option --{key.replace('_', '-')}")
        sources[key] = f"option --{key.replace('_', '-')}"

    cfg = Config(**values, profiles=profiles, sources=sources)
    _validate(cfg)
    return cfg
