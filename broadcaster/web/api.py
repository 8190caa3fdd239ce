"""The HTTP app: health, the station pull protocol (playlists, long-poll) and media files.

Routes stay thin: authentication lives in ``_auth``, the publication in force in ``_watch``,
byte ranges and ETags in ``_http``, limits in ``_limits``. :func:`create_app` wires them to one
:class:`~broadcaster.app.App`; nothing is built at import time.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from broadcaster import __version__
from broadcaster.app import App
from broadcaster.errors import InputError
from broadcaster.publish.formats import FORMATS, PublicationFormat
from broadcaster.publish.publication import root as publications_root
from broadcaster.reports import record_report
from broadcaster.stations import CODE_RE
from broadcaster.web import _openapi as doc
from broadcaster.web._auth import authorize, bearer_token, unauthorized
from broadcaster.web._headers import SecurityHeaders
from broadcaster.web._http import ApiError, RangeNotSatisfiable, etag_matches, parse_range
from broadcaster.web._limits import (
    BodySizeLimit,
    Lockout,
    PasswordPool,
    RateLimiter,
    RefuseNul,
    SigninGuard,
)
from broadcaster.web._metrics import CONTENT_TYPE_LATEST, Metrics, MetricsMiddleware
from broadcaster.web._schemas import ReportIn
from broadcaster.web._watch import PublicationWatcher, Snapshot

log = logging.getLogger(__name__)

MEDIA_NAME = re.compile(r"^([0-9a-f]{64})\.([a-z0-9]{1,8})$")
MEDIA_TYPES = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "opus": "audio/ogg", "m4a": "audio/mp4",
               "aac": "audio/aac", "wav": "audio/wav", "flac": "audio/flac", "mp4": "video/mp4"}
CHUNK = 256 * 1024
UPLOAD_PATHS = ("/ui/van-ban",)   # the only route that takes a file: a document
MAX_WAIT_S = 60
Wait = Annotated[int | None, Query(gt=0, le=MAX_WAIT_S,
                                   description="long-poll: hold up to N seconds")]
IfNoneMatch = Annotated[str | None, Header(description="the ETag held: 304 when unchanged")]
RangeHeader = Annotated[str | None, Header(description="one byte range: bytes=FIRST-LAST")]


@dataclass(frozen=True)
class WebSettings:
    """Limits of the HTTP app."""

    rate_per_second: float = 10.0    # station requests per second, per station
    burst: int = 20                  # requests a station may save up
    max_body_bytes: int = 256 * 1024
    # A document uploaded in the web UI: the largest document accepted, plus the form around it.
    max_upload_bytes: int = 2_000_000 + 64 * 1024
    poll_interval_s: float = 0.05    # how often publications/current is checked (a readlink)
    local_token: str | None = None   # accept announcements handed over with this token
    public_url: str = ""             # how players reach this service (M3U8 media URLs)
    max_stations: int = 50_000       # rate-limit buckets kept for stations (LRU beyond)
    max_refused_keys: int = 10_000   # ... and for refused requests, by requested code
    signin_user_failures: int = 5    # wrong passwords per user name before lockouts
    signin_address_failures: int = 20  # ... per client address
    signin_lock_s: float = 1.0       # the first lockout; each further failure doubles it
    signin_max_lock_s: float = 900.0
    password_workers: int = 1        # threads checking passwords (Argon2id, 64 MiB each)
    password_queue: int = 4          # checks waiting for them; beyond, 503 at once
    signin_refusal_delay_s: float = 1.0  # a refused sign-in (401, 429, 503) waits this long

    def signin_guard(self) -> SigninGuard:
        """The sign-in lockouts and password pool these settings describe."""
        def lockout(free: int) -> Lockout:
            return Lockout(free=free, base_s=self.signin_lock_s, max_s=self.signin_max_lock_s)

        return SigninGuard(lockout(self.signin_user_failures),
                           lockout(self.signin_address_failures),
                           PasswordPool(self.password_workers, self.password_queue),
                           self.signin_refusal_delay_s)


def create_app(app: App, settings: WebSettings | None = None,
               metrics: Metrics | None = None) -> FastAPI:
    """The FastAPI application serving ``app``'s publications and media."""
    settings = settings or WebSettings()
    metrics = metrics or Metrics()
    watcher = PublicationWatcher(publications_root(app), settings.poll_interval_s)
    limiter = RateLimiter(settings.rate_per_second, settings.burst,
                          max_keys=settings.max_stations)
    refusals = RateLimiter(settings.rate_per_second, settings.burst,
                           max_keys=settings.max_refused_keys)
    guard = settings.signin_guard()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        watcher.start()
        try:
            yield
        finally:
            await watcher.stop()
            guard.passwords.shutdown()

    api = FastAPI(title="broadcaster station API", description=doc.DESCRIPTION,
                  version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=doc.OPENAPI_URL, redirect_slashes=False, **_no_telemetry())
    api.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       upload_bytes=settings.max_upload_bytes, upload_paths=UPLOAD_PATHS)
    api.add_middleware(RefuseNul)
    api.add_middleware(MetricsMiddleware, metrics=metrics)
    api.add_middleware(SecurityHeaders)
    api.state.watcher, api.state.metrics = watcher, metrics
    api.state.limiters, api.state.signin = (limiter, refusals), guard
    _error_handlers(api)

    async def station_for(request: Request, code: str) -> str:
        """Authenticate and rate-limit a station request; the station's current code."""
        if not CODE_RE.fullmatch(code):   # the route's pattern checked it; never a bucket
            raise ApiError(404, f"{code[:80]!r} is not a station code")
        # Players (mpv, VLC) cannot send headers: they may put the token in the query.
        token = bearer_token(request.headers.get("authorization")) \
            or request.query_params.get("token") or None
        try:
            if token is None:
                raise unauthorized("the request has no 'Authorization: Bearer TOKEN' header "
                                   "(or ?token=TOKEN)")
            station = await run_in_threadpool(authorize, app.sessions, code, token)
        except ApiError as refused:
            # Refusals have their own buckets per requested code: a flood of bad tokens is
            # slowed down without ever using up the budget of the real station.
            if wait := refusals.take(code):
                raise _too_many(wait, f"too many refused requests for station {code}"
                                ) from refused
            raise
        if wait := limiter.take(station):
            raise _too_many(wait, f"station {station} sends more than "
                                  f"{settings.rate_per_second:g} requests per second")
        return station

    async def playlist(request: Request, code: str, fmt: PublicationFormat,
                       wait: int | None) -> Response:
        station = await station_for(request, code)
        snapshot = await watcher.refresh()
        digest = _digest(snapshot, station)
        if_none_match = request.headers.get("if-none-match")
        if wait and etag_matches(if_none_match, digest):
            metrics.waiting.inc()
            try:
                snapshot = await watcher.wait_change(station, digest, wait)
            finally:
                metrics.waiting.dec()
            digest = _digest(snapshot, station)
        headers = {"ETag": f'"{digest}"', "Cache-Control": "no-cache"}
        if etag_matches(if_none_match, digest):
            return Response(status_code=304, headers=headers)
        body = await watcher.read(snapshot, station, fmt.file_name)
        if body is None:
            raise ApiError(404, f"publication {snapshot.number} has no {fmt.file_name} for "
                                f"station {station}")
        body = fmt.serve(body, public_base(request, settings.public_url))
        return Response(body, headers=headers, media_type=fmt.media_type)

    def playlist_route(fmt: PublicationFormat) -> Callable[..., Awaitable[Response]]:
        async def route(request: Request, code: doc.StationCode, wait: Wait = None,
                        if_none_match: IfNoneMatch = None) -> Response:
            return await playlist(request, code, fmt, wait)
        return route

    @api.get("/healthz", responses=doc.HEALTH)
    async def healthz() -> dict[str, object]:
        snapshot = await watcher.refresh()
        return {"status": "ok", "publication": snapshot.number}

    @api.get("/metrics", responses=doc.METRICS, response_class=Response)
    async def metrics_text() -> Response:
        snapshot = await watcher.refresh()
        if snapshot.number is not None:
            metrics.publication.set(snapshot.number)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    for fmt in FORMATS.values():
        if fmt.served:  # named as before the registry: playlist_json, playlist_m3u8
            api.add_api_route(f"/api/v1/stations/{{code}}/{fmt.file_name}",
                              playlist_route(fmt), methods=["GET"],
                              name=fmt.file_name.replace(".", "_"),
                              dependencies=doc.STATION_AUTH, response_class=Response,
                              responses=doc.playlist_answers(fmt.description, fmt.media_type))

    @api.post("/api/v1/stations/{code}/reports", dependencies=doc.STATION_AUTH,
              responses=doc.REPORTS, openapi_extra=doc.report_body())
    async def reports(request: Request, code: doc.StationCode) -> doc.ReceiptOut:
        station = await station_for(request, code)  # before reading the body: 401 first
        try:
            report = ReportIn.model_validate_json(await request.body())
        except ValidationError as bad:
            raise ApiError(422, f"the report is invalid: {_problems(bad.errors())}") from None
        try:
            receipt = await run_in_threadpool(
                record_report, app.sessions, station,
                report.heartbeat.domain() if report.heartbeat else None,
                [p.domain() for p in report.plays])
        except InputError as bad:
            raise ApiError(422, f"the report is invalid: {bad}") from None
        metrics.heartbeats.inc()
        metrics.plays.inc(receipt.received)
        snapshot = await watcher.refresh()
        return doc.ReceiptOut(received=receipt.received, duplicates=receipt.duplicates,
                              last_id=receipt.last_id, publication=snapshot.number,
                              digest=snapshot.digest(station))

    @api.head("/media/{name}", responses=doc.MEDIA, response_class=Response,
              operation_id="media_head")
    @api.get("/media/{name}", responses=doc.MEDIA, response_class=Response,
             operation_id="media_get")
    async def media(request: Request, name: doc.MediaName, range: RangeHeader = None,
                    if_none_match: IfNoneMatch = None) -> Response:
        match = MEDIA_NAME.fullmatch(name)
        if not match:
            raise ApiError(404, f"{name!r} is not a media file name (sha256.ext)")
        sha256, ext = match.groups()
        path = app.store.path_for(sha256, ext)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ApiError(404, f"there is no media file {name}") from None
        return _media_response(request, path, sha256, ext, size)

    from broadcaster.web.ui import include_ui  # the operators' pages, under /ui/

    include_ui(api, app, guard)
    api.openapi_schema = None
    default_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = doc.add_components(default_openapi())
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    if settings.local_token:
        from broadcaster.web._announcements import add_routes

        add_routes(api, app, settings.local_token)
    return api


def _digest(snapshot: Snapshot, station: str) -> str:
    digest = snapshot.digest(station)
    if digest is None:
        if snapshot.number is None:
            raise ApiError(404, "nothing has been published yet")
        raise ApiError(404, f"station {station} is not in publication {snapshot.number}")
    return digest


def _no_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry (recent versions) off: /metrics is ours, and its check for
    configured providers costs every request, station polls included."""
    if "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def public_base(request: Request, public_url: str) -> str:
    """The URL players reach this service at: ``public_url`` when set, else the address and
    port the request came in on (never the request's Host header, which anyone can forge)."""
    if public_url:
        return public_url.rstrip("/")
    host, port = request.scope.get("server") or ("127.0.0.1", 80)
    host = f"[{host}]" if ":" in host else host
    scheme = request.url.scheme
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def _too_many(wait: float, message: str) -> ApiError:
    seconds = max(1, math.ceil(wait))
    return ApiError(429, f"{message}; retry in {seconds} s", {"Retry-After": str(seconds)})


def _media_response(request: Request, path: Path, sha256: str, ext: str,
                    size: int) -> Response:
    headers = {"ETag": f'"{sha256}"', "X-Content-SHA256": sha256, "Accept-Ranges": "bytes",
               "Cache-Control": "public, max-age=31536000, immutable"}
    if etag_matches(request.headers.get("if-none-match"), sha256):
        return Response(status_code=304, headers=headers)
    try:
        byte_range = parse_range(request.headers.get("range"), size)
    except RangeNotSatisfiable:
        raise ApiError(416, f"the requested range lies outside media file {sha256}.{ext} "
                            f"({size} bytes)", headers | {"Content-Range": f"bytes */{size}"}
                       ) from None
    status, first, last = (200, 0, size - 1) if byte_range is None else (206, *byte_range)
    if byte_range is not None:
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(last - first + 1)
    media_type = MEDIA_TYPES.get(ext, "application/octet-stream")
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    return StreamingResponse(_chunks(path, first, last - first + 1), status_code=status,
                             headers=headers, media_type=media_type)


def _chunks(path: Path, offset: int, length: int) -> Iterator[bytes]:
    """The bytes of ``path`` from ``offset``, in chunks (run in a worker thread by Starlette)."""
    with path.open("rb") as fh:
        fh.seek(offset)
        while length > 0 and (block := fh.read(min(CHUNK, length))):
            length -= len(block)
            yield block


def _problems(errors: Sequence[Any]) -> str:
    """Validation errors as ``field.path: message; ...``."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                     for e in errors)


def _error_handlers(api: FastAPI) -> None:
    """Every error as ``{"error": "sentence"}``."""

    @api.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> Response:
        return JSONResponse({"error": exc.message}, exc.status, headers=exc.headers)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = {404: f"there is no resource at {request.url.path}",
                   405: f"method {request.method} is not allowed on {request.url.path}"
                   }.get(exc.status_code, str(exc.detail))
        return JSONResponse({"error": message}, exc.status_code, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"error": f"the request is invalid: {_problems(exc.errors())}"},
                            422)

    @api.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": f"the server failed while answering {request.method} "
                                      f"{request.url.path}; the error was logged"}, 500)
