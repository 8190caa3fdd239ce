"""A small keep-alive HTTP/1.1 client on asyncio streams, and reading serve's ``/metrics``.

The client is a few lines over ``asyncio.open_connection``: cheap enough that a thousand
connections in one process measure the server, not the client. It reads Content-Length bodies
only, which is all serve and nginx send for playlists.
"""

from __future__ import annotations

import asyncio
import contextlib
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType

from _tools import BenchError


def fetch_text(url: str, timeout: float = 10.0) -> str:
    """The body of a GET (for /metrics and /healthz)."""
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        text: str = reply.read().decode()
        return text


def metric(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus metric's samples whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, value = line.rpartition(" ")
        metric_name, _, label_text = head.partition("{")
        if metric_name != name:
            continue
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(value)
    return total


@dataclass(frozen=True)
class Reply:
    """An HTTP response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class Http:
    """One keep-alive HTTP/1.1 connection on asyncio streams (Content-Length bodies only)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Http:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port,
                                                                 limit=1 << 20)
        return self

    async def send(self, path: str, headers: Mapping[str, str] | None = None) -> None:
        """Write a GET request (the reply is read by :meth:`receive`)."""
        if self.writer is None:
            await self.open()
        assert self.writer is not None
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in (headers or {}).items()) + "\r\n"
        self.writer.write(head.encode("latin-1"))
        await self.writer.drain()

    async def receive(self) -> Reply:
        """Read one response."""
        assert self.reader is not None
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", ""):
            raise BenchError("a chunked response; this client reads Content-Length bodies only")
        length = int(headers.get("content-length", "0"))
        body = await self.reader.readexactly(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Reply(status, headers, body)

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """GET ``path`` and read the response."""
        await self.send(path, headers)
        return await self.receive()

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def __aenter__(self) -> Http:
        return await self.open()

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()


def station_path(code: str) -> str:
    """The station's playlist URL path on ``broadcaster serve``."""
    return f"/api/v1/stations/{code}/playlist.json"
