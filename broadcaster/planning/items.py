"""The items a plan is made of: what a station plays, and the media each item points at.

Planning makes them (:mod:`broadcaster.schedule.plan`); publication writes them out in every
format (:mod:`broadcaster.publish.formats`). They live here, below both, so that planning
never imports publication.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from broadcaster.db import Clip

__all__ = ["Media", "PlaylistItem", "StationInfo", "media_of", "station_info"]


@dataclass(frozen=True)
class Media:
    """A rendered, content-addressed media file."""

    sha256: str
    ext: str
    bytes: int
    duration_ms: int

    @property
    def url(self) -> str:
        """Where the file is served, relative to the server or CDN base."""
        return f"/media/{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class PlaylistItem:
    """One thing a station plays: a media file (from ``offset_ms`` on) between start and end."""

    id: str
    title: str
    start: datetime
    end: datetime
    priority: str
    media: Media
    offset_ms: int = 0
    entry_id: str = ""
    rrule: str | None = None
    description: str = ""
    # A live relay: the stream to play for the item's time; ``media`` is then the recorded
    # fallback for when the stream cannot be reached.
    relay_url: str = ""


@dataclass(frozen=True)
class StationInfo:
    """What the formats need to know about a station."""

    code: str
    name: str
    kind: str
    timezone: str


class _Station(Protocol):
    """A station row (``db.Station``) or planning's plain copy of one (``Target``)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def timezone(self) -> str: ...


def station_info(station: _Station) -> StationInfo:
    """The publication's view of a station."""
    return StationInfo(station.code, station.name, station.kind, station.timezone)


def media_of(clip: Clip) -> Media:
    """The publication's view of a clip."""
    return Media(clip.sha256, clip.ext, clip.size_bytes, clip.duration_ms)
