"""The speech engine interface and its name registry.

An engine turns one chunk of normalised Vietnamese text into mono float32 samples. Engines are
built from the configuration; building checks that the engine can run and raises
:class:`EngineUnavailable` saying what is missing, so the fallback chain can move on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from broadcaster.config import Config
from broadcaster.errors import ConfigError, EngineError
from broadcaster.settings import Setting, table

if TYPE_CHECKING:  # numpy is loaded when an engine speaks, not when the registry is read
    import numpy as np


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples in [-1, 1] and their sample rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return self.samples.size / self.sample_rate


class Engine(ABC):
    """A speech engine. Subclasses set NAME, OFFLINE and MAX_CHARS and register themselves.

    ``SETTINGS`` is the engine's own settings class (a frozen dataclass whose fields are declared
    with :func:`broadcaster.settings.setting`); the server's table gathers it, so each of its
    settings has a ``broadcaster.toml`` key, a ``BROADCASTER_*`` variable and a ``config show``
    line. The engine reads its values with ``config.section(SETTINGS)``.
    """

    NAME: ClassVar[str]
    OFFLINE: ClassVar[bool]
    MAX_CHARS: ClassVar[int] = 400
    VOICES: ClassVar[dict[str, str]] = {}
    SETTINGS: ClassVar[type | None] = None

    def __init__(self, config: Config) -> None:
        self.config = config

    def resolve_voice(self, voice: str) -> str:
        """The engine's own voice name for ``voice`` (an accent, an engine voice, or '')."""
        if not voice:
            return self.default_voice()
        if voice in self.VOICES:
            return self.VOICES[voice]
        if voice in self.VOICES.values():
            return voice
        valid = ", ".join(sorted(set(self.VOICES) | set(self.VOICES.values())))
        raise EngineError(f"engine {self.NAME!r} has no voice {voice!r}; valid voices: {valid}")

    def default_voice(self) -> str:
        """The voice used when none is asked for."""
        return self.VOICES["north"]

    def identity(self, voice: str) -> str:
        """What, beside the text and settings, decides this engine's output (for cache keys)."""
        return f"{self.NAME}:{voice}"

    @abstractmethod
    def synthesize(self, text: str, voice: str, rate: float) -> Audio:
        """Speak one chunk. ``rate`` 1.0 is the engine's normal speed."""


ENGINES: dict[str, type[Engine]] = {}


def register(cls: type[Engine]) -> type[Engine]:
    """Class decorator adding an engine to the registry under its NAME."""
    ENGINES[cls.NAME] = cls
    return cls


def engine_class(name: str) -> type[Engine]:
    """The engine class registered as ``name``; unknown names list the valid ones."""
    try:
        return ENGINES[name]
    except KeyError:
        valid = ", ".join(sorted(ENGINES))
        raise ConfigError(f"unknown speech engine {name!r}; valid engines: {valid}") from None


def engine_settings() -> tuple[Setting, ...]:
    """Every registered engine's settings, in registration order."""
    return tuple(row for cls in ENGINES.values() if cls.SETTINGS is not None
                 for row in table(cls.SETTINGS))


EngineFactory = Callable[[str, Config], Engine]


def build_engine(name: str, config: Config) -> Engine:
    """Build the named engine (may raise EngineUnavailable)."""
    return engine_class(name)(config)


def trim_silence(samples: np.ndarray, threshold: float = 0.003, keep: int = 0) -> np.ndarray:
    """Drop leading and trailing near-silence so pauses between chunks are exactly as set."""
    import numpy as np

    loud = np.flatnonzero(np.abs(samples) > threshold)
    if loud.size == 0:
        return samples[:0]
    start = max(0, int(loud[0]) - keep)
    end = min(samples.size, int(loud[-1]) + 1 + keep)
    return samples[start:end]
