"""A station server on a real loopback socket that answers what a test tells it to.

The real server (``tests/web``) never sends a playlist with an out-of-range time, a media
answer longer than its file or a 600 MB playlist; a broken proxy, a captive portal or a bug
could. This one does, on purpose, so the agent's real HTTP client meets real bytes.

``server.playlists`` is a list of answers given in turn (the last one again and again once
the list is down to one); ``server.media[name]`` answers ``/media/NAME`` (an answer, or a
list given in turn like the playlists); reports are kept in
``server.reports`` and answered by ``server.report_answer``. Every request is logged in
``server.requests`` as ``(monotonic time, method, path, Range header)``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PLAYLIST_PATH = "/api/v1/stations/TANTIEN-01/playlist.json"
REPORTS_PATH = "/api/v1/stations/TANTIEN-01/reports"


@dataclass
class Answer:
    """One answer: a status, headers, and a body (bytes, or chunks produced on the fly).

    ``length`` is the Content-Length to announce (``None``: the body's own length for bytes;
    none at all for chunks, which then end when the connection closes).
    """

    status: int = 200
    body: bytes | Callable[[], Iterator[bytes]] = b""
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    hold_s: float = 0.0          # wait this long before answering (a held long-poll)
    ranges: bool = False         # answer ``Range: bytes=N-`` with 206 (bytes bodies only)


def not_modified(hold_s: float = 0.3) -> Answer:
    """A long-poll that found nothing new."""
    return Answer(304, hold_s=hold_s)


def json_answer(data: Any, status: int = 200) -> Answer:
    return Answer(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


class HostileServer:
    """The server; start with :meth:`start`, stop with :meth:`stop`."""

    def __init__(self) -> None:
        self.playlists: list[Answer] = [json_answer({"error": "nothing published"}, 404)]
        self.media: dict[str, Answer | list[Answer]] = {}
        self.reports: list[dict[str, Any]] = []
        self.report_answer: Callable[[dict[str, Any]], Answer] = self._acknowledge
        self.requests: list[tuple[float, str, str, str]] = []
        self.sent_each: list[tuple[str, int]] = []   # (path, bytes of body written) per answer
        self.busy = 0                         # requests being answered now
        self.lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"

    def start(self) -> HostileServer:
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def paths(self, prefix: str = "") -> list[str]:
        with self.lock:
            return [path for _, _, path, _ in self.requests if path.startswith(prefix)]

    @staticmethod
    def _acknowledge(body: dict[str, Any]) -> Answer:
        plays = body.get("plays", [])
        return json_answer({"received": len(plays), "duplicates": 0,
                            "last_id": plays[-1]["id"] if plays else None})

    def _answer(self, method: str, path: str, body: bytes) -> Answer:
        if path == PLAYLIST_PATH:
            with self.lock:
                return self.playlists.pop(0) if len(self.playlists) > 1 else self.playlists[0]
        if path == REPORTS_PATH and method == "POST":
            report = json.loads(body)
            with self.lock:
                self.reports.append(report)
            return self.report_answer(report)
        name = path.removeprefix("/media/")
        answer = self.media.get(name, json_answer({"error": f"no media file {name}"}, 404))
        if isinstance(answer, list):
            with self.lock:
                return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                path = self.path.split("?", 1)[0]
                first = self.headers.get("Range", "")
                with server.lock:
                    server.requests.append((time.monotonic(), method, path, first))
                    server.busy += 1
                try:
                    size = int(self.headers.get("Content-Length") or 0)
                    answer = server._answer(method, path, self.rfile.read(size))
                    time.sleep(answer.hold_s)
                    self._send(path, answer, first)
                finally:
                    with server.lock:
                        server.busy -= 1

            def _send(self, path: str, answer: Answer, wanted: str) -> None:
                body, status, headers = answer.body, answer.status, dict(answer.headers)
                if isinstance(body, bytes) and answer.ranges and wanted.startswith("bytes="):
                    start = int(wanted.removeprefix("bytes=").rstrip("-"))
                    headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    body, status = body[start:], 206
                self.send_response(status)
                length = answer.length if answer.length is not None else \
                    len(body) if isinstance(body, bytes) else None
                if length is not None:
                    headers["Content-Length"] = str(length)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                chunks = iter([body]) if isinstance(body, bytes) else body()
                sent = 0
                try:
                    for chunk in chunks:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                with server.lock:
                    server.sent_each.append((path, sent))

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, *_: Any) -> None:
                pass

        return Handler
