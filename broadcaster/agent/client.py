"""The agent's side of the station protocol over HTTP (httpx), with timeouts and backoff.

Every request has a timeout; a long-poll's read timeout is the wait plus the normal timeout.
Every answer is read as a stream with a cap (:data:`MAX_PLAYLIST_BYTES` for a playlist,
:data:`MAX_ANSWER_BYTES` for a report's answer, :data:`MAX_ERROR_BYTES` of an error's body):
a server, proxy or captive portal that answers too much is refused, never read whole into
memory. Failures become :class:`ServerUnavailable` (retry later: network errors, 429, 5xx, an
answer that is too large or not what the protocol says, with the server's ``Retry-After`` when
it sent one) or :class:`Refused` (401/403/404/413/422: a setting or the server's data is wrong;
said clearly in the log and the status).
"""

from __future__ import annotations

import email.utils
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from broadcaster import __version__
from broadcaster.agent.settings import AgentSettings

USER_AGENT = f"broadcaster-agent/{__version__}"
MAX_PLAYLIST_BYTES = 16 * 1024 * 1024   # a week of a busy station's playlist is under 1 MB
MAX_ANSWER_BYTES = 64 * 1024            # a report's answer is a few hundred bytes
MAX_ERROR_BYTES = 4096                  # of an error's body, for the message
MAX_RETRY_AFTER_S = 3600.0              # a server's Retry-After is honoured up to an hour
# Statuses that say "the server (or its front) is busy or down", not "this request is wrong".
BUSY = frozenset({429, 502, 503, 504})


class ServerUnavailable(Exception):
    """The server could not be reached or asked to come back later."""

    def __init__(self, message: str, retry_after: float | None = None,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status  # the HTTP status, None when no answer came

    @property
    def server_wide(self) -> bool:
        """Whether it concerns every request (no answer, or a busy server), not just this one."""
        return self.status is None or self.status in BUSY


class Refused(Exception):
    """The server refused the request (token, station code, report format)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def header_int(value: str | None) -> int | None:
    """A header's whole number (ASCII digits only), or None."""
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), at most
    :data:`MAX_RETRY_AFTER_S` (a wild value must not silence the station)."""
    if not value:
        return None
    value = value.strip()
    if (seconds := header_int(value)) is not None:
        return float(min(seconds, MAX_RETRY_AFTER_S))
    try:
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = (when - (now or datetime.now(UTC))).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(0.0, wait), MAX_RETRY_AFTER_S)


class Backoff:
    """Exponential backoff with jitter: the n-th delay lies in [d/2, d], d = min(max, min*2^n).

    A server's ``Retry-After`` wins when it is longer.
    """

    def __init__(self, minimum: float, maximum: float,
                 rng: Callable[[], float] = random.random) -> None:
        self.minimum, self.maximum, self.rng = minimum, maximum, rng
        self.failures = 0

    def reset(self) -> None:
        """After a success."""
        self.failures = 0

    def next(self, server_says: float | None = None) -> float:
        """The delay before the next attempt (and count one more failure)."""
        ceiling = min(self.maximum, self.minimum * 2 ** min(self.failures, 30))
        self.failures += 1
        delay = ceiling / 2 + self.rng() * ceiling / 2
        return max(delay, server_says or 0.0)


@dataclass(frozen=True)
class PlaylistAnswer:
    """A new playlist (``body`` and ``etag``) or ``None`` body: unchanged (304)."""

    body: bytes | None
    etag: str | None


class TooLarge(ServerUnavailable):
    """An answer longer than the agent accepts (it was not read past the limit)."""


def read_capped(response: httpx.Response, limit: int, what: str) -> bytes:
    """The body of a streamed ``response``, refused with :class:`TooLarge` past ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before anything is read.
    """
    declared = header_int(response.headers.get("content-length"))
    if declared is not None and declared > limit:
        raise TooLarge(f"{what}: the server announced {declared} bytes, more than the "
                       f"{limit} the agent accepts; refused without reading it")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > limit:
            raise TooLarge(f"{what}: the answer is longer than the {limit} bytes the agent "
                           f"accepts; refused after reading {len(body)} bytes")
    return bytes(body)


def _error_text(response: httpx.Response) -> str:
    """The error message of a streamed answer (its JSON ``error``, or its first bytes)."""
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) >= MAX_ERROR_BYTES:
                break
    except httpx.HTTPError:
        pass  # the status says enough
    try:
        message = json.loads(bytes(body)).get("error")
    except (ValueError, AttributeError, RecursionError):
        message = None
    text = bytes(body[:200]).decode("utf-8", "replace").strip()
    return str(message or text or response.reason_phrase)[:300]


def _raise_for(response: httpx.Response, what: str) -> None:
    """Raise for an error status (reads at most :data:`MAX_ERROR_BYTES` of a streamed body)."""
    status = response.status_code
    if status < 400:
        return
    message = f"{what}: the server answered {status}: {_error_text(response)}"
    if status in BUSY or status >= 500:
        raise ServerUnavailable(message, retry_after(response.headers.get("retry-after")),
                                status)
    raise Refused(status, message)


class ServerClient:
    """Requests of one station: playlist (long-poll), media downloads, reports."""

    def __init__(self, settings: AgentSettings, token: Callable[[], str],
                 transport: httpx.BaseTransport | None = None,
                 max_playlist_bytes: int = MAX_PLAYLIST_BYTES) -> None:
        self.settings = settings
        self.station = settings.station
        self._token = token
        self.max_playlist_bytes = max_playlist_bytes
        timeout = httpx.Timeout(settings.timeout_s)
        self._http = httpx.Client(base_url=settings.server, timeout=timeout,
                                  transport=transport, follow_redirects=True,
                                  headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token()}", **(extra or {})}

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as exc:
            raise ServerUnavailable(f"{what}: no answer in time ({type(exc).__name__})"
                                    ) from None
        except httpx.TransportError as exc:
            raise ServerUnavailable(f"{what}: the server cannot be reached ({exc})") from None

    def playlist(self, etag: str | None, wait: int | None = None) -> PlaylistAnswer:
        """The station's playlist; with ``etag`` and ``wait`` a long-poll (304: unchanged)."""
        what = f"playlist of {self.station}"
        url = f"/api/v1/stations/{self.station}/playlist.json"
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        params = {"wait": wait} if etag and wait else {}
        held = wait if etag and wait else 0
        timeout = httpx.Timeout(self.settings.timeout_s, read=self.settings.timeout_s + held)
        with self._calling(what), self._http.stream(
                "GET", url, headers=self._headers(headers), params=params,
                timeout=timeout) as response:
            if response.status_code == 304:
                return PlaylistAnswer(None, etag)
            _raise_for(response, what)
            body = read_capped(response, self.max_playlist_bytes, what)
            tag = response.headers.get("etag", "").strip('"') or None
        return PlaylistAnswer(body, tag)

    def report(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a report; the server's answer (received, duplicates, last_id, ...).

        An answer that is not a JSON object is :class:`ServerUnavailable` (a proxy or portal
        answered, not the server: nothing was acknowledged).
        """
        what = f"report of {self.station}"
        with self._calling(what), self._http.stream(
                "POST", f"/api/v1/stations/{self.station}/reports", json=body,
                headers=self._headers()) as response:
            _raise_for(response, what)
            data = read_capped(response, MAX_ANSWER_BYTES, what)
        try:
            answer = json.loads(data)
        except (ValueError, RecursionError):
            answer = None
        if not isinstance(answer, dict):
            raise ServerUnavailable(f"{what}: the answer is not the server's JSON object "
                                    f"({data[:80]!r}); sent again later")
        return answer

    @contextmanager
    def media(self, url: str, first_byte: int = 0) -> Iterator[httpx.Response]:
        """A streamed GET of a media file, from ``first_byte`` on (``Range``).

        Media are public and content-addressed (they may come from a CDN): no token is sent.
        """
        what = f"media {url.rsplit('/', 1)[-1]}"
        headers = {"Range": f"bytes={first_byte}-"} if first_byte else {}
        with self._calling(what), self._http.stream("GET", url, headers=headers) as resp:
            if resp.status_code != 416:
                _raise_for(resp, what)
            yield resp
