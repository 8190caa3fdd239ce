"""The station's ``playlist.json`` as the agent reads it (see docs/station-protocol.md).

Pure: bytes in, frozen dataclasses out. Everything the agent later turns into a file name
(sha256, extension) is checked here, so a bad manifest cannot name a path outside the cache;
every time lies within :data:`EARLIEST` and :data:`LATEST` and every number within what the
server can store, so nothing downstream overflows (decisions add seconds to times; the
heartbeat sends the publication back).

A playlist the agent cannot read at all (not JSON, no items, a bad publication or digest) is
refused whole with :class:`ManifestError`; the agent keeps the one it holds. An item with a
bad field is left out and named in :attr:`Manifest.refused`; the others play, so one bad
item cannot keep an emergency from a station.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from broadcaster.domain.vocabulary import PRIORITIES, PRIORITY_RANK
from broadcaster.errors import BroadcasterError
from broadcaster.localtime import DEFAULT_TIMEZONE

SHA256 = re.compile(r"^[0-9a-f]{64}$")
EXT = re.compile(r"^[a-z0-9]{1,8}$")
ZONE = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+){0,2}$")
DIGEST = re.compile(r"^[0-9A-Za-z_-]{1,64}$")  # the server's ETag; sent back in heartbeats
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)     # far from datetime.max: arithmetic stays safe
MAX_INT = 2**63 - 1                           # what the server stores (BIGINT)
MAX_TEXT = 500                                # characters of a title or a code
MAX_ID = 300                                  # characters of an item id (as reports take it)
MAX_URL = 2000


class ManifestError(BroadcasterError):
    """A playlist the agent cannot use; the message names the item and field."""


@dataclass(frozen=True)
class MediaRef:
    """A content-addressed media file named by a playlist item."""

    url: str
    sha256: str
    bytes: int
    duration_ms: int
    ext: str

    @property
    def name(self) -> str:
        """The file's name in the cache: ``SHA256.EXT``."""
        return f"{self.sha256}.{self.ext}"


@dataclass(frozen=True)
class Item:
    """One thing to play: ``media`` from ``offset_ms`` on, between ``start`` and ``end``.

    A live relay has ``relay_url``; its ``media`` is then the recorded fallback.
    """

    id: str
    title: str
    start: datetime
    end: datetime
    priority: str
    media: MediaRef
    offset_ms: int = 0
    relay_url: str = ""

    @property
    def rank(self) -> int:
        """0 normal, 1 high, 2 emergency."""
        return PRIORITY_RANK[self.priority]


@dataclass(frozen=True)
class Manifest:
    """A station's playlist: the publication it comes from and its items in play order."""

    publication: int
    digest: str
    station: str
    timezone: str
    items: tuple[Item, ...]
    window_end: datetime | None = None
    refused: tuple[str, ...] = ()   # items left out, each a sentence naming item and field

    def media(self) -> dict[str, MediaRef]:
        """Every media file the items name, by sha256."""
        return {i.media.sha256: i.media for i in self.items}


def parse_time(text: Any, where: str) -> datetime:
    """An ISO 8601 time with a zone (``Z`` or an offset) as aware UTC."""
    if not isinstance(text, str):
        raise ManifestError(f"{where}: expected a time, got {text!r}")
    shown = text if len(text) <= 60 else text[:60] + "..."
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ManifestError(f"{where}: {shown!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ManifestError(f"{where}: {shown!r} has no time zone")
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC
        moment = LATEST
    if not EARLIEST <= moment < LATEST:
        raise ManifestError(f"{where}: {shown!r} is out of range (a time between "
                            f"{EARLIEST.year} and {LATEST.year} is expected)")
    return moment


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"{where}.{key}: expected {kind.__name__}, got {_short(value)}")
    if isinstance(value, str) and len(value) > (MAX_URL if key == "url" else MAX_TEXT):
        raise ManifestError(f"{where}.{key}: {len(value)} characters is too long")
    return value


def _number(data: dict[str, Any], key: str, where: str, low: int, default: int | None = None
            ) -> int:
    """A whole number from ``low`` to :data:`MAX_INT` (``default`` when absent, if given)."""
    value = data.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_INT:
        raise ManifestError(f"{where}.{key}: expected a whole number from {low} to {MAX_INT}, "
                            f"got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:80] + "..."


def _media(data: Any, where: str) -> MediaRef:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected an object, got {data!r}")
    url = _field(data, "url", str, where)
    sha = _field(data, "sha256", str, where)
    if not SHA256.fullmatch(sha):
        raise ManifestError(f"{where}.sha256: {sha!r} is not a sha256 in lower-case hex")
    _, dot, suffix = url.rsplit("/", 1)[-1].rpartition(".")
    ext = str(data.get("ext") or (suffix if dot else "")).lower()
    if not EXT.fullmatch(ext):
        raise ManifestError(f"{where}.url: {_short(url)} does not end in a file extension")
    # The declared size bounds the download: it must be there and positive.
    return MediaRef(url, sha, _number(data, "bytes", where, 1),
                    _number(data, "duration_ms", where, 0), ext)


def _item(data: Any, where: str) -> Item:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected an object, got {data!r}")
    item_id = _field(data, "id", str, where)
    if not 0 < len(item_id) <= MAX_ID:
        raise ManifestError(f"{where}.id: expected 1 to {MAX_ID} characters, got "
                            f"{len(item_id)}")
    where = f"{where} ({item_id})"
    priority = data.get("priority", "normal")
    if priority not in PRIORITIES:
        raise ManifestError(f"{where}.priority: {priority!r} is not one of "
                            f"{', '.join(PRIORITIES)}")
    start = parse_time(data.get("start"), f"{where}.start")
    end = parse_time(data.get("end"), f"{where}.end")
    if end <= start:
        raise ManifestError(f"{where}: end {data.get('end')} is not after start")
    relay = data.get("relay") or {}
    offset = _number(data, "offset_ms", where, 0, default=0)
    relay_url = str(relay.get("url", "")) if isinstance(relay, dict) else ""
    if len(relay_url) > MAX_URL:
        raise ManifestError(f"{where}.relay.url: {len(relay_url)} characters is too long")
    return Item(item_id, str(data.get("title", ""))[:MAX_TEXT], start, end, priority,
                _media(data.get("media"), f"{where}.media"), offset, relay_url)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _zone_name(value: Any) -> str:
    """The station's zone name (for display only); the default when it is not a zone name."""
    if isinstance(value, str) and ZONE.fullmatch(value):
        return value
    return DEFAULT_TIMEZONE


def _items(raw_items: list[Any]) -> tuple[list[Item], list[str]]:
    """The items that can be read, and a sentence for each one left out."""
    items: dict[str, Item] = {}
    refused: list[str] = []
    for n, raw in enumerate(raw_items):
        try:
            item = _item(raw, f"items.{n}")
        except ManifestError as exc:
            refused.append(str(exc))
            continue
        if item.id in items:
            refused.append(f"items.{n} ({item.id}): the id is named twice; left out")
            continue
        items[item.id] = item
    return list(items.values()), refused


def parse_manifest(body: bytes) -> Manifest:
    """Read a ``playlist.json``; :class:`ManifestError` names what is wrong.

    Items with a bad field are left out (:attr:`Manifest.refused` names them).
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"the playlist is not JSON: {exc}") from None
    except RecursionError:
        raise ManifestError("the playlist is not JSON the agent can read: it is nested too "
                            "deep") from None
    if not isinstance(data, dict):
        raise ManifestError("the playlist is not a JSON object")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise ManifestError("the playlist has no 'items' list")
    publication = _number(data, "publication", "playlist", 1)
    digest = _field(data, "digest", str, "playlist")
    if not DIGEST.fullmatch(digest):
        raise ManifestError(f"playlist.digest: {_short(digest)} is not a digest (up to 64 "
                            f"letters and digits)")
    station = _object(data.get("station"))
    window = _object(data.get("window"))
    window_end = parse_time(window["end"], "window.end") if window.get("end") else None
    items, refused = _items(raw_items)
    return Manifest(
        publication=publication, digest=digest,
        station=str(station.get("code", ""))[:MAX_TEXT],
        timezone=_zone_name(station.get("timezone")),
        items=tuple(sorted(items, key=lambda i: (i.start, i.end, i.id))),
        window_end=window_end, refused=tuple(refused))
