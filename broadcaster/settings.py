"""Settings declared once, and the loaders that fill them from a file, the environment and flags.

A settings class is a frozen dataclass whose fields are declared with :func:`setting`: the
field's name, its default, one line of help and its checks are written there once, and
:func:`table` reads them back as :class:`Setting` rows. Those rows drive the TOML file, the
environment variables, the command-line options, ``config show``, validation and the docs
(tests fail when a setting is undocumented). The server's ``Config``, each speech engine's
settings and the station agent's ``AgentSettings`` are all declared this way.

:class:`Layers` applies the sources in the order they are read (defaults < file < environment <
flags for the server; defaults < file < flags for the agent) and records where each value came
from, for ``config show`` and for error messages.

Standard library only: the station agent runs on a Pi with the slim install, without the
server's packages. pydantic-settings is not used for that reason: it would bring pydantic-core
to every station for the few dozen flat values both sides have.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from broadcaster.errors import ConfigError

T = TypeVar("T")

# A check looks at a converted value and returns what is wrong with it ("must be greater than 0,
# got -1"; a tail starting with ':' follows the name directly), or None when the value is good.
Check = Callable[[Any], str | None]

_KEY = "broadcaster.setting"


@dataclass(frozen=True)
class Setting:
    """One configurable value: its name, type, default, one line of help, and its checks."""

    name: str
    type: type
    default: Any
    help: str
    checks: tuple[Check, ...] = ()

    def option(self) -> str:
        """The command-line option naming this setting (``--max-body-bytes``)."""
        return "--" + self.name.replace("_", "-")


def setting(default: T, help: str, *checks: Check, of: type | None = None) -> T:
    """Declare a settings-class field: its default, help and checks, in one place.

    ``of`` is the value's type when the default does not show it (``None``, ``()``): ``Path``
    for a path, ``list`` for a list of paths.
    """
    kind = of or (Path if isinstance(default, Path) else type(default))
    return cast(T, field(default=default, metadata={_KEY: (kind, help, checks)}))


def table(cls: type) -> tuple[Setting, ...]:
    """The settings a class declares with :func:`setting`, in declaration order."""
    rows = []
    for f in dataclasses.fields(cls):
        if _KEY in f.metadata:
            kind, help, checks = f.metadata[_KEY]
            rows.append(Setting(f.name, kind, f.default, help, checks))
    return tuple(rows)


# ---- checks -------------------------------------------------------------------------------

def one_of(*values: str, say: str | None = None, fold: Callable[[str], str] = str) -> Check:
    """The value (after ``fold``) must be one of ``values``; ``say`` words the list."""
    words = say or (", ".join(values[:-1]) + " or " + values[-1])

    def check(value: Any) -> str | None:
        return None if fold(value) in values else f"must be {words}, got {value!r}"
    return check


def positive(value: Any) -> str | None:
    """The number must be greater than 0."""
    return None if value > 0 else f"must be greater than 0, got {value!r}"


def not_negative(value: Any) -> str | None:
    """The number must be 0 or more."""
    return None if value >= 0 else f"must not be negative, got {value!r}"


def between(low: float, high: float, why: str = "") -> Check:
    """The number must lie between ``low`` and ``high`` (both allowed); ``why`` explains."""
    def check(value: Any) -> str | None:
        return None if low <= value <= high else \
            f"must be between {low} and {high}{why}, got {value}"
    return check


def http_url(value: Any) -> str | None:
    """Empty, or an http:// or https:// URL without spaces."""
    if not value or (value.startswith(("http://", "https://"))
                     and not any(c in value for c in " \t\r\n")):
        return None
    return f"must be an http:// or https:// URL, got {value!r}"


# ---- conversion and loading ---------------------------------------------------------------

_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def convert(kind: type, value: Any, base: Path | None = None) -> Any:
    """``value`` (from TOML, the environment or a flag) as ``kind``; ValueError when it is not.

    Paths expand ``~`` and, when ``base`` is given, relative ones are read from ``base``;
    ``list`` is a list of paths (or one string separated by ':').
    """
    if kind is Path:
        if not isinstance(value, str | Path) or not str(value):
            raise ValueError(value)
        path = Path(value).expanduser()
        return base / path if base is not None and not path.is_absolute() else path
    if kind is list:
        values = value.split(":") if isinstance(value, str) else value
        if not isinstance(values, list | tuple):
            raise ValueError(value)
        return tuple(convert(Path, v, base) for v in values if str(v))
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(value)
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValueError(value)
        return kind(value)
    if kind is str:
        if not isinstance(value, str | Path):
            raise ValueError(value)
        return str(value)
    return kind(value)


@dataclass
class Layers:
    """Values read so far for one settings table, and where each came from.

    ``label`` names a setting in messages ("setting", "agent setting"); ``words`` says what a
    type must look like ("must be int" by default, "must be a number" for the agent).
    """

    settings: tuple[Setting, ...]
    label: str = "setting"
    words: Mapping[type, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_name = {s.name: s for s in self.settings}

    def put(self, name: str, value: Any, origin: str, base: Path | None = None) -> None:
        """Set one value, converted; an unknown name or a bad value is a ConfigError."""
        spec = self.by_name.get(name)
        if spec is None:
            valid = ", ".join(self.by_name)
            raise ConfigError(f"unknown {self.label} {name!r} in {origin}; "
                              f"valid settings: {valid}")
        try:
            self.values[name] = convert(spec.type, value, base)
        except (TypeError, ValueError):
            word = self.words.get(spec.type, spec.type.__name__)
            raise ConfigError(f"{origin}: {self.label} {name!r} must be {word}, got {value!r}") \
                from None
        self.sources[name] = origin

    def from_mapping(self, data: Mapping[str, Any], origin: str,
                     base: Path | None = None) -> None:
        """A TOML table (``-`` in names read as ``_``); relative paths from ``base``."""
        for key, value in data.items():
            self.put(key.replace("-", "_"), value, origin, base)

    def from_env(self, environ: Mapping[str, str], prefix: str) -> None:
        """``PREFIX_NAME`` variables, one per setting."""
        for spec in self.settings:
            var = prefix + spec.name.upper()
            if var in environ:
                self.put(spec.name, environ[var], f"environment {var}")

    def from_flags(self, flags: Mapping[str, Any]) -> None:
        """Command-line options; ``None`` (and an empty repeated option) means not given."""
        for key, value in flags.items():
            if value is None or value in ((), []):
                continue
            spec = self.by_name.get(key)
            self.put(key, value, f"option {spec.option()}" if spec else "the command line")

    def effective(self) -> dict[str, Any]:
        """Every setting's value: the one read, or its default."""
        return {s.name: self.values.get(s.name, s.default) for s in self.settings}

    def check(self) -> None:
        """Run every setting's checks on its effective value; the first failure is raised."""
        for spec in self.settings:
            value = self.values.get(spec.name, spec.default)
            for check in spec.checks:
                wrong = check(value)
                if wrong is not None:
                    where = self.sources.get(spec.name, "default")
                    gap = "" if wrong.startswith(":") else " "
                    raise ConfigError(f"{where}: {self.label} {spec.name!r}{gap}{wrong}")

    def known(self, names: Iterable[str]) -> dict[str, Any]:
        """The values read for ``names`` only (to build one settings class of a larger table)."""
        wanted = set(names)
        return {k: v for k, v in self.values.items() if k in wanted}
