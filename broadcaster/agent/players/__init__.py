"""Player backends (``file``, ``mpv``, ``ffplay``, ``aplay``) behind one interface."""

from broadcaster.agent.players import file, programs  # noqa: F401  (register the players)
from broadcaster.agent.players.base import (
    PLAYERS,
    Playback,
    Player,
    PlayerUnavailable,
    Source,
    Track,
    auto_order,
    build_player,
    player_choices,
    player_class,
    register,
)

__all__ = ["PLAYERS", "Playback", "Player", "PlayerUnavailable", "Source", "Track",
           "auto_order", "build_player", "player_choices", "player_class", "register"]
