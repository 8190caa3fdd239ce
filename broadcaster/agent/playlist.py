"""The station's ``playlist.json`` as the agent reads it (see docs/station-protocol.md).

Pure: bytes in, frozen dataclasses out. Everything the agent later turns into a file name
(sha256, extension) is checked here, so a bad manifest cannot name a path outside the cache.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from broadcaster.errors import BroadcasterError
from broadcaster.localtime import DEFAULT_TIMEZONE, PRIORITIES

PRIORITY_RANK = {p: rank for rank, p in enumerate(PRIORITIES)}  # normal 0 ... emergency 2
SHA256 = re.compile(r"^[0-9a-f]{64}$")
EXT = re.compile(r"^[a-z0-9]{1,8}$")


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

    def media(self) -> dict[str, MediaRef]:
        """Every media file the items name, by sha256."""
        return {i.media.sha256: i.media for i in self.items}


def parse_time(text: Any, where: str) -> datetime:
    """An ISO 8601 time with a zone (``Z`` or an offset) as aware UTC."""
    if not isinstance(text, str):
        raise ManifestError(f"{where}: expected a time, got {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ManifestError(f"{where}: {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ManifestError(f"{where}: {text!r} has no time zone")
    return moment.astimezone(UTC)


def _field(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ManifestError(f"{where}.{key}: expected {kind.__name__}, got {value!r}")
    return value


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
        raise ManifestError(f"{where}.url: {url!r} does not end in a file extension")
    return MediaRef(url, sha, _field(data, "bytes", int, where),
                    _field(data, "duration_ms", int, where), ext)


def _item(data: Any, where: str) -> Item:
    if not isinstance(data, dict):
        raise ManifestError(f"{where}: expected an object, got {data!r}")
    item_id = _field(data, "id", str, where)
    where = f"{where} ({item_id})"
    priority = data.get("priority", "normal")
    if priority not in PRIORITY_RANK:
        raise ManifestError(f"{where}.priority: {priority!r} is not one of "
                            f"{', '.join(PRIORITY_RANK)}")
    start = parse_time(data.get("start"), f"{where}.start")
    end = parse_time(data.get("end"), f"{where}.end")
    if end <= start:
        raise ManifestError(f"{where}: end {data.get('end')} is not after start")
    relay = data.get("relay") or {}
    offset = data.get("offset_ms", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ManifestError(f"{where}.offset_ms: expected a whole number >= 0, got {offset!r}")
    return Item(item_id, str(data.get("title", "")), start, end, priority,
                _media(data.get("media"), f"{where}.media"), offset,
                str(relay.get("url", "")) if isinstance(relay, dict) else "")


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_manifest(body: bytes) -> Manifest:
    """Read a ``playlist.json``; :class:`ManifestError` names what is wrong."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"the playlist is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError("the playlist is not a JSON object")
    raw_items = data.get("items")
    if not isinstance(raw_items, list):
        raise ManifestError("the playlist has no 'items' list")
    items = [_item(raw, f"items.{n}") for n, raw in enumerate(raw_items)]
    if len({i.id for i in items}) != len(items):
        raise ManifestError("the playlist names an item id twice")
    station = _object(data.get("station"))
    window = _object(data.get("window"))
    return Manifest(
        publication=_field(data, "publication", int, "playlist"),
        digest=_field(data, "digest", str, "playlist"),
        station=str(station.get("code", "")),
        timezone=str(station.get("timezone", DEFAULT_TIMEZONE)),
        items=tuple(sorted(items, key=lambda i: (i.start, i.end, i.id))),
        window_end=parse_time(window["end"], "window.end") if window.get("end") else None)
