"""The audit log: who changed what, most recent first."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.audit import recent
from broadcaster.localtime import LOCAL
from broadcaster.web.ui.deps import CurrentUser, Pages

router = APIRouter()


@router.get("/nhat-ky")
async def audit_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    def load() -> list[Any]:
        with ui.app.sessions() as session:
            return recent(session)

    return ui.page(request, "audit.html", user, events=await ui.call(load), local=LOCAL)
