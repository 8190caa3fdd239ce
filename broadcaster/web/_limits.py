"""Protection: token-bucket rate limits, sign-in lockouts, a bounded password-hashing pool and a
request body size cap (ASGI middleware).

Every structure here is bounded: the rate limiter and the lockout keep at most ``max_keys``
keys and evict the least recently used one beyond that, so random keys (station codes, user
names, client addresses) cannot grow memory; the password pool holds at most ``workers +
queue`` hashes at once and refuses the rest at once (:class:`Busy`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


@dataclass
class RateLimiter:
    """Token buckets by key: ``rate`` tokens per second, at most ``burst`` saved up.

    Used from the event loop only (not thread-safe). At most ``max_keys`` buckets are kept;
    a new key beyond that evicts the least recently used bucket (which starts full again if its
    key comes back): memory stays bounded whatever keys are sent.
    """

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    max_keys: int = 10_000
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: str) -> _Bucket:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
        return bucket

    def take(self, key: str) -> float:
        """Spend one token for ``key``: 0 if allowed, else the seconds to wait (nothing spent)."""
        bucket = self._bucket(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


@dataclass(slots=True)
class _Failures:
    count: int
    until: float   # locked until this clock reading
    last: float    # the last failure


@dataclass
class Lockout:
    """Failed attempts by key (a user name, a client address) with an exponential lockout.

    The first ``free`` failures cost nothing; each later one locks the key for ``base_s *
    2**(failures - free - 1)`` seconds (1, 2, 4, ... with ``base_s=1``), at most ``max_s``.
    A key with no failure for ``forget_s`` starts again from zero. At most ``max_keys`` keys
    are kept (least recently used evicted). Used from the event loop only.
    """

    free: int = 5
    base_s: float = 1.0
    max_s: float = 900.0
    forget_s: float = 3600.0
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _keys: OrderedDict[str, _Failures] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self._keys)

    def _get(self, key: str, now: float) -> _Failures | None:
        entry = self._keys.get(key)
        if entry is not None and now - entry.last > self.forget_s and now >= entry.until:
            del self._keys[key]
            return None
        return entry

    def locked(self, key: str) -> float:
        """The seconds ``key`` stays locked (0: it may try now)."""
        now = self.clock()
        entry = self._get(key, now)
        return max(0.0, entry.until - now) if entry is not None else 0.0

    def failed(self, key: str) -> float:
        """Count a failure of ``key``; the seconds it is now locked for (0: not locked)."""
        now = self.clock()
        entry = self._get(key, now)
        if entry is None:
            while len(self._keys) >= self.max_keys:
                self._keys.popitem(last=False)
            entry = self._keys[key] = _Failures(0, now, now)
        else:
            self._keys.move_to_end(key)
        entry.count += 1
        entry.last = now
        if entry.count <= self.free:
            return 0.0
        seconds = min(self.max_s, self.base_s * 2.0 ** min(entry.count - self.free - 1, 64))
        entry.until = max(entry.until, now + seconds)
        return seconds

    def forget(self, key: str) -> None:
        """A success: ``key`` starts again from zero."""
        self._keys.pop(key, None)


class Busy(Exception):
    """The password pool is full: the request is refused at once rather than queued."""


def _lower_priority(niceness: int) -> None:
    """Run this worker thread (and the threads it starts) at a lower CPU priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except OSError as exc:  # not Linux, or not allowed: hashing still works, at priority 0
        log.warning("cannot lower the priority of the password worker: %s", exc)


class PasswordPool:
    """A few worker threads for password hashing (Argon2id: CPU and 64 MiB of memory each).

    At most ``workers`` hashes run at once and ``queue`` more wait; :meth:`run` raises
    :class:`Busy` at once beyond that, so a flood of sign-ins costs at most ``workers`` x 64
    MiB and cannot queue without end. The workers run at ``niceness`` (Linux thread
    priority), so that the event loop answering stations keeps the CPU when both compete.
    """

    def __init__(self, workers: int = 1, queue: int = 4, niceness: int = 10) -> None:
        self.workers, self.queue = workers, queue
        self._slots = threading.BoundedSemaphore(workers + queue)
        self._taken = 0   # slots in use (read without the lock: a hint for full())
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="passwords",
                                            initializer=_lower_priority, initargs=(niceness,))

    def full(self) -> bool:
        """Whether :meth:`run` would raise :class:`Busy` now (a hint: a refusal can be given
        before any other work; :meth:`run` decides)."""
        return self._taken >= self.workers + self.queue

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` on a worker; :class:`Busy` when every worker and slot is taken."""
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.workers + self.queue} password checks are already running or "
                       "waiting")
        with self._lock:
            self._taken += 1
        try:
            future: Future[T] = self._executor.submit(func, *args)
        except RuntimeError:  # shut down
            self._release()
            raise Busy("the password pool is shut down") from None
        # Released when the work is done, even if the request waiting for it went away.
        future.add_done_callback(lambda _: self._release())
        return await asyncio.wrap_future(future)

    def _release(self) -> None:
        with self._lock:
            self._taken -= 1
        self._slots.release()

    def shutdown(self) -> None:
        """Stop taking work; running hashes finish on their own."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class SigninGuard:
    """The limits on signing in: lockouts by user name and by client address, the pool that
    checks passwords, and how long a refused sign-in waits before its answer (it costs no CPU,
    and slows a client that tries as fast as it is answered)."""

    def __init__(self, users: Lockout, addresses: Lockout, passwords: PasswordPool,
                 refusal_delay_s: float = 1.0) -> None:
        self.users, self.addresses, self.passwords = users, addresses, passwords
        self.refusal_delay_s = refusal_delay_s

    def locked(self, name: str, address: str) -> float:
        """Seconds before ``name`` from ``address`` may try again (0: now)."""
        return max(self.users.locked(name), self.addresses.locked(address))

    def failed(self, name: str, address: str) -> float:
        """Count a wrong password; the seconds of the lockout it started (0: none)."""
        return max(self.users.failed(name), self.addresses.failed(address))

    def succeeded(self, name: str) -> None:
        """A right password: the user's count starts again (the address's decays on its own)."""
        self.users.forget(name)


class RefuseNul:
    """Refuse (400) a request whose path or query holds a NUL character (``%00``): no file
    name, code or database text may hold one (PostgreSQL refuses them in text). The station
    API's query (``wait``, ``token``) is left to its routes: ``wait`` is a number and a token
    is only ever hashed, so a NUL there is a wrong token (401), not a bad request."""

    def __init__(self, app: ASGIApp, query_exempt: str = "/api/v1/stations/") -> None:
        self.app = app
        self.query_exempt = query_exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if scope["type"] == "http" and ("\x00" in path or (
                b"%00" in scope.get("query_string", b"")
                and not path.startswith(self.query_exempt))):
            data = json.dumps({"error": "the request's path or query holds a NUL character "
                                        "(%00)"}).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(data)).encode())]})
            await send({"type": "http.response.body", "body": data})
            return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Refuse request bodies over ``max_bytes`` with 413, whatever the path or method.

    A declared Content-Length over the limit is refused at once. Any other body (chunked) is
    read here, up to the limit, before the app sees the request, and replayed to it: the cap
    holds even for routes that never read their body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int = 0,
                 upload_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths that take a document upload (exact): up to ``upload_bytes`` there.
        self.upload_bytes = max(upload_bytes, max_bytes)
        self.upload_paths = frozenset(upload_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_bytes if scope["path"] in self.upload_paths else self.max_bytes
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or len(declared) > 18
                                     or int(declared) > limit):
            await self._refuse(send)
            return
        if declared in (None, b"0") and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            received += len(chunks[-1])
            if received > limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body: dict[str, Any] = {"error": f"the request body is larger than the limit of "
                                         f"{self.max_bytes} bytes"}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(data)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": data})
