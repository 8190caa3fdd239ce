"""Prometheus metrics of one process: HTTP requests, long-polls, reports and scheduler jobs.

Each :class:`Metrics` has its own registry (no process-wide globals), so tests can run several
apps side by side. ``GET /metrics`` renders it in the text exposition format.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CONTENT_TYPE_LATEST", "Metrics", "MetricsMiddleware"]


@dataclass
class Metrics:
    """The metrics of one ``serve`` process."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.requests = Counter("broadcaster_http_requests", "HTTP requests answered",
                                ["route", "status"], registry=r)
        self.latency = Histogram("broadcaster_http_request_seconds",
                                 "Time to answer an HTTP request (long-polls excluded)",
                                 ["route"], registry=r,
                                 buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5))
        self.waiting = Gauge("broadcaster_longpoll_waiting", "Long-poll requests held now",
                             registry=r)
        self.publication = Gauge("broadcaster_publication", "Number of the publication in force",
                                 registry=r)
        self.plays = Counter("broadcaster_report_plays", "Proof-of-play entries stored",
                             registry=r)
        self.heartbeats = Counter("broadcaster_report_heartbeats", "Station reports received",
                                  registry=r)
        self.job_runs = Counter("broadcaster_job_runs", "Scheduler job runs", ["job", "result"],
                                registry=r)
        self.job_seconds = Histogram("broadcaster_job_seconds", "Scheduler job run time",
                                     ["job"], registry=r,
                                     buckets=(.01, .1, .5, 1, 5, 15, 60, 300, 900))
        self.leader = Gauge("broadcaster_scheduler_leader",
                            "1 when this process runs the scheduler jobs", registry=r)
        self.stations_offline = Gauge("broadcaster_stations_offline",
                                      "Stations marked offline at the last check", registry=r)

    def render(self) -> bytes:
        """The text exposition of every metric."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every HTTP request by route template and status, and times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", None) or "unmatched"
            self.metrics.requests.labels(name, str(status)).inc()
            if "wait=" not in scope.get("query_string", b"").decode("latin-1"):
                self.metrics.latency.labels(name).observe(time.perf_counter() - started)
