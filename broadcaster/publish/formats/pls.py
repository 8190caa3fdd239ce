"""``playlist.pls``: the playlist as PLS (``audio/x-scpls``), for players that take no M3U.

An INI-like file, UTF-8::

    [playlist]
    File1=/media/<sha256>.mp3
    Title1=Bản tin sáng
    Length1=900
    NumberOfEntries=1
    Version=2

One entry per item, in play order; ``Length`` is the whole seconds the item plays (a live
relay: its stream URL, length -1). PLS cannot start or stop inside a file: a resumed or
shortened part plays whole, as in mpv's reading of the M3U8; the station agent is the exact
player. The body names no station, so it is written once per playlist. Media URLs are stored
relative to the server and served absolute (:func:`serve`), as for the M3U8.
"""

from __future__ import annotations

import re

from broadcaster.publish.formats._core import (
    FormatInput,
    Playlist,
    PublicationFormat,
    one_line,
    played_ms,
)

_MEDIA = re.compile(rb"^(File\d+=)/media/", re.MULTILINE)


def _body(playlist: Playlist) -> bytes:
    lines = ["[playlist]"]
    for n, item in enumerate(playlist.items, 1):
        live = bool(item.relay_url)
        lines += [f"File{n}={item.relay_url if live else item.media.url}",
                  f"Title{n}={one_line(item.title)}",
                  f"Length{n}={-1 if live else played_ms(item) // 1000}"]
    lines += [f"NumberOfEntries={len(playlist.items)}", "Version=2", ""]
    return "\n".join(lines).encode()


def render(given: FormatInput) -> bytes:
    """The station's ``playlist.pls``."""
    given.playlist.check(given.station)
    return given.playlist.shared("pls", _body)


def serve(body: bytes, base_url: str) -> bytes:
    """The stored playlist with absolute media URLs on ``base_url``."""
    base = base_url.encode()
    return _MEDIA.sub(lambda m: m.group(1) + base + b"/media/", body)


FORMAT = PublicationFormat("pls", "playlist.pls", "audio/x-scpls", render, served=True,
                           description="the playlist as PLS", serve=serve)
