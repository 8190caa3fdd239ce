"""Publishing: what would change, publish now, and go back to an earlier publication."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.app import App
from broadcaster.db.models import utcnow
from broadcaster.domain.vocabulary import Role
from broadcaster.errors import BroadcasterError
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
from broadcaster.users import Operator, targets
from broadcaster.web.ui._core import Forbidden, Id
from broadcaster.web.ui.deps import CsrfForm, CurrentUser, Editor, Pages


def editable_codes(app: App, user: Operator) -> list[str] | None:
    """The stations ``user`` may publish (None: all of them)."""
    if user.role == Role.ADMIN:
        return None
    with app.sessions() as session:
        return [s.code for s in targets(session, user)[1] if s.editable]


router = APIRouter()


@router.get("/xuat-ban")
async def publish_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
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
async def publish_now(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    note = str(form.get("note", ""))[:400] or f"xuất bản từ giao diện web ({user.name})"
    codes = await ui.call(editable_codes, ui.app, user)
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
async def rollback_to(request: Request, number: Id, ui: Pages, user: Editor,
                      form: CsrfForm) -> Response:
    if user.role != Role.ADMIN:   # after the CSRF check; the log names the publication
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
