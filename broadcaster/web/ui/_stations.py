"""Stations: each station with its last heartbeat, what it plays and whether it holds its media."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.app import App
from broadcaster.db.models import StationStatus
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import StationState
from broadcaster.localtime import LOCAL
from broadcaster.publish.publication import current_number
from broadcaster.stations import list_stations
from broadcaster.web.ui.deps import CurrentUser, Pages

STATUS_NAMES = shorts(StationState)


@dataclass(frozen=True)
class StationRow:
    """A station as the stations page shows it."""

    code: str
    name: str
    group: str
    status: str
    last_seen: datetime | None
    publication: int | None
    playing: str
    media_ready: str = "—"


def playing_text(playing: dict[str, Any] | None) -> str:
    """What the heartbeat says plays: its title (or item id), and since when (local time)."""
    if not playing:
        return ""
    what = str(playing.get("title") or playing.get("item") or "")
    try:
        since = datetime.fromisoformat(str(playing["started_at"])).astimezone(LOCAL)
    except (KeyError, ValueError, OverflowError):   # a station's clock or agent gone wrong
        return what
    return f"{what} (từ {since:%H:%M})" if what else ""


def media_ready_text(playing: dict[str, Any] | None) -> str:
    """Whether the station holds the media of its publication, when its heartbeat says so:
    ``media_ready`` as true/false, or with ``media_total`` as a count of files; else "—"."""
    ready = (playing or {}).get("media_ready")
    total = (playing or {}).get("media_total")
    if isinstance(ready, bool):
        return "đủ tệp" if ready else "còn thiếu tệp"
    if isinstance(ready, int) and isinstance(total, int) and total >= 0:
        return "đủ tệp" if ready >= total else f"{ready}/{total} tệp"
    return "—"


def station_rows(app: App) -> list[StationRow]:
    """Every station with its last heartbeat; offline first, then never seen, then online."""
    with app.sessions() as session:
        status = {s.station_id: s for s in session.scalars(select(StationStatus))}
        rows = []
        for st in list_stations(session):
            s = status.get(st.id)
            state = "never" if s is None else "offline" if s.offline_since else "online"
            beat = s.playing if s is not None else None
            rows.append(StationRow(st.code, st.name, st.group.code if st.group else "",
                                   state, s.last_seen_at.astimezone(LOCAL) if s else None,
                                   s.publication if s else None, playing_text(beat),
                                   media_ready_text(beat)))
    order = {"offline": 0, "never": 1, "online": 2}
    return sorted(rows, key=lambda r: (order[r.status], r.code))


router = APIRouter()


@router.get("/dai-xa")
async def stations_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    rows = await ui.call(station_rows, ui.app)
    current = await ui.call(current_number, ui.app)
    return ui.page(request, "stations.html", user, rows=rows, names=STATUS_NAMES,
                   current=current)
