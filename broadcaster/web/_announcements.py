"""Announcements handed over by ``broadcaster announce`` on the service's machine.

``POST /api/v1/announcements`` makes one (the body names the same things as the command's
options) and ``POST /api/v1/announcements/{id}/cancel`` withdraws one. Both take the service's
local token (see :mod:`broadcaster.local_service`), run the same functions as the command would
in a worker thread of this warm process, and answer what the command prints with ``--json``.
A refusal is ``{"error": sentence, "exit_code": n}``, so the command exits as it would have.

The command sends a ``request_key`` made once per command: a request whose key names an
announcement already made is answered with that one (200, ``"existing": true``), not made again.
"""

from __future__ import annotations

import hmac
import logging
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from broadcaster.announce import AnnouncementRequest, announce, cancel
from broadcaster.app import App
from broadcaster.audit import log_event
from broadcaster.crash_points import crash_point
from broadcaster.errors import BroadcasterError, NotFound
from broadcaster.local_service import ANNOUNCEMENTS
from broadcaster.web._auth import bearer_token, unauthorized

log = logging.getLogger(__name__)

AUDIT_USER = "dòng lệnh"  # the audit log's name for work handed over by the CLI


class AnnouncementIn(BaseModel):
    """What ``broadcaster announce`` asks for; times are ISO 8601 with their offset."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)
    to: str = Field(min_length=1)
    priority: str = "high"
    at: datetime | None = None
    repeat: int = 1
    every_minutes: int | None = None
    until: datetime | None = None
    request_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


def add_routes(api: FastAPI, app: App, token: str) -> None:
    """The announcement routes, for callers holding ``token``."""

    def check(request: Request) -> None:
        given = bearer_token(request.headers.get("authorization")) or ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise unauthorized("announcements need the service's local token "
                               "(HOME/run/serve-*.json)")

    def refused(exc: BroadcasterError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 422
        return JSONResponse({"error": str(exc), "exit_code": exc.exit_code}, status)

    @api.post(ANNOUNCEMENTS, status_code=201)
    async def make(request: Request, body: AnnouncementIn) -> Any:
        check(request)
        wanted = AnnouncementRequest(text=body.text, target=body.to, priority=body.priority,
                                     at=body.at, repeat=body.repeat,
                                     every_minutes=body.every_minutes, until=body.until,
                                     request_key=body.request_key)
        try:
            made = await run_in_threadpool(announce, app, wanted)
        except BroadcasterError as exc:
            return refused(exc)
        crash_point("announce:answer")
        if made.existing:
            log.info("announcement %d was already made for request key %s; not made again",
                     made.id, body.request_key)
            return JSONResponse(made.info(), 200)
        log.info("announcement %d (%s) to %s: %d stations, publication %d", made.id,
                 body.priority, body.to, len(made.stations), made.publication)
        await run_in_threadpool(log_event, app.sessions, AUDIT_USER, "phát thông báo",
                                f"thông báo {made.id}", f"{body.priority} tới {body.to}, "
                                f"{len(made.stations)} đài, bản xuất bản {made.publication}")
        return made.info()

    @api.post(ANNOUNCEMENTS + "/{announcement_id}/cancel")
    async def withdraw(request: Request, announcement_id: int) -> Any:
        check(request)
        try:
            number = await run_in_threadpool(cancel, app, announcement_id)
        except BroadcasterError as exc:
            return refused(exc)
        await run_in_threadpool(log_event, app.sessions, AUDIT_USER, "hủy thông báo",
                                f"thông báo {announcement_id}", f"bản xuất bản {number}")
        return {"cancelled": announcement_id, "publication": number}
