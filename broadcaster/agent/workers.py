"""The agent's worker threads, what went wrong in them, and the watchdog that restarts them.

Each network loop (:mod:`broadcaster.agent.sync`) survives any error of one round: it logs it
(with the traceback when it was unexpected), backs off and goes on. Should a loop's thread
stop all the same (an error in the error handling, a ``BaseException``), the
:class:`Watchdog`, called by the playback loop several times a second, starts it again, after
a backoff when it keeps dying. :class:`Health` counts both per worker; the heartbeat carries
it (``playing.workers``, ``playing.restarts``), so the province sees a station whose agent
limps, not just one that is online.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from broadcaster.agent.client import Backoff
from broadcaster.agent.clock import Clock

log = logging.getLogger(__name__)

MAX_MESSAGE = 200


class Worker(Protocol):
    """A loop that runs in its own thread until the agent stops."""

    name: str

    def run(self) -> None:
        """Loop until stopping."""
        ...


@dataclass
class WorkerHealth:
    """What went wrong in one worker since the agent started."""

    errors: int = 0          # rounds that failed with an unexpected error
    restarts: int = 0        # times the watchdog started its thread again
    last_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        """For the heartbeat and the state file (``last_error`` only when there is one)."""
        body: dict[str, Any] = {"errors": self.errors, "restarts": self.restarts}
        if self.last_error:
            body["last_error"] = self.last_error
        return body


class Health:
    """Errors and restarts of every worker; safe to use from several threads."""

    def __init__(self, names: Sequence[str] = ()) -> None:
        self._lock = threading.Lock()
        self._workers = {name: WorkerHealth() for name in names}

    def _get(self, name: str) -> WorkerHealth:
        return self._workers.setdefault(name, WorkerHealth())

    def register(self, name: str) -> None:
        """Count ``name`` from now on (it appears in the heartbeat with nothing wrong)."""
        with self._lock:
            self._get(name)

    def error(self, name: str, message: str) -> None:
        """One round of ``name`` failed with an unexpected error."""
        with self._lock:
            worker = self._get(name)
            worker.errors += 1
            worker.last_error = message[:MAX_MESSAGE]

    def died(self, name: str, message: str) -> None:
        """The thread of ``name`` stopped."""
        with self._lock:
            self._get(name).last_error = message[:MAX_MESSAGE]

    def restarted(self, name: str) -> int:
        """The watchdog started ``name`` again; how many times so far."""
        with self._lock:
            worker = self._get(name)
            worker.restarts += 1
            return worker.restarts

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every worker's counts, by name."""
        with self._lock:
            return {name: worker.as_dict() for name, worker in sorted(self._workers.items())}

    def restarts(self) -> int:
        """Restarts of all workers together."""
        with self._lock:
            return sum(worker.restarts for worker in self._workers.values())


class Watchdog:
    """Runs each worker in a daemon thread and starts again any that stopped."""

    def __init__(self, workers: Sequence[Worker], health: Health, clock: Clock,
                 stopping: threading.Event, backoff_min_s: float, backoff_max_s: float
                 ) -> None:
        self.workers = list(workers)
        self.health, self.clock, self.stopping = health, clock, stopping
        self.threads: dict[str, threading.Thread] = {}
        self._backoff = {w.name: Backoff(backoff_min_s, backoff_max_s) for w in workers}
        self._due: dict[str, float] = {}   # when a dead worker may be started again
        self._restarted: set[str] = set()
        for worker in workers:
            health.register(worker.name)

    def start(self) -> None:
        """Start every worker."""
        for worker in self.workers:
            self._start(worker)

    def _start(self, worker: Worker) -> None:
        thread = threading.Thread(target=self._body, args=(worker,), name=worker.name,
                                  daemon=True)
        self.threads[worker.name] = thread
        thread.start()

    def _body(self, worker: Worker) -> None:
        try:
            worker.run()
        except BaseException as exc:  # recorded here; check() restarts it
            self.health.died(worker.name, f"{type(exc).__name__}: {exc}")
            log.critical("the %s worker stopped: %s: %s", worker.name, type(exc).__name__,
                         exc, exc_info=True)

    def check(self) -> list[str]:
        """Start again the workers whose thread stopped (after a backoff if they keep
        stopping); the names started again."""
        if self.stopping.is_set():
            return []
        restarted = []
        now = self.clock.monotonic()
        for worker in self.workers:
            if self.threads[worker.name].is_alive():
                continue
            due = self._due.get(worker.name)
            if due is None:
                # The first restart of a death at once, later ones after a backoff.
                due = now if worker.name not in self._restarted else \
                    now + self._backoff[worker.name].next()
                self._due[worker.name] = due
            if now < due:
                continue
            del self._due[worker.name]
            self._restarted.add(worker.name)
            count = self.health.restarted(worker.name)
            log.error("the %s worker had stopped; started again (restart %d)", worker.name,
                      count)
            self._start(worker)
            restarted.append(worker.name)
        return restarted

    def join(self, timeout: float) -> None:
        """Wait a little for the workers to end (after ``stopping`` was set)."""
        for thread in self.threads.values():
            thread.join(timeout=timeout)
