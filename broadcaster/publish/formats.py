"""The files a publication is made of, as pure functions: items in, bytes out.

Nothing here touches the database, the clock or the disk (except reading the packaged DTD in
``xmltv_dtd``). Every function is deterministic: the same arguments give byte-identical output,
so file digests only change when content does.

Times are aware UTC datetimes on the way in (DESIGN "Time"); each format shows them the way its
readers expect:

- ``manifest_json``: UTC with ``Z`` plus ``start_local``/``end_local`` in the station's zone;
  milliseconds are kept when an item starts mid-second (parts follow each other to the ms).
- ``playlist_m3u8``: ``#EXT-X-PROGRAM-DATE-TIME`` in the station's zone, to the millisecond.
- ``xmltv`` and ``icalendar_feed``: the station's zone with its offset, to the whole second
  (neither format has sub-second times); the fraction is dropped, never rounded up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from lxml import etree

from broadcaster import xmltv_ids
from broadcaster.domain.labels import titles
from broadcaster.domain.vocabulary import Priority
from broadcaster.errors import InputError
from broadcaster.localtime import PRIORITIES

PRIORITY_LABELS_VI = titles(Priority)   # the one Vietnamese table: domain/labels.py
XMLTV_DTD_NAME = "xmltv.dtd"
XMLTV_TIME = "%Y%m%d%H%M%S %z"
ICAL_PRODID = "-//broadcaster//publication//VI"
UID_DOMAIN = "broadcaster"
DIGEST_FORMAT = "broadcaster-playlist/1"
_MS = timedelta(milliseconds=1)


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


# -- checks and time helpers -------------------------------------------------------------------


def _zone(station: StationInfo) -> ZoneInfo:
    try:
        return ZoneInfo(station.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(f"station {station.code}: unknown time zone "
                         f"{station.timezone!r}") from exc


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise InputError(f"{what}: time {dt.isoformat()} has no time zone; use aware UTC times")
    return dt


def _ordered(station: StationInfo, items: Sequence[PlaylistItem]) -> list[PlaylistItem]:
    """The items in play order, after checking that every format can represent them."""
    seen: set[str] = set()
    for item in items:
        where = f"station {station.code}, item {item.id}"
        if not item.id:
            raise InputError(f"station {station.code}: an item has an empty id")
        if item.id in seen:
            raise InputError(f"{where}: the id appears twice")
        seen.add(item.id)
        _aware(item.start, where)
        _aware(item.end, where)
        if item.end <= item.start:
            raise InputError(f"{where}: end {_utc(item.end)} is not after start {_utc(item.start)}")
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


def _utc(dt: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; fractions only when there are any."""
    return _iso(dt.astimezone(UTC)).replace("+00:00", "Z")


def _local(dt: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 in the station's zone with its offset, e.g. ``2026-05-04T06:00:00+07:00``."""
    return _iso(dt.astimezone(zone))


def _whole_seconds(dt: datetime, zone: ZoneInfo) -> datetime:
    return dt.astimezone(zone).replace(microsecond=0)


def _ms(delta: timedelta) -> int:
    return delta // _MS


def _seconds(ms: int) -> str:
    """Milliseconds as seconds, shortest exact form: 900000 -> "900", 12500 -> "12.5"."""
    whole, frac = divmod(ms, 1000)
    return f"{whole}.{frac:03d}".rstrip("0") if frac else str(whole)


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- JSON manifest, digest and extended M3U -----------------------------------------------------


def _station_dict(station: StationInfo) -> dict[str, str]:
    return {"code": station.code, "name": station.name, "kind": station.kind,
            "timezone": station.timezone}


def _item_dict(item: PlaylistItem, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "title": item.title,
        "start": _utc(item.start),
        "end": _utc(item.end),
        "start_local": _local(item.start, zone),
        "end_local": _local(item.end, zone),
        "priority": item.priority,
        "offset_ms": item.offset_ms,
        "media": {"url": item.media.url, "sha256": item.media.sha256,
                  "bytes": item.media.bytes, "duration_ms": item.media.duration_ms},
        **({"relay": {"url": item.relay_url, "fallback": "media"}} if item.relay_url else {}),
    }


def _m3u_lines(item: PlaylistItem, zone: ZoneInfo) -> list[str]:
    played = _ms(item.end - item.start)
    stamp = item.start.astimezone(zone).isoformat(timespec="milliseconds")
    lines = [f"#EXTINF:{_seconds(played)},{_one_line(item.title)}",
             f"#EXT-X-PROGRAM-DATE-TIME:{stamp}"]
    if item.relay_url:  # a live stream: players play it as it is
        return [*lines, f"#EXTVLCOPT:run-time={_seconds(played)}", item.relay_url]
    if item.offset_ms:
        lines.append(f"#EXTVLCOPT:start-time={_seconds(item.offset_ms)}")
    if item.offset_ms + played < item.media.duration_ms:
        lines.append(f"#EXTVLCOPT:stop-time={_seconds(item.offset_ms + played)}")
    return [*lines, item.media.url]


_COMPACT: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "separators": (",", ":")}
_PRETTY: dict[str, Any] = {"ensure_ascii": False, "sort_keys": True, "indent": 2}
_ITEMS_KEY = '\n  "items": '


class Playlist:
    """A list of items rendered for one zone, once, for every station that plays exactly them.

    What a station's ``playlist.json``, ``playlist.m3u8`` and digest say about its items
    depends only on the items and the station's zone, and stations of one commune share both:
    the items are checked, ordered and written out here once, and each station adds only its
    own code and name (:meth:`digest`, :meth:`manifest`, :meth:`m3u8`). The bytes are exactly
    those of :func:`content_digest`, :func:`manifest_json` and :func:`playlist_m3u8`, which
    are this class used for one station. ``station`` names the station in error messages and
    gives the zone.
    """

    def __init__(self, station: StationInfo, items: Sequence[PlaylistItem]) -> None:
        zone = _zone(station)
        self.timezone = station.timezone
        ordered = _ordered(station, items)
        dicts = [_item_dict(i, zone) for i in ordered]
        # The canonical form hashed for the digest is {"format", "items", "station"} with
        # sorted keys: everything up to the station is the same for every station.
        head = json.dumps({"format": DIGEST_FORMAT, "items": dicts}, **_COMPACT)[:-1]
        self._hash = hashlib.sha256(f'{head},"station":'.encode())
        # The manifest's "items" value, indented as it stands in the manifest (one level in).
        wrapped = json.dumps({"items": dicts}, **_PRETTY)
        self._items = wrapped[len("{" + _ITEMS_KEY):-len("\n}")]
        self._m3u = "".join(f"\n{line}" for i in ordered for line in _m3u_lines(i, zone))

    def _check(self, station: StationInfo) -> None:
        if station.timezone != self.timezone:
            raise ValueError(f"station {station.code}: the playlist was rendered for "
                             f"{self.timezone}, not {station.timezone}")

    def digest(self, station: StationInfo) -> str:
        """The station's digest (see :func:`content_digest`)."""
        self._check(station)
        digest = self._hash.copy()
        digest.update((json.dumps(_station_dict(station), **_COMPACT) + "}").encode())
        return digest.hexdigest()

    def manifest(self, station: StationInfo, publication: int,
                 window: tuple[datetime, datetime], generated_at: datetime,
                 digest: str | None = None) -> bytes:
        """The station's ``playlist.json`` (see :func:`manifest_json`)."""
        start = _aware(window[0], f"station {station.code}: window start")
        end = _aware(window[1], f"station {station.code}: window end")
        _aware(generated_at, f"station {station.code}: generated_at")
        self._check(station)
        # Sorted keys put "items" third, after two fixed-format strings: the first
        # '"items": null' is the key itself, replaced by the items written once above.
        text = json.dumps({"digest": digest or self.digest(station),
                           "generated_at": _utc(generated_at), "items": None,
                           "publication": publication, "station": _station_dict(station),
                           "window": {"start": _utc(start), "end": _utc(end)}}, **_PRETTY)
        text = text.replace(f"{_ITEMS_KEY}null", _ITEMS_KEY + self._items, 1)
        return (text + "\n").encode("utf-8")

    def m3u8(self, station: StationInfo) -> bytes:
        """The station's ``playlist.m3u8`` (see :func:`playlist_m3u8`)."""
        self._check(station)
        return f"#EXTM3U\n#PLAYLIST:{_one_line(station.name)}{self._m3u}\n".encode()


def content_digest(station: StationInfo, window: tuple[datetime, datetime],
                   items: Sequence[PlaylistItem]) -> str:
    """The sha256 (hex) of what a station is told to play; its ETag.

    It covers exactly the manifest's ``station`` and ``items`` (ids, titles, UTC and local times,
    priorities, offsets, media url/sha256/bytes/duration), serialised as compact JSON with sorted
    keys and a format tag. The window is deliberately NOT part of it (the argument is accepted
    and ignored, naive bounds included): moving the window without adding or removing an item
    keeps the digest, so a station does not download an identical playlist again. Publication
    number and generation time are left out for the same reason.
    """
    del window
    return Playlist(station, items).digest(station)


def manifest_json(station: StationInfo, publication: int, window: tuple[datetime, datetime],
                  items: Sequence[PlaylistItem], generated_at: datetime) -> bytes:
    """The station's ``playlist.json``: UTF-8, sorted keys, 2-space indent, trailing newline."""
    _aware(window[0], f"station {station.code}: window start")
    _aware(window[1], f"station {station.code}: window end")
    _aware(generated_at, f"station {station.code}: generated_at")
    return Playlist(station, items).manifest(station, publication, window, generated_at)


def playlist_m3u8(station: StationInfo, items: Sequence[PlaylistItem]) -> bytes:
    """The station's ``playlist.m3u8``: extended M3U, UTF-8, one entry per item, in play order.

    Per item: ``#EXTINF:<seconds played>,<title>``, ``#EXT-X-PROGRAM-DATE-TIME:`` with the
    scheduled start in the station's zone (informational: players play the list in sequence,
    they do not wait for the time), then the media URL, relative to the server (it resolves
    against the playlist's own URL).

    Resumed or shortened parts carry ``#EXTVLCOPT:start-time=`` / ``stop-time=`` (seconds into
    the media), which VLC applies. mpv skips every ``#`` line except ``#EXTINF`` (it notes
    ``#EXT-X-`` lines only to warn when the file is given to ``--playlist``), so it plays such a
    part from the beginning of its file to its end; the station agent, not the M3U, is the
    exact player. The file has no HLS-only tags (TARGETDURATION, MEDIA-SEQUENCE, ENDLIST...), so
    neither VLC nor ffmpeg mistakes it for an HLS stream; serve it as ``audio/x-mpegurl``.
    """
    return Playlist(station, items).m3u8(station)


# -- XMLTV ---------------------------------------------------------------------------------------


def xmltv_dtd() -> bytes:
    """The DTD the XMLTV files are written against; publish it next to them as ``xmltv.dtd``."""
    return resources.files("broadcaster.publish").joinpath(XMLTV_DTD_NAME).read_bytes()


def _xmltv_time(dt: datetime, zone: ZoneInfo) -> str:
    return _whole_seconds(dt, zone).strftime(XMLTV_TIME)


def _programme(channel: str, item: PlaylistItem, zone: ZoneInfo) -> Any:
    programme = etree.Element("programme", {
        "start": _xmltv_time(item.start, zone), "stop": _xmltv_time(item.end, zone),
        "channel": channel})
    etree.SubElement(programme, "title", {"lang": "vi"}).text = item.title
    if item.description:
        etree.SubElement(programme, "desc", {"lang": "vi"}).text = item.description
    etree.SubElement(programme, "category", {"lang": "en"}).text = item.priority
    etree.SubElement(programme, "category", {"lang": "vi"}).text = \
        PRIORITY_LABELS_VI[item.priority]
    return programme


def xmltv(channels: Sequence[tuple[StationInfo, Sequence[PlaylistItem]]],
          generated_at: datetime, channel_ids: Mapping[str, str] | None = None) -> bytes:
    """An XMLTV guide for the given channels: every ``<channel>``, then every ``<programme>``.

    A channel's id is its RFC 2838 name from ``channel_ids`` (station code -> id, see
    ``broadcaster.xmltv_ids``); a code missing there is named under the default domain
    (``PTTH-BS`` -> ``ptth-bs.broadcaster.invalid``). Times are the station's wall clock with
    its offset (``20260504060000 +0700``). Each programme has a Vietnamese title, its
    description when there is one, and its priority twice as category: the code
    (``lang="en"``) and the Vietnamese label (``lang="vi"``). The document names ``xmltv.dtd``
    (see ``xmltv_dtd``).
    """
    _aware(generated_at, "XMLTV generated_at")
    codes = [station.code for station, _ in channels]
    if len(set(codes)) < len(codes):
        twice = sorted({c for c in codes if codes.count(c) > 1})
        raise InputError(f"XMLTV: channel {', '.join(twice)} is given twice")
    try:
        ids = xmltv_ids.channel_ids(codes, xmltv_ids.DEFAULT_DOMAIN, channel_ids)
    except ValueError as exc:
        raise InputError(f"XMLTV: {exc}") from None
    tv = etree.Element("tv", {"date": generated_at.astimezone(UTC).strftime(XMLTV_TIME),
                              "generator-info-name": "broadcaster"})
    programmes: list[Any] = []
    for station, items in channels:
        zone = _zone(station)
        where = f"XMLTV channel {station.code}"
        try:
            channel = etree.SubElement(tv, "channel", {"id": ids[station.code]})
            etree.SubElement(channel, "display-name", {"lang": "vi"}).text = station.name
            for item in _ordered(station, items):
                where = f"XMLTV channel {station.code}, item {item.id}"
                programmes.append(_programme(ids[station.code], item, zone))
        except ValueError as exc:  # lxml refuses control characters and the like
            raise InputError(f"{where}: text that XML cannot hold ({exc})") from exc
    tv.extend(programmes)
    return etree.tostring(tv, xml_declaration=True, encoding="UTF-8", pretty_print=True,
                          doctype=f'<!DOCTYPE tv SYSTEM "{XMLTV_DTD_NAME}">')


# -- iCalendar -----------------------------------------------------------------------------------


def icalendar_feed(station: StationInfo, items: Sequence[PlaylistItem]) -> bytes:
    """An RFC 5545 calendar of the station's items: one VEVENT per item, no RRULE.

    Each item is one occurrence, so any iCalendar library expands the feed to exactly the
    published items, resumed and pre-empted parts included (an RRULE plus exceptions could not
    say that a part was cut short). UID is ``<item id>@broadcaster``; DTSTART/DTEND are in the
    station's zone, whose VTIMEZONE is included; SUMMARY is the title, CATEGORIES the priority,
    X-BROADCASTER-SHA256 the media digest. DTSTAMP is the item's start in UTC: RFC 5545 requires
    it, and deriving it from the content (not the clock) keeps the file byte-stable.
    """
    zone = _zone(station)
    cal = icalendar.Calendar()
    cal.add("prodid", ICAL_PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", station.name)
    cal.add("x-wr-calname", station.name)
    cal.add_component(icalendar.Timezone.from_tzid(station.timezone))
    for item in _ordered(station, items):
        event = icalendar.Event()
        event.add("uid", f"{item.id}@{UID_DOMAIN}")
        event.add("dtstamp", item.start.astimezone(UTC).replace(microsecond=0))
        event.add("dtstart", _whole_seconds(item.start, zone))
        event.add("dtend", _whole_seconds(item.end, zone))
        event.add("summary", item.title)
        if item.description:
            event.add("description", item.description)
        event.add("categories", [item.priority])
        event.add("x-broadcaster-sha256", item.media.sha256)
        if item.offset_ms:
            event.add("x-broadcaster-offset-ms", str(item.offset_ms))
        cal.add_component(event)
    return cal.to_ical()
