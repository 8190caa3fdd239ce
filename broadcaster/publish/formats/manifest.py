"""``playlist.json``: the manifest the station agent reads.

UTF-8, sorted keys, 2-space indent, trailing newline. Times are UTC with ``Z`` plus
``start_local``/``end_local`` in the station's zone; milliseconds are kept when an item starts
mid-second (parts follow each other to the ms). The manifest carries the station's digest
(see :meth:`~broadcaster.publish.formats.Playlist.digest`), which is also its ETag.
"""

from __future__ import annotations

import json

from broadcaster.publish.formats._core import (
    PRETTY,
    FormatInput,
    Playlist,
    PublicationFormat,
    aware,
    station_dict,
    utc,
)

_ITEMS_KEY = '\n  "items": '


def _items_text(playlist: Playlist) -> str:
    """The manifest's "items" value, indented as it stands in the manifest (one level in)."""
    wrapped = json.dumps({"items": playlist.dicts}, **PRETTY)
    return wrapped[len("{" + _ITEMS_KEY):-len("\n}")]


def render(given: FormatInput) -> bytes:
    """The station's ``playlist.json``.

    The items are written once per playlist (10,000 stations share a few playlists): sorted
    keys put "items" third, after two fixed-format strings, so the first ``"items": null`` of
    the station's own part is the key itself, replaced by the shared text. The result is
    exactly ``json.dumps(document, ensure_ascii=False, sort_keys=True, indent=2) + "\\n"``.
    """
    station = given.station
    start = aware(given.window[0], f"station {station.code}: window start")
    end = aware(given.window[1], f"station {station.code}: window end")
    aware(given.now, f"station {station.code}: generated_at")
    given.playlist.check(station)
    text = json.dumps({"digest": given.digest, "generated_at": utc(given.now), "items": None,
                       "publication": given.number, "station": station_dict(station),
                       "window": {"start": utc(start), "end": utc(end)}}, **PRETTY)
    items = given.playlist.shared("manifest", _items_text)
    text = text.replace(f"{_ITEMS_KEY}null", _ITEMS_KEY + items, 1)
    return (text + "\n").encode("utf-8")


FORMAT = PublicationFormat("manifest", "playlist.json", "application/json", render,
                           served=True, description="the station's playlist")
