"""A station's files rendered the way the publisher renders them (through ``FORMATS``), for
tests that look at one format at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from broadcaster.planning.items import PlaylistItem, StationInfo
from broadcaster.publish.formats import FORMATS, FormatInput, Playlist


def render(name: str, station: StationInfo, items: Sequence[PlaylistItem], *,
           number: int = 1, window: tuple[datetime, datetime] | None = None,
           now: datetime | None = None, airings: Sequence[PlaylistItem] | None = None,
           channel_ids: Mapping[str, str] | None = None) -> bytes:
    """Format ``name``'s file for ``station``, as ``publication._station_files`` writes it
    (``airings`` default to the items)."""
    playlist = Playlist(station, items)
    given = FormatInput(station, playlist, items if airings is None else airings, number,
                        window or (datetime.min, datetime.max), now or datetime.min,
                        playlist.digest(station), channel_ids or {})
    return FORMATS[name].render(given)


def content_digest(station: StationInfo, window: tuple[datetime, datetime],
                   items: Sequence[PlaylistItem]) -> str:
    """The station's digest (its ETag); ``window`` is deliberately not part of it."""
    del window
    return Playlist(station, items).digest(station)


def manifest_json(station: StationInfo, publication: int, window: tuple[datetime, datetime],
                  items: Sequence[PlaylistItem], generated_at: datetime) -> bytes:
    """The station's ``playlist.json``."""
    return render("manifest", station, items, number=publication, window=window,
                  now=generated_at)


def playlist_m3u8(station: StationInfo, items: Sequence[PlaylistItem]) -> bytes:
    """The station's ``playlist.m3u8``."""
    return render("m3u8", station, items)
