"""``broadcaster serve``: the HTTP app and, in the leader process only, the scheduler.

One process runs uvicorn (the station protocol, health and metrics) and a leader loop. The
process that holds the scheduler lock (:mod:`broadcaster.service.leader`) runs an APScheduler
3 ``BackgroundScheduler`` whose jobs live in the database (table ``scheduler_jobs``) and carry
only their name; the work itself is in :mod:`broadcaster.service.jobs`. Jobs coalesce, so jobs
missed while the service was down run once at start, not once per missed run.

Start-up recovers from a crash first: leftovers of a publication or a render that a killed
process left behind are removed, announcements a killed maker left half-made are withdrawn
(or recorded, when their publication was made; see :mod:`broadcaster.announce_recovery`), then
``inbox`` and ``render`` run at once (whatever they were doing when the process died is
finished or redone). SIGTERM stops taking requests, releases
long-polls, lets open requests finish (``shutdown_grace_s``), stops the scheduler after the
unit of work in hand, and releases the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import FastAPI

from broadcaster import announce_recovery
from broadcaster.app import App
from broadcaster.local_service import advertise, withdraw
from broadcaster.publish import prune as pruning
from broadcaster.publish.publication import clean_stale
from broadcaster.service.jobs import JOBS, Work
from broadcaster.service.leader import Leadership, leadership_for
from broadcaster.service.protocol import MAX_HEAD_BYTES, limited_protocol
from broadcaster.web import Metrics, WebSettings, create_app

log = logging.getLogger(__name__)

JOB_TABLE = "scheduler_jobs"
LEADER_CHECK_S = 5.0
PRUNE_EVERY = timedelta(hours=6)
OFFLINE_EVERY = timedelta(minutes=1)
RENDER_EVERY = timedelta(minutes=5)
KEEP_ALIVE_S = 5          # an idle kept-alive connection is closed after this
FILE_RESERVE = 128        # open files kept back from connections (database, media, ...)
MIN_CONNECTIONS = 64
BACKLOG = 2048

# The daemon of this process, for the scheduler's job function: jobs are stored in the database
# and carry only their name, so they find the live objects here when they run.
_current: Daemon | None = None


def run_job(name: str) -> None:
    """Entry point of every stored job (referenced by name in the job store)."""
    daemon = _current
    if daemon is None:
        log.warning("job %s fired with no daemon running in this process", name)
        return
    daemon.run(name)


def intervals(app: App) -> dict[str, timedelta]:
    """How often each job runs, from the configuration."""
    c = app.config
    return {"inbox": timedelta(seconds=c.inbox_interval_s), "render": RENDER_EVERY,
            "publish": timedelta(minutes=c.publish_interval_minutes),
            "offline": OFFLINE_EVERY, "prune": PRUNE_EVERY}


class Daemon:
    """The scheduler side of ``serve``: leader election, job store, recovery."""

    def __init__(self, app: App, metrics: Metrics, leadership: Leadership | None = None,
                 leader_check_s: float = LEADER_CHECK_S) -> None:
        self.app = app
        self.metrics = metrics
        self.work = Work(app)
        self.leadership = leadership or leadership_for(app.engine, app.config.home)
        self.leader_check_s = leader_check_s
        self.scheduler: BackgroundScheduler | None = None
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        """True while this process runs the jobs."""
        return self.scheduler is not None

    def run(self, name: str) -> None:
        """Run one job now, timed, logged and counted; a failure is recorded, not raised."""
        if self.work.stop.is_set():
            return
        started = time.perf_counter()
        try:
            summary = JOBS[name](self.work)
        except Exception:  # the edge of a job: record it, the next run tries again
            self.metrics.job_runs.labels(name, "failed").inc()
            log.exception("job %s failed; it runs again at its next time", name)
            return
        finally:
            self.metrics.job_seconds.labels(name).observe(time.perf_counter() - started)
        self.metrics.job_runs.labels(name, "ok").inc()
        if name == "offline":
            self.metrics.stations_offline.set(self.work.last_offline)
        log.log(logging.INFO if summary else logging.DEBUG, "job %s: %s (%.2f s)", name,
                summary or "nothing to do", time.perf_counter() - started)

    def recover(self) -> None:
        """Remove what a killed process left half-done (only the leader may touch shared files)."""
        removed = clean_stale(self.app)  # under the publish lock
        temp = pruning.clean_temp(self.app)
        if removed or temp:
            log.info("recovered after a crash: removed %d unfinished publication files and %d "
                     "unfinished media files", removed, temp)
        settled = announce_recovery.recover(self.app)  # each one is logged as it is settled
        if settled:
            log.info("recovered after a crash: %s", ", ".join(
                f"announcement {s.id} {s.outcome}" for s in settled))

    def _start_scheduler(self) -> None:
        global _current
        _current = self
        self.recover()
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.app.engine,
                                                     tablename=JOB_TABLE)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC)
        scheduler.start(paused=True)
        wanted = intervals(self.app)
        for job in scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        now = datetime.now(UTC)
        for name, every in wanted.items():
            trigger = IntervalTrigger(seconds=every.total_seconds(), timezone=UTC)
            job = scheduler.get_job(name)
            if job is None or str(job.trigger) != str(trigger):
                first = now + every if name in ("publish", "prune") else now
                scheduler.add_job(run_job, trigger, args=[name], id=name, name=name,
                                  replace_existing=True, next_run_time=first)
        # Whatever a killed process was rendering is redone now, not at the next interval.
        for name in ("inbox", "render", "offline"):
            scheduler.modify_job(name, next_run_time=now)
        scheduler.resume()
        self.scheduler = scheduler
        self.metrics.leader.set(1)
        log.info("this process runs the scheduler jobs: %s",
                 ", ".join(f"{n} every {e}" for n, e in wanted.items()))

    def _stop_scheduler(self, wait: bool) -> None:
        global _current
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=wait)
            self.scheduler = None
            self.metrics.leader.set(0)
        _current = None

    def _loop(self) -> None:
        while not self.work.stop.is_set():
            try:
                if not self.leading and self.leadership.try_acquire():
                    self._start_scheduler()
                elif self.leading and not self.leadership.still_held():
                    log.error("the scheduler lock was lost; another process may take over")
                    self._stop_scheduler(wait=False)
            except Exception:  # the edge of the leader loop: log, try again shortly
                log.exception("the scheduler could not start; trying again in %.0f s",
                              self.leader_check_s)
                self._stop_scheduler(wait=False)
                self.leadership.release()
            self.work.stop.wait(self.leader_check_s)

    def start(self) -> None:
        """Start the leader loop in a background thread."""
        self.work.stop.clear()
        self._thread = threading.Thread(target=self._loop, name="scheduler-leader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the unit of work in hand and give the lock up."""
        self.work.stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._stop_scheduler(wait=True)
        self.leadership.release()


class Server(uvicorn.Server):
    """uvicorn, plus: on SIGTERM/SIGINT release every long-poll at once."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Handle SIGTERM/SIGINT as a clean stop and exit 0 (uvicorn re-raises them)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: Any) -> None:
        log.info("signal %s: stopping (open requests get %s s)", sig,
                 self.config.timeout_graceful_shutdown)
        self._on_exit()
        super().handle_exit(sig, frame)


def build(app: App, scheduler: bool = True, local_token: str | None = None
          ) -> tuple[FastAPI, Daemon | None]:
    """The HTTP app with the daemon started and stopped by its lifespan; with
    ``local_token``, it takes announcements handed over by commands of this host."""
    c = app.config
    metrics = Metrics()
    web = create_app(app, WebSettings(rate_per_second=c.station_rate, burst=c.station_burst,
                                      max_body_bytes=c.max_body_bytes,
                                      max_upload_bytes=c.max_document_bytes + 64 * 1024,
                                      local_token=local_token, public_url=c.public_url),
                     metrics)
    daemon = Daemon(app, metrics) if scheduler else None
    inner = web.router.lifespan_context

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        async with inner(api):
            if daemon is not None:
                daemon.start()
            try:
                yield
            finally:
                if daemon is not None:
                    await asyncio.to_thread(daemon.stop)

    web.router.lifespan_context = lifespan
    return web, daemon


def serve(app: App, host: str, port: int, scheduler: bool = True) -> None:
    """Run until SIGTERM or SIGINT; meanwhile advertised to the commands of this host."""
    local = advertise(app.config.home, host, port)
    try:
        _run(app, build(app, scheduler, local.token)[0], host, port)
    finally:
        withdraw(local)


def max_connections() -> int:
    """Connections and requests served at once (uvicorn's ``limit_concurrency``): the
    process's open-files limit less a reserve for the database, media and publications, so
    that a flood is answered 503 instead of failing ``accept()`` for everyone."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 65_536
    return max(MIN_CONNECTIONS, soft - FILE_RESERVE)


def server_config(app: App, web: FastAPI, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for ``serve``: slow or oversized requests are cut off
    (:mod:`broadcaster.service.protocol`), idle kept-alive connections closed after
    :data:`KEEP_ALIVE_S`, and at most :func:`max_connections` at once."""
    return uvicorn.Config(web, host=host, port=port, log_config=None, access_log=False,
                          timeout_graceful_shutdown=int(app.config.shutdown_grace_s),
                          lifespan="on", server_header=False, http=limited_protocol(),
                          timeout_keep_alive=KEEP_ALIVE_S,
                          h11_max_incomplete_event_size=MAX_HEAD_BYTES,
                          limit_concurrency=max_connections(), backlog=BACKLOG)


def _run(app: App, web: FastAPI, host: str, port: int) -> None:
    loop_holder: dict[str, asyncio.AbstractEventLoop] = {}

    def release_waiters() -> None:
        loop = loop_holder.get("loop")
        if loop is not None:
            loop.call_soon_threadsafe(lambda: loop.create_task(web.state.watcher.release()))

    server = Server(server_config(app, web, host, port), release_waiters)

    async def main() -> None:
        loop_holder["loop"] = asyncio.get_running_loop()
        await server.serve()

    asyncio.run(main())
