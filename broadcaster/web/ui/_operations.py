"""Stations and their status, publishing, coverage, announcements and the audit log."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.announce import (
    MAX_AIRINGS,
    MAX_EVERY_MINUTES,
    REQUEST_KEY_RE,
    AnnouncementRequest,
    announce,
)
from broadcaster.audit import recent
from broadcaster.coverage import coverage, parse_period
from broadcaster.db.models import StationStatus, utcnow
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import PRIORITIES, Priority, StationState
from broadcaster.errors import BroadcasterError, InputError
from broadcaster.localtime import LOCAL
from broadcaster.publish.publication import (
    DEFAULT_WINDOW,
    current_number,
    diff,
    list_publications,
    publish,
    rollback,
)
from broadcaster.schedule.plan import plan_all
from broadcaster.stations import list_groups, list_stations
from broadcaster.users import Operator, targets
from broadcaster.web.ui._core import UI, Forbidden, Id, form_int, form_time

STATUS_NAMES = shorts(StationState)
ANNOUNCE_NAMES = shorts(Priority)


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


def station_rows(ui: UI) -> list[StationRow]:
    """Every station with its last heartbeat; offline first, then never seen, then online."""
    with ui.app.sessions() as session:
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


def editable_codes(ui: UI, user: Operator) -> list[str] | None:
    """The stations ``user`` may publish (None: all of them)."""
    if user.role == "admin":
        return None
    with ui.app.sessions() as session:
        return [s.code for s in targets(session, user)[1] if s.editable]


def routes(router: APIRouter, ui: UI) -> None:
    """Register the pages of this module."""

    @router.get("/dai-xa")
    async def stations_page(request: Request) -> Response:
        user = await ui.user(request)
        rows = await ui.call(station_rows, ui)
        current = await ui.call(current_number, ui.app)
        return ui.page(request, "stations.html", user, rows=rows, names=STATUS_NAMES,
                       current=current)

    @router.get("/xuat-ban")
    async def publish_page(request: Request) -> Response:
        user = await ui.user(request)

        def load() -> dict[str, Any]:
            now = utcnow()
            try:
                changes = diff(ui.app, plan_all(ui.app, now, now + DEFAULT_WINDOW))
                problem = None
            except BroadcasterError as exc:
                changes, problem = [], str(exc)
            return {"changes": [c for c in changes if c.status != "unchanged"],
                    "unchanged": sum(c.status == "unchanged" for c in changes),
                    "problem": problem, "publications": list_publications(ui.app, limit=30)}

        return ui.page(request, "publish.html", user, local=LOCAL, **await ui.call(load))

    @router.post("/xuat-ban")
    async def publish_now(request: Request) -> Response:
        user = await ui.editor(request)
        form = await ui.form(request)
        note = str(form.get("note", ""))[:400] or f"xuất bản từ giao diện web ({user.name})"
        codes = await ui.call(editable_codes, ui, user)
        if codes is not None:
            # An editor publishes its group's stations only: never none (an empty list), and
            # never the first publication (with none in force, every station is planned).
            if not codes:
                raise Forbidden(user, f"Nhóm {user.group} chưa có đài nào: tài khoản "
                                      f"{user.name} không có gì để xuất bản.", "xuất bản")
            if await ui.call(current_number, ui.app) is None:
                raise Forbidden(user, "Chưa có bản xuất bản nào đang phát: quản trị viên xuất "
                                      "bản lần đầu cho cả tỉnh.", "xuất bản")
        try:
            number, changes = await ui.call(publish, ui.app, note=note, codes=codes)
        except BroadcasterError as exc:
            return ui.redirect(request, "/ui/xuat-ban", f"Không xuất bản được: {exc}")
        changed = [c.code for c in changes if c.status != "unchanged"]
        await ui.audit(user, "xuất bản", f"bản {number}",
                      f"{len(changed)} đài thay đổi: {', '.join(changed)[:900]}")
        return ui.redirect(request, "/ui/xuat-ban",
                           f"Đã xuất bản bản số {number}: {len(changed)} đài thay đổi.")

    @router.post("/xuat-ban/{number}/khoi-phuc")
    async def rollback_to(request: Request, number: Id) -> Response:
        user = await ui.editor(request)
        await ui.form(request)
        if user.role != "admin":
            raise Forbidden(user, "Chỉ quản trị viên được khôi phục một bản xuất bản cũ.",
                            f"bản {number}")
        try:
            new = await ui.call(rollback, ui.app, number)
        except BroadcasterError as exc:
            return ui.redirect(request, "/ui/xuat-ban", f"Không khôi phục được: {exc}")
        await ui.audit(user, "khôi phục bản xuất bản", f"bản {number}",
                      f"thành bản {new}")
        return ui.redirect(request, "/ui/xuat-ban",
                           f"Đã khôi phục bản {number} thành bản số {new}.")

    @router.get("/phu-song")
    async def coverage_page(request: Request) -> Response:
        user = await ui.user(request)
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

    def announce_targets(user: Operator) -> list[tuple[str, str]]:
        with ui.app.sessions() as session:
            groups, stations = targets(session, user)
        return [(t.code, t.name) for t in groups + stations if t.editable]

    @router.get("/thong-bao")
    async def announce_page(request: Request) -> Response:
        user = await ui.user(request)
        # One key per form shown: sending it twice (a double click, a reload after a timeout)
        # answers the announcement the first sending made instead of making a second.
        return ui.page(request, "announce.html", user,
                       form={"request_key": secrets.token_urlsafe(24)}, names=ANNOUNCE_NAMES,
                       targets=await ui.call(announce_targets, user), confirm=False)

    @router.post("/thong-bao")
    async def announce_now(request: Request) -> Response:
        user = await ui.editor(request)
        form = await ui.form(request)
        values = {k: str(form.get(k, "")) for k in ("text", "target", "at", "priority",
                                                    "repeat", "every", "request_key")}
        if not REQUEST_KEY_RE.match(values["request_key"]):   # an old page, or none sent
            values["request_key"] = secrets.token_urlsafe(24)
        targets = await ui.call(announce_targets, user)
        if values["target"] not in {code for code, _ in targets}:
            raise Forbidden(user, f"Tài khoản {user.name} không được phát thông báo tới "
                                  f"{values['target'] or '(chưa chọn)'}.", "thông báo")
        if values["priority"] == "emergency" and form.get("confirm") != "yes":
            return ui.page(request, "announce.html", user, form=values, names=ANNOUNCE_NAMES,
                           targets=targets, confirm=True)
        try:
            if values["priority"] not in PRIORITIES:
                raise InputError(f"mức ưu tiên {values['priority']!r} không hợp lệ")
            at = form_time(values["at"], "thời điểm phát") if values["at"] else None
            req = AnnouncementRequest(
                text=values["text"], target=values["target"], priority=values["priority"],
                at=at, repeat=form_int(values["repeat"] or 1, "số lần phát", high=MAX_AIRINGS),
                every_minutes=form_int(values["every"], "số phút giữa hai lần",
                                       high=MAX_EVERY_MINUTES) if values["every"] else None,
                request_key=values["request_key"])
            made = await ui.call(announce, ui.app, req)
        except ValueError:
            return ui.page(request, "announce.html", user, form=values, names=ANNOUNCE_NAMES,
                           targets=targets, confirm=False,
                           error="Thời gian hoặc số lần phát không hợp lệ.")
        except BroadcasterError as exc:
            return ui.page(request, "announce.html", user, form=values, names=ANNOUNCE_NAMES,
                           targets=targets, confirm=False, error=str(exc))
        if made.existing:
            return ui.redirect(request, "/ui/thong-bao",
                               f"Thông báo số {made.id} đã được phát từ lần gửi trước; "
                               "không phát thêm lần nữa.")
        await ui.audit(user, "phát thông báo", f"thông báo {made.id}",
                      f"{values['priority']} tới {values['target']}, {len(made.stations)} "
                      f"đài, bản xuất bản {made.publication}")
        return ui.redirect(request, "/ui/thong-bao",
                           f"Đã phát thông báo số {made.id} tới {len(made.stations)} đài "
                           f"lúc {made.starts_at.astimezone(LOCAL):%H:%M:%S %d/%m/%Y} "
                           f"(bản xuất bản {made.publication}).")

    @router.get("/nhat-ky")
    async def audit_page(request: Request) -> Response:
        user = await ui.user(request)

        def load() -> list[Any]:
            with ui.app.sessions() as session:
                return recent(session)

        return ui.page(request, "audit.html", user, events=await ui.call(load), local=LOCAL)
