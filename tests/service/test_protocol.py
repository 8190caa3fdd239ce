"""Slow and oversized requests on a real uvicorn socket: the request head must arrive in time
and fit its limit, a body must arrive in time; ``serve`` runs with these limits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from broadcaster.app import App
from broadcaster.service.daemon import KEEP_ALIVE_S, build, max_connections, server_config
from broadcaster.service.protocol import LimitedHttpToolsProtocol, limited_protocol


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """A tiny ASGI app: answers the size of the body it read."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def limited() -> Iterator[Callable[..., int]]:
    """``limited(**limits)``: uvicorn with the limited protocol on 127.0.0.1; its port."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**limits: Any) -> int:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(echo, http=limited_protocol(**limits), log_level="warning",
                                lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        servers.append((server, thread))
        return int(sock.getsockname()[1])

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def read_all(sock: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes (or ``within`` seconds); and when."""
    sock.settimeout(within)
    started, data = time.monotonic(), b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s; it sent {data[:200]!r}")
    except ConnectionResetError:
        pass
    return data, time.monotonic() - started


def test_a_head_that_never_ends_is_cut_off(limited) -> None:  # type: ignore[no-untyped-def]
    port = limited(head_timeout_s=1.0)
    with socket.create_connection(("127.0.0.1", port)) as sock:   # slowloris: a few bytes
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        data, took = read_all(sock, within=15)
    assert data.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in data
    assert took < 10
    with socket.create_connection(("127.0.0.1", port)) as sock:   # nothing at all
        data, _ = read_all(sock, within=15)
    assert data.startswith(b"HTTP/1.1 408 ")


def test_a_head_too_large_is_431(limited) -> None:  # type: ignore[no-untyped-def]
    port = limited(max_head_bytes=8 * 1024)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(40):   # 40 headers of 1 KB, never finished
            try:
                sock.sendall(b"X-Junk: " + b"j" * 1024 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
        data, _ = read_all(sock, within=15)
    assert data.startswith(b"HTTP/1.1 431 ")


def test_a_slow_body_is_cut_off_and_normal_requests_pass(limited) -> None:  # type: ignore[no-untyped-def]
    port = limited(head_timeout_s=1.0, body_timeout_s=1.0)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        # Kept alive: two requests, the second after more than the head timeout of idling
        # would have run out (idle time is not head time) but within keep-alive.
        for _ in range(2):
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
            sock.settimeout(10)
            answer = b""
            while not answer.endswith(b"\r\n\r\n5"):  # head and body may come apart
                piece = sock.recv(1024)
                assert piece, answer
                answer += piece
            time.sleep(0.3)
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhel")
        data, took = read_all(sock, within=15)
    assert b"200" not in data and took < 10


def test_serve_runs_with_the_limits(app: App) -> None:
    web, _ = build(app, scheduler=False)
    config = server_config(app, web, "127.0.0.1", 0)
    assert issubclass(config.http, LimitedHttpToolsProtocol)  # type: ignore[arg-type]
    assert config.timeout_keep_alive == KEEP_ALIVE_S
    assert config.limit_concurrency == max_connections() >= 64
    assert config.h11_max_incomplete_event_size is not None
