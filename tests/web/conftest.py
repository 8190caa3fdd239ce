"""Fixtures of the HTTP tests: the app on a real uvicorn socket, and a published province."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from broadcaster.app import App
from broadcaster.web import WebSettings, create_app

JSON = "/api/v1/stations/{}/playlist.json"
M3U8 = "/api/v1/stations/{}/playlist.m3u8"
REPORTS = "/api/v1/stations/{}/reports"


@pytest.fixture
def serve(app: App) -> Iterator[Callable[..., httpx.Client]]:
    """``serve(settings=None)``: run ``create_app(app)`` on 127.0.0.1 and return a client
    (``client.api`` is the FastAPI app it talks to)."""
    started: list[tuple[uvicorn.Server, threading.Thread, httpx.Client]] = []

    def start(settings: WebSettings | None = None) -> httpx.Client:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        api = create_app(app, settings)
        config = uvicorn.Config(api, log_level="warning", timeout_graceful_shutdown=2)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=15)
        client.api = api  # type: ignore[attr-defined]
        started.append((server, thread, client))
        return client

    yield start
    for server, thread, client in started:
        client.close()
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def province(province: Any) -> Any:
    """The published small province (tests/conftest.py), with two stations' tokens."""
    province.tokens = {code: province("stations", "token", code, "--rotate").stdout.strip()
                       for code in ("TANTIEN-01", "HOALOC-01")}
    return province


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


PASSWORD = "mat-khau-thu-nghiem"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def sign_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    """Through the form, as a browser does: the page (cookie and CSRF token), then POST."""
    page = client.get("/ui/dang-nhap")
    return client.post("/ui/dang-nhap", data={"csrf": csrf_of(page.text), "name": name,
                                              "password": password})
