"""The operators' web UI (Vietnamese, server-rendered), mounted on the station API's app.

Each page is a module with its own router (:data:`PAGES`); its permissions are FastAPI
dependencies (:mod:`broadcaster.web.ui.deps`). Routes are thin: they parse, call the same
functions as the CLI (documents, speech, schedule.sync, publish.publication, coverage,
announce) and render a Jinja2 template. Pages live under ``/ui/``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from broadcaster.app import App
from broadcaster.users import ensure_first_admin
from broadcaster.web._limits import SigninGuard
from broadcaster.web.ui import (
    _announcements,
    _auditlog,
    _coverage,
    _documents,
    _programmes,
    _publishing,
    _schedule,
    _signin,
    _stations,
)
from broadcaster.web.ui._core import REFUSED_ACTION, UI, Forbidden, Refused

log = logging.getLogger(__name__)

__all__ = ["include_ui"]

# Each page is a module with its own ``router``; their permissions are web/ui/deps.py.
PAGES = (_signin, _documents, _programmes, _schedule, _stations, _publishing, _coverage,
         _announcements, _auditlog)


def include_ui(api: FastAPI, app: App, guard: SigninGuard | None = None) -> None:
    """Add the web UI to ``api``, its sign-in limited by ``guard``; with no users yet, create
    ``admin`` (see :func:`broadcaster.users.ensure_first_admin`)."""
    ensure_first_admin(app.sessions, app.config.home)
    ui = UI(app, guard)
    api.state.ui = ui   # what the pages' dependencies (web/ui/deps.py) hand them
    router = APIRouter(prefix="/ui", include_in_schema=False)

    @api.get("/ui", include_in_schema=False)
    async def ui_root() -> Response:   # relative: never the request's Host
        return RedirectResponse("/ui/", 308)

    for page in PAGES:
        router.include_router(page.router)
    api.include_router(router)
    api.mount("/ui/static", StaticFiles(directory=Path(__file__).parent / "static"),
              name="ui-static")

    @api.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        return ui.refused(request, exc)

    @api.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        await ui.audit(exc.user, REFUSED_ACTION, exc.subject or request.url.path, exc.message)
        return ui.refused(request, exc)
