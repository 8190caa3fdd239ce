"""Announcements: send one to a group or a station, now or at a time, once or repeated."""

from __future__ import annotations

import secrets

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.announce import (
    MAX_AIRINGS,
    MAX_EVERY_MINUTES,
    REQUEST_KEY_RE,
    AnnouncementRequest,
    announce,
)
from broadcaster.app import App
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import PRIORITIES, Priority
from broadcaster.errors import BroadcasterError, InputError
from broadcaster.localtime import LOCAL
from broadcaster.users import Operator, targets
from broadcaster.web.ui._core import Forbidden, form_int, form_time
from broadcaster.web.ui.deps import CsrfForm, CurrentUser, Editor, Pages

ANNOUNCE_NAMES = shorts(Priority)
router = APIRouter()


def announce_targets(app: App, user: Operator) -> list[tuple[str, str]]:
    """The groups and stations ``user`` may send an announcement to, as (code, name)."""
    with app.sessions() as session:
        groups, stations = targets(session, user)
    return [(t.code, t.name) for t in groups + stations if t.editable]


@router.get("/thong-bao")
async def announce_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    # One key per form shown: sending it twice (a double click, a reload after a timeout)
    # answers the announcement the first sending made instead of making a second.
    return ui.page(request, "announce.html", user,
                   form={"request_key": secrets.token_urlsafe(24)}, names=ANNOUNCE_NAMES,
                   targets=await ui.call(announce_targets, ui.app, user), confirm=False)


@router.post("/thong-bao")
async def announce_now(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    values = {k: str(form.get(k, "")) for k in ("text", "target", "at", "priority",
                                                "repeat", "every", "request_key")}
    if not REQUEST_KEY_RE.match(values["request_key"]):   # an old page, or none sent
        values["request_key"] = secrets.token_urlsafe(24)
    targets = await ui.call(announce_targets, ui.app, user)
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
