"""Coverage: what each station played, missed or will play in a period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.coverage import coverage, parse_period
from broadcaster.db.models import utcnow
from broadcaster.errors import BroadcasterError
from broadcaster.localtime import LOCAL
from broadcaster.publish.publication import DEFAULT_WINDOW
from broadcaster.stations import list_groups
from broadcaster.web.ui._stations import STATUS_NAMES
from broadcaster.web.ui.deps import CurrentUser, Pages

router = APIRouter()


@router.get("/phu-song")
async def coverage_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    q = request.query_params
    since, until = q.get("since") or None, q.get("until") or None
    programme, group = q.get("programme") or None, q.get("group") or None

    def load() -> dict[str, Any]:
        now = utcnow()
        try:
            start, end = parse_period(since, until, now) if since or until else \
                (now - timedelta(days=1), now + DEFAULT_WINDOW)
            report, problem = coverage(ui.app, start, end, programme, group), None
        except BroadcasterError as exc:
            report, problem = None, str(exc)
        with ui.app.sessions() as session:
            groups = [(g.code, g.name) for g in list_groups(session)]
        return {"report": report, "problem": problem, "groups": groups}

    return ui.page(request, "coverage.html", user, local=LOCAL, since=since or "",
                   until=until or "", programme=programme or "", group=group or "",
                   names=STATUS_NAMES, **await ui.call(load))
