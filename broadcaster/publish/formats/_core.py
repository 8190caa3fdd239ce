"""What every publication format shares: the checks on items, time helpers, the playlist
rendered once per zone (with its digest), and the description of a format.

Nothing here touches the database, the clock or the disk. Every function is deterministic:
the same arguments give byte-identical output, so file digests only change when content does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcaster.domain.vocabulary import PRIORITIES
from broadcaster.errors import InputError
from broadcaster.planning.items import PlaylistItem, StationInfo

DIGEST_FORMAT = "broadcaster-playlist/1"
COMPACT: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
PRETTY: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "indent": 2}
_MS = timedelta(milliseconds=1)
_T = TypeVar("_T")


# -- checks and time helpers -------------------------------------------------------------------


def zone_of(station: StationInfo) -> ZoneInfo:
    """The station's zone; an unknown one is refused by name."""
    try:
        return ZoneInfo(station.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"station {station.code}: unknown time zone "
                         f"{station.timezone!r}") from exc


def aware(dt: datetime, what: str) -> datetime:
    """``dt``, refused when it has no time zone."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InputError(f"{what}: time {dt.isoformat()} has no time zone; use aware UTC times")
    return dt


def in_play_order(station: StationInfo, items: Sequence[PlaylistItem]) -> list[PlaylistItem]:
    """The items in play order, after checking that every format can represent them."""
    seen: set[str] = set()
    for item in items:
        where = f"station {station.code}, item {item.id}"
        if not item.id:
            raise InputError(f"station {station.code}: an item has an empty id")
        if item.id in seen:
            raise InputError(f"{where}: the id appears twice")
        seen.add(item.id)
        aware(item.start, where)
        aware(item.end, where)
        if item.end <= item.start:
            raise InputError(f"{where}: end {utc(item.end)} is not after start {utc(item.start)}")
        if item.priority not in PRIORITIES:
            raise InputError(f"{where}: unknown priority {item.priority!r} "
                             f"(valid: {', '.join(PRIORITIES)})")
        if item.offset_ms < 0:
            raise InputError(f"{where}: negative offset_ms {item.offset_ms}")
    return sorted(items, key=lambda i: (i.start, i.end, i.id))


def _iso(dt: datetime) -> str:
    spec = ("seconds" if dt.microsecond == 0
            else "milliseconds" if dt.microsecond % 1000 == 0 else "microseconds")
    return dt.isoformat(timespec=spec)


def utc(dt: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; fractions only when there are any."""
    return _iso(dt.astimezone(UTC)).replace("+00:00", "Z")


def local(dt: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 in the station's zone with its offset, e.g. ``2026-05-04T06:00:00+07:00``."""
    return _iso(dt.astimezone(zone))


def whole_seconds(dt: datetime, zone: ZoneInfo) -> datetime:
    """``dt`` in ``zone``, the fraction of a second dropped (never rounded up)."""
    return dt.astimezone(zone).replace(microsecond=0)


def played_ms(item: PlaylistItem) -> int:
    """How long the item plays, in milliseconds."""
    return (item.end - item.start) // _MS


def seconds(ms: int) -> str:
    """Milliseconds as seconds, shortest exact form: 900000 -> "900", 12500 -> "12.5"."""
    whole, frac = divmod(ms, 1000)
    return f"{whole}.{frac:03d}".rstrip("0") if frac else str(whole)


def one_line(text: str) -> str:
    """``text`` with every run of white space (new lines included) as one space."""
    return " ".join(text.split())


# -- the playlist, rendered once per zone -------------------------------------------------------


def station_dict(station: StationInfo) -> dict[str, str]:
    """The station as the manifest and the digest name it."""
    return {"code": station.code, "name": station.name, "kind": station.kind,
            "timezone": station.timezone}


def _item_dict(item: PlaylistItem, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "start": utc(item.start),
        "end": utc(item.end),
        "start_local": local(item.start, zone),
        "end_local": local(item.end, zone),
        "priority": item.priority,
        "offset_ms": item.offset_ms,
        "media": {"url": item.media.url, "sha256": item.media.sha256,
                  "bytes": item.media.bytes, "duration_ms": item.media.duration_ms},
        **({"relay": {"url": item.relay_url, "fallback": "media"}} if item.relay_url else {}),
    }


class Playlist:
    """A list of items checked and ordered for one zone, once, for every station that plays
    exactly them.

    What a station's playlist files and digest say about its items depends only on the items
    and the station's zone, and stations of one commune share both: the items are checked,
    ordered and turned into their canonical form here once; each format keeps what it renders
    from them in :meth:`shared`, and each station adds only its own code and name. ``station``
    names the station in error messages and gives the zone.
    """

    def __init__(self, station: StationInfo, items: Sequence[PlaylistItem]) -> None:
        self.zone = zone_of(station)
        self.timezone = station.timezone
        self.items = in_play_order(station, items)
        self.dicts = [_item_dict(i, self.zone) for i in self.items]
        # The canonical form hashed for the digest is {"format", "items", "station"} with
        # sorted keys: everything up to the station is the same for every station.
        head = json.dumps({"format": DIGEST_FORMAT, "items": self.dicts}, **COMPACT)[:-1]
        self._hash = hashlib.sha256(f'{head},"station":'.encode())
        self._shared: dict[str, Any] = {}

    def check(self, station: StationInfo) -> None:
        """Refuse a station of another zone than the one the playlist was rendered for."""
        if station.timezone != self.timezone:
            raise ValueError(f"station {station.code}: the playlist was rendered for "
                             f"{self.timezone}, not {station.timezone}")

    def shared(self, key: str, make: Callable[[Playlist], _T]) -> _T:
        """What ``make`` renders from this playlist, made once for all its stations."""
        if key not in self._shared:
            self._shared[key] = make(self)
        value: _T = self._shared[key]
        return value

    def digest(self, station: StationInfo) -> str:
        """The sha256 (hex) of what a station is told to play; its ETag.

        It covers exactly the manifest's ``station`` and ``items`` (ids, titles, UTC and local
        times, priorities, offsets, media url/sha256/bytes/duration), serialised as compact
        JSON with sorted keys and a format tag. The window, the publication number and the
        generation time are deliberately NOT part of it: moving the window without adding or
        removing an item keeps the digest, so a station does not download an identical
        playlist again.
        """
        self.check(station)
        digest = self._hash.copy()
        digest.update((json.dumps(station_dict(station), **COMPACT) + "}").encode())
        return digest.hexdigest()


# -- what a format is ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormatInput:
    """Everything a format may render a station's file from."""

    station: StationInfo
    playlist: Playlist                    # the items a player plays, rendered for the zone
    airings: Sequence[PlaylistItem]       # what listeners see: one per programme piece
    number: int                           # the publication
    window: tuple[datetime, datetime]
    now: datetime                         # the publication's generation time
    digest: str                           # the station's digest (see Playlist.digest)
    channel_ids: Mapping[str, str] = field(default_factory=dict)  # code -> XMLTV id


def as_stored(body: bytes, base_url: str) -> bytes:
    """A served file as it was published (the default of ``PublicationFormat.serve``)."""
    del base_url
    return body


@dataclass(frozen=True)
class PublicationFormat:
    """One file format of a publication: how it is named, typed, rendered and served.

    ``scope`` "station" files are written for every station under ``stations/CODE/`` and their
    names start with ``playlist.``; "channel" files are written for radio and TV stations only,
    under ``channels/``. A ``served`` format is answered at
    ``/api/v1/stations/{code}/{file name}`` (with ETag, long-poll and the station's token);
    ``serve`` turns the stored bytes into the answer (``base_url``: where players reach the
    service), and ``description`` says in the API document what the answer is.
    """

    name: str
    file_name: str                        # "{code}" stands for the station's code
    media_type: str
    render: Callable[[FormatInput], bytes]
    scope: Literal["station", "channel"] = "station"
    served: bool = False
    description: str = ""
    serve: Callable[[bytes, str], bytes] = as_stored

    def file_for(self, station: StationInfo) -> str:
        """The file's name for ``station`` (``playlist.json``, ``PTTH-BS.xml``)."""
        return self.file_name.format(code=station.code)
