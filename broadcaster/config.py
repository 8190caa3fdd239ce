"""One typed, frozen configuration object.

Every setting is declared once, as a field of :class:`Config` (default, help and checks, with
:func:`broadcaster.settings.setting`); :data:`SETTINGS` reads them back. That table drives
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
from typing import Any, TypeVar

from broadcaster.errors import ConfigError
from broadcaster.fsutil import shipped_path
from broadcaster.settings import (
    Layers,
    Setting,
    between,
    http_url,
    one_of,
    positive,
    setting,
    table,
)
from broadcaster.xmltv_ids import DEFAULT_DOMAIN, is_dns_name, parse_overrides

T = TypeVar("T")

ENV_PREFIX = "BROADCASTER_"
CONFIG_FILE = "broadcaster.toml"


def packaged_assets() -> Path:
    """The jingles and tones shipped in the package (``broadcaster/media/assets/``)."""
    return shipped_path("media", "assets", setting="audio_dir")


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


def _names_an_engine(value: str) -> str | None:
    return None if any(n.strip() for n in value.split(",")) else \
        "must name at least one speech engine"


def _dns_name(value: str) -> str | None:
    return None if is_dns_name(value) else \
        f"must be a lowercase DNS name such as binhson.gov.vn, got {value!r}"


def _xmltv_ids(value: str) -> str | None:
    try:
        parse_overrides(value)
    except ValueError as exc:
        return f": {exc}"
    return None


@dataclass(frozen=True)
class Config:
    """The effective configuration. Build it with :func:`load_config`."""

    home: Path = setting(Path("var"), "Folder for the database, media store and logs.")
    database_url: str = setting(
        "", "SQLAlchemy URL; empty means SQLite at HOME/broadcaster.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db.")
    engines: str = setting("gtts,espeak", "Speech engine fallback chain, best first.",
                           _names_an_engine)
    profile: str = setting("loudspeaker", "Default output profile for clips.")
    dialect: str = setting("north", "Number reading: north (linh, nghìn) or south (lẻ, ngàn).",
                           one_of("north", "south"))
    lexicon: str = setting("", "Extra lexicon files (TSV), separated by ':'; later ones win.")
    max_document_bytes: int = setting(2_000_000, "Largest document file accepted, in bytes.")
    audio_dir: str = setting("", "Folder of jingles and tones; empty means the ones shipped in "
                             "the package (broadcaster/media/assets/).")
    recordings_dir: str = setting(
        "", "Folder that relative recorded files (file: items, relay fallbacks) are read from; "
        "empty means the parent of audio_dir when that is set, else HOME/recordings.")
    ffmpeg: str = setting("", "ffmpeg binary; empty means the one shipped by imageio-ffmpeg.")
    log_level: str = setting("INFO", "Logging level: DEBUG, INFO, WARNING or ERROR.",
                             one_of("DEBUG", "INFO", "WARNING", "ERROR", fold=str.upper))
    log_format: str = setting("text", "Log lines: text (one readable line) or json (one object).",
                              one_of("text", "json"))
    host: str = setting("127.0.0.1", "Address `serve` listens on.")
    port: int = setting(8080, "Port `serve` listens on.", between(0, 65535))
    inbox_dir: str = setting("", "Folder watched for new summaries; empty means HOME/inbox.")
    inbox_interval_s: float = setting(10.0, "Seconds between two looks at the inbox.", positive)
    render_lead_hours: float = setting(48.0, "Render programmes this many hours before air.",
                                       positive)
    publish_interval_minutes: float = setting(60.0, "Scheduled publication every N minutes.",
                                              positive)
    publish_window_hours: float = setting(48.0, "Publications cover now to now + N hours.",
                                          positive)
    offline_after_minutes: float = setting(15.0, "A station silent this long is offline.",
                                           positive)
    retention_days: float = setting(14.0, "Keep publications and unreferenced media this long.",
                                    positive)
    station_rate: float = setting(10.0, "Requests per second one station may make.", positive)
    station_burst: int = setting(20, "Requests a station may make at once before 429.", positive)
    max_body_bytes: int = setting(262_144, "Largest request body accepted (413 beyond).",
                                  positive)
    shutdown_grace_s: float = setting(10.0, "On SIGTERM, seconds to finish open requests.")
    xmltv_domain: str = setting(
        DEFAULT_DOMAIN, "DNS domain naming channels in XMLTV (RFC 2838): PTTH-BS is "
        "ptth-bs.DOMAIN.", _dns_name)
    xmltv_ids: str = setting("", "XMLTV ids given per channel: CODE=id pairs separated by "
                             "commas.", _xmltv_ids)
    public_url: str = setting("", "URL players reach `serve` at (M3U8 media links), e.g. "
                              "https://phatthanh.example.vn; empty: the address a request came "
                              "in on.", http_url)
    profiles: Mapping[str, Profile] = field(default_factory=lambda: dict(BUILTIN_PROFILES))
    sources: Mapping[str, str] = field(default_factory=dict)
    # Values of the settings declared elsewhere (each speech engine's), read with section().
    extra: Mapping[str, Any] = field(default_factory=dict)

    def section(self, cls: type[T]) -> T:
        """The settings class ``cls`` (an engine's) filled from this configuration."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in self.extra.items() if k in names})

    def value(self, name: str) -> Any:
        """The value of setting ``name``, whether Config's own or one declared elsewhere."""
        return self.extra[name] if name in self.extra else getattr(self, name)

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
        """Where jingles and tones are: the setting, or the folder shipped in the package."""
        return Path(self.audio_dir) if self.audio_dir else packaged_assets()

    @property
    def recordings_base(self) -> Path:
        """The folder relative recorded files are read from (see ``recordings_dir``)."""
        if self.recordings_dir:
            return Path(self.recordings_dir)
        return Path(self.audio_dir).parent if self.audio_dir else self.home / "recordings"

    @property
    def engine_chain(self) -> tuple[str, ...]:
        """The fallback chain as a tuple of engine names."""
        return tuple(n.strip() for n in self.engines.split(",") if n.strip())

    @property
    def lexicon_paths(self) -> tuple[Path, ...]:
        """Operator lexicon files, in override order."""
        return tuple(Path(p) for p in self.lexicon.split(":") if p)

    @property
    def readings_path(self) -> Path:
        """HOME/lexicon-ui.tsv: the "đọc là" readings added in the web UI, read last."""
        return self.home / "lexicon-ui.tsv"

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
        """A copy with some settings replaced (values already typed); a name that is not
        Config's own is an engine's setting."""
        own = {f.name for f in dataclasses.fields(self)}
        extra = {k: v for k, v in values.items() if k not in own}
        mine = {k: v for k, v in values.items() if k in own}
        return dataclasses.replace(self, **mine, extra={**self.extra, **extra})


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


def _validate_profiles(cfg: Config) -> None:
    cfg.get_profile()
    for p in cfg.profiles.values():
        if p.format not in ("mp3", "ogg", "opus", "wav", "m4a"):
            raise ConfigError(f"profile {p.name!r}: format must be mp3, ogg, opus, m4a or wav, "
                              f"got {p.format!r}")
        if not -40.0 <= p.loudness_lufs <= -5.0:
            raise ConfigError(f"profile {p.name!r}: loudness_lufs must be between -40 and -5")
        if not 0.5 <= p.rate <= 2.0:
            raise ConfigError(f"profile {p.name!r}: rate must be between 0.5 and 2.0")


SETTINGS: tuple[Setting, ...] = table(Config)


def build_config(
    extra: tuple[Setting, ...],
    config_file: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    read_file: Callable[[Path], bytes] = Path.read_bytes,
) -> Config:
    """Build the configuration: defaults < file < environment < flags.

    ``extra`` are the settings declared outside :class:`Config` (the speech engines'): callers
    use :func:`broadcaster.settings_table.load_config`, which gathers them (this module, below
    speech, cannot). ``config_file`` defaults to ``$BROADCASTER_CONFIG`` or
    ``./broadcaster.toml`` when present. A bad value raises :class:`ConfigError` naming the
    setting and where it came from.
    """
    environ = os.environ if env is None else env
    layers = Layers(SETTINGS + extra)
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
        if "profiles" in data:
            profiles = _parse_profiles(data.pop("profiles"), str(path))
        layers.from_mapping(data, str(path))
    layers.from_env(environ, ENV_PREFIX)
    layers.from_flags(flags or {})
    layers.check()
    own = layers.known(s.name for s in SETTINGS)
    cfg = Config(**own, profiles=profiles, sources=layers.sources,
                 extra={s.name: layers.values.get(s.name, s.default) for s in extra})
    _validate_profiles(cfg)
    return cfg
