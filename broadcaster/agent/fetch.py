"""Media downloads: resumable, bandwidth-bounded, verified before use, moved in atomically.

A download writes ``SHA256.EXT.part``; a broken one resumes from the bytes it has
(``Range``). Only when the whole file hashes to its name is it renamed into place (and fsynced):
a half or corrupt file never carries a name the player would use. The order is the playlist's
urgency: emergency items first, then by start time.

The size the playlist declares bounds every download: an answer that announces more is
refused before its body is read, one that sends more is cut off at the declared size, and
nothing beyond it is written to disk. What concerns one file only (an error status for it, a
wrong size, bytes that do not hash to its name) is :class:`MediaFailed`: the fetcher retries
that file later with its own backoff while the others go on. What concerns the server
(no answer, 429, 502-504) is :class:`ServerUnavailable`, and every download waits.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import httpx

from broadcaster.agent.cache import MediaCache, sha256_of
from broadcaster.agent.client import Refused, ServerClient, ServerUnavailable, header_int
from broadcaster.agent.clock import Clock
from broadcaster.agent.playlist import Item, MediaRef

log = logging.getLogger(__name__)

CHUNK = 16 * 1024


class MediaFailed(Exception):
    """This one file cannot be had now (the others may): it is retried later on its own."""


class MediaCorrupt(MediaFailed):
    """A finished download does not hash to its name, or is longer than declared (deleted)."""


def fetch_order(items: Sequence[Item], now: datetime) -> list[MediaRef]:
    """The media still needed (items not over), most urgent first, each once.

    Emergency items first, then high, then normal; within a priority by start time.
    """
    wanted = sorted((i for i in items if i.end > now), key=lambda i: (-i.rank, i.start, i.id))
    seen: set[str] = set()
    order: list[MediaRef] = []
    for item in wanted:
        if item.media.sha256 not in seen:
            seen.add(item.media.sha256)
            order.append(item.media)
    return order


class Throttle:
    """Keeps a transfer at or under ``rate`` bytes/s (0: no limit) by sleeping."""

    def __init__(self, rate: int, clock: Clock) -> None:
        self.rate, self.clock = rate, clock
        self.started = clock.monotonic()
        self.sent = 0

    def take(self, size: int) -> None:
        """Account ``size`` bytes; sleep until the average rate is back under the limit."""
        if not self.rate:
            return
        self.sent += size
        ahead = self.sent / self.rate - (self.clock.monotonic() - self.started)
        if ahead > 0:
            self.clock.sleep(ahead)


class Downloader:
    """Fetches media files into a :class:`MediaCache`."""

    def __init__(self, client: ServerClient, cache: MediaCache, clock: Clock,
                 max_bytes_per_s: int = 0) -> None:
        self.client, self.cache, self.clock = client, cache, clock
        self.max_bytes_per_s = max_bytes_per_s

    def fetch(self, media: MediaRef, abort: Callable[[], bool] = lambda: False) -> bool:
        """Download ``media`` (resuming a ``.part``); True once it is verified in place.

        False when ``abort()`` turned true between chunks (the ``.part`` is kept).
        Raises :class:`ServerUnavailable` (the server) or :class:`MediaFailed` (this file;
        a bad ``.part`` is deleted).
        """
        part = self.cache.part_path(media)
        have = part.stat().st_size if part.exists() else 0
        if have > media.bytes:
            part.unlink()
            have = 0
        if have < media.bytes:
            try:
                if not self._transfer(media, part, have, abort):
                    return False
            except Refused as exc:
                raise MediaFailed(str(exc)) from None
            except ServerUnavailable as exc:
                if exc.server_wide:
                    raise
                raise MediaFailed(str(exc)) from None
        size = part.stat().st_size
        if size < media.bytes:
            raise MediaFailed(f"media {media.name}: the server sent {size} of the "
                              f"{media.bytes} bytes the playlist declares and ended the "
                              f"answer; it will resume")
        actual = sha256_of(part)
        if actual != media.sha256:
            part.unlink(missing_ok=True)
            raise MediaCorrupt(f"media {media.name}: the downloaded bytes ({size}) hash to "
                               f"{actual[:12]}, not to the file's name; deleted, to be fetched "
                               f"again")
        self.cache.adopt(part, media)
        log.info("media %s downloaded and verified (%d bytes)", media.name, size)
        return True

    def _transfer(self, media: MediaRef, part: Path, have: int,
                  abort: Callable[[], bool]) -> bool:
        """Append the answer to ``part`` from ``have`` on, never past ``media.bytes``; False
        when ``abort()`` paused it."""
        throttle = Throttle(self.max_bytes_per_s, self.clock)
        with self.client.media(media.url, have) as response:
            if response.status_code == 416:  # the part holds more than the file: restart
                part.unlink(missing_ok=True)
                raise MediaFailed(f"media {media.name}: the partial download did not fit "
                                  f"the file on the server; it starts again")
            if response.status_code != 206 or not _resumes_at(response, have):
                have = 0  # the server sent the whole file
            room = media.bytes - have
            declared = header_int(response.headers.get("content-length"))
            if declared is not None and declared > room:
                raise self._too_long(media, part, f"announced {declared} bytes from "
                                                  f"byte {have}, more")
            with part.open("r+b" if have else "wb") as fh:
                fh.seek(have)
                fh.truncate()
                for chunk in response.iter_bytes(CHUNK):
                    if len(chunk) > room:
                        fh.close()
                        raise self._too_long(media, part, "sent more")
                    fh.write(chunk)
                    room -= len(chunk)
                    throttle.take(len(chunk))
                    if abort():
                        log.info("download of %s paused at %d bytes for a more urgent "
                                 "file", media.name, fh.tell())
                        return False
                fh.flush()
                os.fsync(fh.fileno())
        return True

    @staticmethod
    def _too_long(media: MediaRef, part: Path, what: str) -> MediaCorrupt:
        part.unlink(missing_ok=True)
        return MediaCorrupt(f"media {media.name}: the server {what} than the {media.bytes} "
                            f"bytes the playlist declares; refused and deleted, not read "
                            f"further")


def _resumes_at(response: httpx.Response, offset: int) -> bool:
    """Whether a 206 answer starts where the ``.part`` ends."""
    return response.headers.get("content-range", "").startswith(f"bytes {offset}-")
