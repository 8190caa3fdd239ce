"""Programmes: compose one from documents, jingles/tones and text, save it, and listen to it.

Saving goes through :func:`broadcaster.programme.save_programme` (the function the schedule
files use). A programme is shared: its owner group's editors (and admins) change it, the others
read it; one made by the schedule files or by announce is changed there, not here. Listening
builds the programme with ``App.builder`` for the loudspeaker profile,
as the planner does for a loudspeaker station, and plays its first part from ``/media/``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.app import App
from broadcaster.audit import record
from broadcaster.codes import CodeError, check_code
from broadcaster.db import transaction
from broadcaster.db.models import Clip, Programme, Station
from broadcaster.documents import list_documents
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import ItemKind, Origin
from broadcaster.errors import BroadcasterError, InputError, NotFound
from broadcaster.origins import OriginConflict
from broadcaster.programme import (
    ItemDef,
    ProgrammeDef,
    asset_names,
    get_programme,
    parse_item,
    save_programme,
)
from broadcaster.users import Operator, editable_owners, may_edit_owned, owner_for
from broadcaster.web.ui._core import UI, Forbidden
from broadcaster.web.ui._owners import access, code_refused, origin_refused, owner_text
from broadcaster.web.ui.deps import CsrfForm, CurrentUser, Editor, Pages

LISTEN_PROFILE = "loudspeaker"
BLANK_ROWS = 4
MAX_TITLE = 300   # programmes.title is String(300)
_HINTS: dict[str, str] = {ItemKind.SILENCE: " (vd. 2s)", ItemKind.RELAY: " (URL|30m|tệp dự phòng)"}
KIND_NAMES = {kind: name + _HINTS.get(kind, "") for kind, name in shorts(ItemKind).items()}
SAVED = {"added": "Đã thêm", "changed": "Đã sửa", "unchanged": "Không đổi"}


@dataclass(frozen=True)
class Listening:
    """A programme built for listening: its exact length and its first part's clip."""

    duration: timedelta
    parts: int
    first: Clip | None


def item_value(item: ItemDef) -> str:
    """The text of an item as the form shows it (the inverse of :func:`parse_item`)."""
    if item.kind == "silence":
        return f"{(item.duration_ms or 0) / 1000:g}s"
    if item.kind == "relay":
        return f"{item.value}|{(item.duration_ms or 0) // 1000}s" + \
            (f"|{item.fallback}" if item.fallback else "")
    return item.value


def programme_from_form(form: Any) -> ProgrammeDef:
    """The programme the form describes: code, title, and the (kind, value) rows in order;
    rows with an empty value are left out."""
    code = str(form.get("code", "")).strip()
    title = str(form.get("title", "")).strip()
    if not code:
        raise InputError("hãy đặt mã cho chương trình")
    check_code(code, "programme")   # CodeError: the route answers 400
    if not title:
        raise InputError("hãy đặt tên cho chương trình")
    if len(title) > MAX_TITLE:
        raise InputError(f"tên chương trình dài quá {MAX_TITLE} ký tự")
    items = []
    for index, (kind, value) in enumerate(zip(form.getlist("kind"), form.getlist("value"),
                                              strict=False), 1):
        value = str(value).strip()
        if not value:
            continue
        try:
            items.append(parse_item(f"{kind}:{value}"))
        except InputError as exc:
            raise InputError(f"thành phần {index}: {exc}") from None
    if not items:
        raise InputError(f"chương trình {code} chưa có thành phần nào")
    return ProgrammeDef(code, title, tuple(items))


def assets(app: App) -> list[str]:
    """The jingles, tones and idents in the assets folder, by name."""
    return asset_names(app.config.assets_dir)


def listen(app: App, code: str) -> Listening:
    """Build programme ``code`` for the loudspeaker profile (a programme with a station ident
    is built for the first loudspeaker station) and return its length and first part."""
    with app.sessions() as session:
        defn = get_programme(session, code)
        station = (session.scalar(select(Station.name).where(Station.kind == LISTEN_PROFILE)
                                  .order_by(Station.code).limit(1)) or "") \
            if defn.has_ident else ""
    built = app.builder.build(defn, app.config.get_profile(LISTEN_PROFILE), station)
    first = next((p.clip or p.fallback for p in built.parts if p.clip or p.fallback), None)
    return Listening(built.duration, len(built.parts), first)


def save(app: App, user: Operator, programme: ProgrammeDef) -> str:
    """Save ``programme`` for ``user`` and write the audit log; 'added', 'changed' or
    'unchanged'. A shared programme ``user`` may not change is refused (:class:`Forbidden`),
    one made by the files or announce too (:class:`OriginConflict`); a new one belongs to
    the user's group."""
    with transaction(app.sessions) as session:
        row = session.scalar(select(Programme).where(Programme.code == programme.code))
        if row is not None and not may_edit_owned(session, user, row.owner_group):
            raise Forbidden(user, f"Tài khoản {user.name} không được sửa chương trình "
                                  f"{programme.code}: chương trình dùng chung này do "
                                  f"{owner_text(row.owner_group)} quản lý; bạn chỉ xem được.",
                            f"chương trình {programme.code}")
        _, status = save_programme(session, programme, origin=Origin.UI.value,
                                   owner_group=owner_for(user))
        if status != "unchanged":
            record(session, user.name, "sửa chương trình", f"chương trình {programme.code}",
                   f"{status}: {programme.title}; " + ", ".join(
                       f"{i.kind}:{item_value(i)[:40]}" for i in programme.items)[:900])
    return status


def duration_text(span: timedelta) -> str:
    """``1 giờ 02 phút 05 giây`` / ``2 phút 05 giây``."""
    seconds = round(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} giờ {minutes:02d} phút {seconds:02d} giây"
    return f"{minutes} phút {seconds:02d} giây"


def _load(ui: UI, code: str | None, user: Operator) -> dict[str, Any]:
    with ui.app.sessions() as session:
        rows = list(session.scalars(select(Programme).order_by(Programme.code)))
        owners = editable_owners(session, user)
        documents = [(d.key, d.title) for d in list_documents(session)]
    programmes = [ProgrammeDef.from_json(r.definition) for r in rows]
    rights = {r.code: access(r.owner_group, r.origin, owners, user.can_edit) for r in rows}
    current = next((p for p in programmes if p.code == code), None) if code else None
    if code and current is None:
        raise NotFound(f"không có chương trình mã {code!r}")
    rows_shown: Sequence[tuple[str, str]] = [(i.kind, item_value(i)) for i in current.items] \
        if current else []
    return {"programmes": programmes, "documents": documents, "assets": assets(ui.app),
            "current": current, "access": rights,
            "rows": [*rows_shown, *[("jingle", "")] * BLANK_ROWS]}


router = APIRouter()


async def show(ui: UI, request: Request, user: Operator, code: str | None,
               **extra: Any) -> Response:
    """The programmes page, with programme ``code`` open (if any)."""
    try:
        data = await ui.call(_load, ui, code, user)
    except NotFound:
        return ui.redirect(request, "/ui/chuong-trinh",
                           f"Không có chương trình mã {code}.")
    return ui.page(request, "programmes.html", user, kinds=KIND_NAMES,
                   duration_text=duration_text, **data, **extra)


@router.get("/chuong-trinh")
async def programmes_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    return await show(ui, request, user, None)


@router.get("/chuong-trinh/{code}")
async def programme_page(request: Request, code: str, ui: Pages,
                         user: CurrentUser) -> Response:
    return await show(ui, request, user, code)


@router.post("/chuong-trinh")
async def save_page(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    try:
        programme = programme_from_form(form)
        status = await ui.call(save, ui.app, user, programme)
    except CodeError as exc:
        raise code_refused(exc) from None
    except OriginConflict as exc:
        raise origin_refused(exc) from None
    except BroadcasterError as exc:
        return ui.redirect(request, "/ui/chuong-trinh", f"Không lưu được: {exc}")
    return ui.redirect(request, f"/ui/chuong-trinh/{programme.code}",
                       f"{SAVED[status]} chương trình {programme.code}. Bấm “Nghe thử” "
                       "để nghe và xem độ dài.")


@router.post("/chuong-trinh/{code}/nghe")
async def listen_page(request: Request, code: str, ui: Pages, user: CurrentUser,
                      form: CsrfForm) -> Response:
    # anyone signed in may listen; building changes no data
    try:
        heard = await ui.call(listen, ui.app, code)
    except BroadcasterError as exc:
        return ui.redirect(request, f"/ui/chuong-trinh/{code}",
                           f"Không dựng được chương trình {code}: {exc}")
    return await show(ui, request, user, code, heard=heard)
