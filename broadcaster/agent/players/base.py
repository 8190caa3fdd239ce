"""The player interface and its name registry.

A :class:`Player` starts a :class:`Track` and returns a :class:`Playback` the agent polls and
stops. Players register under a ``NAME``; an unknown name is answered with the valid ones, and
a player whose program is missing refuses to be built, naming the program and its Debian
package, so the agent stops at start-up instead of failing silently at the first item.
"""

from __future__ import annotations

import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Literal

from broadcaster.agent.clock import Clock
from broadcaster.errors import ConfigError

if TYPE_CHECKING:
    from broadcaster.agent.settings import AgentSettings  # settings asks this registry

# media: an item's file; stream: a live relay; recorded: a relay's recorded fallback;
# filler: the local fallback playlist that fills gaps.
Source = Literal["media", "stream", "recorded", "filler"]


class PlayerUnavailable(ConfigError):
    """A player cannot run here (its program is missing); says what to install."""


@dataclass(frozen=True)
class Track:
    """What to play: a local file from ``offset_s`` or a stream URL, for ``duration_s`` at most."""

    item: str
    title: str
    source: Source
    path: Path | None = None
    url: str = ""
    sha256: str = ""
    scheduled_start: datetime | None = None
    offset_s: float = 0.0
    duration_s: float | None = None


class Playback(ABC):
    """One track being played."""

    @abstractmethod
    def running(self) -> bool:
        """Whether it still plays (False once it ended by itself or was stopped)."""

    @abstractmethod
    def stop(self, outcome: str = "stopped") -> None:
        """Stop it (nothing if it already ended); ``outcome`` says why, for the log/sink."""

    @property
    def error(self) -> str:
        """Why it ended by itself, when it failed ('' otherwise)."""
        return ""


class Player(ABC):
    """A player backend. Subclasses set NAME (and PROGRAM, PACKAGE) and register."""

    NAME: ClassVar[str]
    PROGRAM: ClassVar[str] = ""     # the executable it runs
    PACKAGE: ClassVar[str] = ""     # the Debian package that has it
    AUTO: ClassVar[int | None] = None  # its rank when the player is "auto" (None: never chosen)

    def __init__(self, settings: AgentSettings, clock: Clock) -> None:
        self.settings, self.clock = settings, clock
        self.program = self.find_program()

    def find_program(self) -> str:
        """The full path of :attr:`PROGRAM`; :class:`PlayerUnavailable` when it is missing."""
        if not self.PROGRAM:
            return ""
        wanted = self.settings.player_path or self.PROGRAM
        found = shutil.which(wanted)
        if not found:
            raise PlayerUnavailable(
                f"player {self.NAME!r} needs the program {wanted!r}, which is not installed "
                f"here: install the Debian package '{self.PACKAGE}' (sudo apt-get install "
                f"{self.PACKAGE}), set player_path, or choose another --player")
        return found

    @abstractmethod
    def play(self, track: Track) -> Playback:
        """Start playing ``track``; returns at once."""

    def close(self) -> None:  # noqa: B027  (most players hold nothing)
        """Release what the player holds."""


PLAYERS: dict[str, type[Player]] = {}


def register(cls: type[Player]) -> type[Player]:
    """Class decorator adding a player to the registry under its NAME."""
    PLAYERS[cls.NAME] = cls
    return cls


def auto_order() -> list[str]:
    """The players "auto" tries, first choice first (those with an :attr:`Player.AUTO` rank)."""
    ranked = [cls for cls in PLAYERS.values() if cls.AUTO is not None]
    return [cls.NAME for cls in sorted(ranked, key=lambda cls: (cls.AUTO, cls.NAME))]


def player_choices() -> tuple[str, ...]:
    """Every valid ``player`` setting: "auto", the players it tries in order, then the rest."""
    auto = auto_order()
    return ("auto", *auto, *sorted(set(PLAYERS) - set(auto)))


def player_class(name: str) -> type[Player]:
    """The player class registered as ``name``; unknown names list the valid ones."""
    try:
        return PLAYERS[name]
    except KeyError:
        valid = ", ".join(["auto", *sorted(PLAYERS)])
        raise ConfigError(f"unknown player {name!r}; valid players: {valid}") from None


def build_player(settings: AgentSettings, clock: Clock) -> Player:
    """The configured player; ``auto`` takes the first installed of :func:`auto_order`."""
    if settings.player != "auto":
        return player_class(settings.player)(settings, clock)
    missing = []
    for name in auto_order():
        try:
            return player_class(name)(settings, clock)
        except PlayerUnavailable:
            cls = PLAYERS[name]
            missing.append(f"{cls.PROGRAM} (Debian package '{cls.PACKAGE}')")
    raise PlayerUnavailable("no audio player is installed; install one of: "
                            + ", ".join(missing) + " (e.g. sudo apt-get install mpv)")
