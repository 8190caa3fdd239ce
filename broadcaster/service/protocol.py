"""uvicorn's HTTP protocol with limits on slow and oversized requests.

uvicorn times out idle kept-alive connections, but not a client that opens a connection and
sends its request head slowly (slowloris) or never, nor one that sends a body a byte at a
time; and its httptools parser accepts request heads of any size. :func:`limited_protocol`
returns uvicorn's httptools protocol with three limits more:

- the request head (request line and headers) must arrive within ``head_timeout_s`` of the
  connection or of its first byte, else 408 and the connection is closed;
- the head may not be larger than ``max_head_bytes``, else 431 and closed;
- a body must arrive whole within ``body_timeout_s`` of the end of the head, else closed.

An nginx in front (docs/deploy/nginx.md) does the same with ``client_header_timeout``,
``large_client_header_buffers`` and ``client_body_timeout``; these hold when there is none.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

HEAD_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 60.0
MAX_HEAD_BYTES = 64 * 1024


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """:class:`HttpToolsProtocol` with time and size limits on request heads and bodies."""

    head_timeout_s = HEAD_TIMEOUT_S
    body_timeout_s = BODY_TIMEOUT_S
    max_head_bytes = MAX_HEAD_BYTES

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._in_head = True
        self._head_bytes = 0
        self._chunk = 0
        self._timer: asyncio.TimerHandle | None = None
        self._arm(self.head_timeout_s, 408)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._chunk = len(data)
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_head_bytes \
                and not self.transport.is_closing():
            self._refuse(431, f"the request head is larger than {self.max_head_bytes} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head:   # the next request on a kept-alive connection
            self._in_head, self._head_bytes = True, self._chunk
        if self._timer is None:
            self._arm(self.head_timeout_s, 408)

    def on_headers_complete(self) -> None:
        self._disarm()
        self._in_head, self._head_bytes = False, 0
        super().on_headers_complete()
        if self.parser is not None and self._expects_body():
            self._arm(self.body_timeout_s, 0)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    # -- limits -------------------------------------------------------------------------------

    def _expects_body(self) -> bool:
        for name, value in self.headers or ():
            if name == b"transfer-encoding" or (name == b"content-length" and value != b"0"):
                return True
        return False

    def _arm(self, seconds: float, status: int) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expired, status)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self, status: int) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        busy = self.cycle is not None and not self.cycle.response_complete
        if status and not busy:   # never write into a response still being sent
            self._refuse(status, f"the request head did not arrive within "
                                 f"{self.head_timeout_s:g} s")
        else:
            log.info("closed a connection from %s: its request %s did not arrive in time",
                     self.client, "head" if status else "body")
            self.transport.close()

    def _refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with ``message`` and close (no app involved)."""
        reason = {408: "Request Timeout", 431: "Request Header Fields Too Large"}[status]
        body = message.encode()
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                             % (status, reason.encode(), len(body), body))
        self.transport.close()


def limited_protocol(head_timeout_s: float = HEAD_TIMEOUT_S,
                     body_timeout_s: float = BODY_TIMEOUT_S,
                     max_head_bytes: int = MAX_HEAD_BYTES) -> type[LimitedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.Config(http=...)`` with these limits."""
    limits: dict[str, Any] = {"head_timeout_s": head_timeout_s,
                              "body_timeout_s": body_timeout_s,
                              "max_head_bytes": max_head_bytes}
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), limits)
