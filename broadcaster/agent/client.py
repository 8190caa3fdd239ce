"""The agent's side of the station protocol over HTTP (httpx), with timeouts and backoff.

Every request has a timeout; a long-poll's read timeout is the wait plus the normal timeout.
Failures become :class:`ServerUnavailable` (retry later: network errors, 429, 5xx, with the
server's ``Retry-After`` when it sent one) or :class:`Refused` (401/403/404/422: a setting or
the server's data is wrong; retried slowly, and said clearly in the log and the status).
"""

from __future__ import annotations

import email.utils
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


class ServerUnavailable(Exception):
    """The server could not be reached or asked to come back later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """The server refused the request (token, station code, report format)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


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


def _error(response: httpx.Response) -> str:
    try:
        message = response.json().get("error")
    except (ValueError, AttributeError):
        message = None
    return str(message or response.text[:200] or response.reason_phrase)


def _raise_for(response: httpx.Response, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{what}: the server answered {status}: {_error(response)}"
    if status in (429, 502, 503, 504) or status >= 500:
        raise ServerUnavailable(message, retry_after(response.headers.get("retry-after")))
    raise Refused(status, message)


class ServerClient:
    """Requests of one station: playlist (long-poll), media downloads, reports."""

    def __init__(self, settings: AgentSettings, token: Callable[[], str],
                 transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.station = settings.station
        self._token = token
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
        with self._calling(what):
            response = self._http.get(url, headers=self._headers(headers), params=params,
                                      timeout=timeout)
        if response.status_code == 304:
            return PlaylistAnswer(None, etag)
        _raise_for(response, what)
        tag = response.headers.get("etag", "").strip('"') or None
        return PlaylistAnswer(response.content, tag)

    def report(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a report; the server's answer (received, duplicates, last_id, ...)."""
        what = f"report of {self.station}"
        with self._calling(what):
            response = self._http.post(f"/api/v1/stations/{self.station}/reports",
                                       json=body, headers=self._headers())
        _raise_for(response, what)
        answer = response.json()
        return answer if isinstance(answer, dict) else {}

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
