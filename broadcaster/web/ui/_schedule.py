"""Schedule: the week calendar, adding and removing entries."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from fastapi import APIRouter
from sqlalchemy import or_, select
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.audit import record
from broadcaster.codes import CodeError, check_code
from broadcaster.db import transaction
from broadcaster.db.models import (
    Clip,
    Document,
    DocumentRevision,
    Entry,
    Programme,
    utcnow,
)
from broadcaster.documents import list_documents
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import PRIORITIES, Origin, Priority
from broadcaster.errors import BroadcasterError, InputError, NotFound
from broadcaster.localtime import EARLIEST, LATEST, LOCAL
from broadcaster.origins import OriginConflict, may_remove
from broadcaster.schedule.spec import EntrySpec
from broadcaster.schedule.sync import remove_entry, save_entry
from broadcaster.users import Operator, may_edit_entry, may_edit_target, targets
from broadcaster.web.ui import _speech
from broadcaster.web.ui._calendar import RRULE_DAYS, WEEKDAYS, monday_of, week
from broadcaster.web.ui._conflicts import KIND_NAMES, plan_week
from broadcaster.web.ui._core import UI, Forbidden, Refused, form_int, form_time
from broadcaster.web.ui._owners import ORIGIN_NAMES, code_refused, origin_refused
from broadcaster.web.ui.deps import CsrfForm, CurrentUser, Editor, Pages

PRIORITY_NAMES = shorts(Priority)


def _targets(ui: UI, user: Operator) -> dict[str, Any]:
    """Groups and stations, and which of them the user may schedule for."""
    with ui.app.sessions() as session:
        groups, stations = targets(session, user)
    return {"groups": groups, "stations": stations}


def _calendar(ui: UI, target: str, monday: date) -> dict[str, Any]:
    resolved = plan_week(ui.app, target, monday, LOCAL)
    with ui.app.sessions() as session:
        query = select(Entry).order_by(Entry.code)
        if target:   # what reaches its stations: their own entries, their groups', its own
            query = query.where(or_(Entry.target == target, Entry.code.in_(resolved.entries)))
        entries = list(session.scalars(query))
        docs = [(d.id, d.key, d.title) for d in list_documents(session)]
        programmes = list(session.scalars(select(Programme.code).order_by(Programme.code)))
        shas = {e.clip_sha256 for e in entries if e.clip_sha256}
        names: dict[str, str] = {sha: key for sha, key in session.execute(
            select(Clip.sha256, Document.key)
            .join(DocumentRevision, Clip.document_revision_id == DocumentRevision.id)
            .join(Document, DocumentRevision.document_id == Document.id)
            .where(Clip.sha256.in_(shas)))} if shas else {}
    return {"days": week(entries, monday, names, resolved.marks, resolved.conflicts),
            "entries": entries, "documents": docs, "programmes": programmes,
            "clip_names": names, "resolved": resolved, "kind_names": KIND_NAMES}


def _entry_from_form(ui: UI, form: Any) -> EntrySpec:
    code = str(form.get("code", "")).strip()
    target = str(form.get("target", "")).strip()
    priority = str(form.get("priority", "normal"))
    if priority not in PRIORITIES:
        raise InputError(f"mức ưu tiên {priority!r} không hợp lệ")
    programme = str(form.get("programme", "")).strip() or None
    if not code:
        raise InputError("hãy đặt mã cho mục lịch")
    check_code(code, "entry")   # CodeError: the route answers 400
    clip = None
    document = str(form.get("document", "")).strip()
    if document and not programme:
        try:
            number = form_int(document, "văn bản")
        except InputError:   # not a value the form offers
            raise Refused(400, f"Văn bản {document[:40]!r} không hợp lệ: hãy chọn một văn bản "
                               "trong danh sách.") from None
        try:
            clip = _speech.latest_clip(ui.app, number).sha256
        except NotFound:
            raise InputError(f"không có văn bản số {number}") from None
    if not programme and not clip:
        raise InputError("hãy chọn một văn bản hoặc một chương trình")
    days = [d for d in form.getlist("days") if d in RRULE_DAYS]
    try:
        if days:
            at = time.fromisoformat(str(form.get("time", "")))
            return EntrySpec(code, programme, clip, target, start_time=at,
                             rrule=f"FREQ=WEEKLY;BYDAY={','.join(days)}",
                             valid_from=utcnow().astimezone(LOCAL).date(),
                             priority=Priority(priority))
    except ValueError:
        raise InputError("thời gian không hợp lệ: chọn ngày giờ, hoặc giờ và các thứ "
                         "trong tuần") from None
    when = form_time(form.get("start_at", ""), "thời gian")
    return EntrySpec(code, programme, clip, target,
                     start_at=when.replace(second=0, microsecond=0, tzinfo=None),
                     priority=Priority(priority))


router = APIRouter()


@router.get("/lich-phat")
async def schedule_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    target = request.query_params.get("target", "")
    try:
        day = date.fromisoformat(request.query_params.get("week", ""))
    except ValueError:
        day = utcnow().astimezone(LOCAL).date()
    if not EARLIEST.year <= day.year < LATEST.year:   # a week the planner can lay out
        day = utcnow().astimezone(LOCAL).date()
    monday = monday_of(day)
    data = await ui.call(_calendar, ui, target, monday)
    targets = await ui.call(_targets, ui, user)
    mine = {t.code for t in targets["groups"] + targets["stations"] if t.editable}
    removable = {e.code for e in data["entries"] if user.can_edit and e.target in mine
                 and may_remove(e.origin, Origin.UI.value)}
    return ui.page(request, "schedule.html", user, target=target, monday=monday,
                   weekdays=list(zip(RRULE_DAYS, WEEKDAYS, strict=True)),
                   priorities=PRIORITY_NAMES, removable=removable,
                   origin_names=ORIGIN_NAMES, **data, **targets)


@router.post("/lich-phat")
async def save(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    def run() -> str:
        spec = _entry_from_form(ui, form)
        with transaction(ui.app.sessions) as session:
            if not may_edit_target(session, user, spec.target):
                raise Forbidden(user, f"Tài khoản {user.name} không được xếp lịch cho "
                                      f"{spec.target}.", f"mục {spec.id}")
            if session.scalar(select(Entry).where(Entry.code == spec.id)) is not None \
                    and not may_edit_entry(session, user, spec.id):
                raise Forbidden(user, f"Tài khoản {user.name} không được sửa mục "
                                      f"{spec.id}.", f"mục {spec.id}")
            status = save_entry(session, spec, origin=Origin.UI.value)
            record(session, user.name, "sửa lịch phát", f"mục {spec.id}",
                   f"{status}: {spec.target}, {spec.start_at or spec.start_time} "
                   f"{spec.rrule or ''} ({spec.priority})")
        return status

    try:
        status = await ui.call(run)
    except CodeError as exc:
        raise code_refused(exc) from None
    except OriginConflict as exc:
        raise origin_refused(exc) from None
    except BroadcasterError as exc:
        return ui.redirect(request, "/ui/lich-phat", f"Không lưu được: {exc}")
    names = {"added": "Đã thêm", "changed": "Đã sửa", "unchanged": "Không đổi"}
    return ui.redirect(request, "/ui/lich-phat",
                       f"{names[status]} mục lịch. Bản nháp: hãy xuất bản để các đài "
                       "nhận được.")


@router.post("/lich-phat/xoa")
async def remove(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    code = str(form.get("code", ""))

    def run() -> str:
        with transaction(ui.app.sessions) as session:
            if not may_edit_entry(session, user, code):
                raise Forbidden(user, f"Tài khoản {user.name} không được xóa mục {code}.",
                                f"mục {code}")
            made = remove_entry(session, code, origin=Origin.UI.value)
            record(session, user.name, "xóa mục lịch", f"mục {code}")
        return made

    try:
        made = await ui.call(run)
    except OriginConflict as exc:
        raise origin_refused(exc) from None
    except BroadcasterError as exc:
        return ui.redirect(request, "/ui/lich-phat", f"Không xóa được: {exc}")
    again = " Mục này do tệp lịch tạo ra: lần chạy “schedule apply” tới sẽ thêm lại nếu " \
        "tệp vẫn còn nó." if made == Origin.FILE.value else ""
    return ui.redirect(request, "/ui/lich-phat", f"Đã xóa mục {code}.{again}")
