"""``playlist.m3u8``: the playlist as extended M3U, for ordinary players (VLC, mpv).

UTF-8, one entry per item, in play order. Per item: ``#EXTINF:<seconds played>,<title>``,
``#EXT-X-PROGRAM-DATE-TIME:`` with the scheduled start in the station's zone, to the
millisecond (informational: players play the list in sequence, they do not wait for the
time), then the media URL. It is stored relative to the server and served absolute
(:func:`serve`): mpv reads ``/media/...`` as a local path.

Resumed or shortened parts carry ``#EXTVLCOPT:start-time=`` / ``stop-time=`` (seconds into the
media), which VLC applies. mpv skips every ``#`` line except ``#EXTINF`` (it notes ``#EXT-X-``
lines only to warn when the file is given to ``--playlist``), so it plays such a part from the
beginning of its file to its end; the station agent, not the M3U, is the exact player. The file
has no HLS-only tags (TARGETDURATION, MEDIA-SEQUENCE, ENDLIST...), so neither VLC nor ffmpeg
mistakes it for an HLS stream; it is served as ``audio/x-mpegurl``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from broadcaster.planning.items import PlaylistItem
from broadcaster.publish.formats._core import (
    FormatInput,
    Playlist,
    PublicationFormat,
    one_line,
    played_ms,
    seconds,
)


def _lines(item: PlaylistItem, zone: ZoneInfo) -> list[str]:
    played = played_ms(item)
    stamp = item.start.astimezone(zone).isoformat(timespec="milliseconds")
    lines = [f"#EXTINF:{seconds(played)},{one_line(item.title)}",
             f"#EXT-X-PROGRAM-DATE-TIME:{stamp}"]
    if item.relay_url:  # a live stream: players play it as it is
        return [*lines, f"#EXTVLCOPT:run-time={seconds(played)}", item.relay_url]
    if item.offset_ms:
        lines.append(f"#EXTVLCOPT:start-time={seconds(item.offset_ms)}")
    if item.offset_ms + played < item.media.duration_ms:
        lines.append(f"#EXTVLCOPT:stop-time={seconds(item.offset_ms + played)}")
    return [*lines, item.media.url]


def _entries(playlist: Playlist) -> str:
    return "".join(f"\n{line}" for i in playlist.items for line in _lines(i, playlist.zone))


def render(given: FormatInput) -> bytes:
    """The station's ``playlist.m3u8``."""
    given.playlist.check(given.station)
    entries = given.playlist.shared("m3u8", _entries)
    return f"#EXTM3U\n#PLAYLIST:{one_line(given.station.name)}{entries}\n".encode()


def serve(body: bytes, base_url: str) -> bytes:
    """The stored playlist with absolute media URLs on ``base_url``."""
    return body.replace(b"\n/media/", b"\n" + base_url.encode() + b"/media/")


FORMAT = PublicationFormat("m3u8", "playlist.m3u8", "audio/x-mpegurl; charset=utf-8", render,
                           served=True, description="the playlist as extended M3U",
                           serve=serve)
