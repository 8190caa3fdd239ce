"""Documents: upload, list, original next to spoken text, play, "đọc là" readings.

A document is shared: a new revision comes from its owner group's editors (or an admin); the
readings apply to the whole province and are the admins'."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from broadcaster.app import App
from broadcaster.codes import CodeError
from broadcaster.documents import list_documents
from broadcaster.domain.vocabulary import Origin
from broadcaster.errors import BroadcasterError
from broadcaster.users import Operator, editable_owners, may_edit_readings
from broadcaster.web.ui import _speech
from broadcaster.web.ui._core import Id, Refused
from broadcaster.web.ui._owners import Access, access, code_refused, owner_text
from broadcaster.web.ui.deps import CsrfForm, CurrentUser, Editor, Pages

router = APIRouter()


def documents(app: App) -> list[object]:
    """Every document, with its current revision loaded."""
    with app.sessions() as session:
        docs = list_documents(session)
        for d in docs:
            _ = d.current
        return list(docs)


@router.get("/van-ban")
async def list_page(request: Request, ui: Pages, user: CurrentUser) -> Response:
    return ui.page(request, "documents.html", user, documents=await ui.call(documents, ui.app),
                   owner_text=owner_text)


@router.post("/van-ban")
async def upload(request: Request, ui: Pages, user: Editor, form: CsrfForm) -> Response:
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return ui.redirect(request, "/ui/van-ban", "Hãy chọn một tệp .txt, .md hoặc .docx.")
    data = await file.read()
    try:
        result = await ui.call(_speech.upload, ui.app, file.filename, data, user)
        await ui.call(_speech.speak, ui.app, result.document_id)
    except CodeError as exc:
        raise code_refused(exc) from None
    except BroadcasterError as exc:
        return ui.redirect(request, "/ui/van-ban", f"Không nhận được tệp: {exc}")
    await ui.audit(user, "tải văn bản lên", f"văn bản {result.key}",
                  f"phiên bản {result.revision} ({result.status})")
    return ui.redirect(request, f"/ui/van-ban/{result.document_id}",
                       f"Đã lưu văn bản {result.key}, phiên bản {result.revision}.")


def rights(app: App, user: Operator, owner_group: str | None) -> Access:
    """What ``user`` may do with a document of ``owner_group``."""
    with app.sessions() as session:
        owners = editable_owners(session, user)
    return access(owner_group, Origin.UI.value, owners, user.can_edit)


@router.get("/van-ban/{doc_id}")
async def show(request: Request, doc_id: Id, ui: Pages, user: CurrentUser) -> Response:
    try:
        found = await ui.call(_speech.view, ui.app, doc_id)
    except BroadcasterError as exc:
        raise Refused(404, f"Không có văn bản {doc_id}.") from exc
    return ui.page(request, "document.html", user, view=found,
                   access=await ui.call(rights, ui.app, user, found.document.owner_group),
                   readings=may_edit_readings(user))


@router.post("/van-ban/{doc_id}/doc")
async def speak(request: Request, doc_id: Id, ui: Pages, user: Editor,
                form: CsrfForm) -> Response:
    try:
        clip = await ui.call(_speech.speak, ui.app, doc_id)
    except BroadcasterError as exc:
        return ui.redirect(request, f"/ui/van-ban/{doc_id}", f"Không đọc được: {exc}")
    await ui.audit(user, "đọc văn bản", f"văn bản {doc_id}", f"clip {clip.id}")
    return ui.redirect(request, f"/ui/van-ban/{doc_id}", "Đã đọc xong.")


@router.post("/van-ban/{doc_id}/doc-la")
async def reading(request: Request, doc_id: Id, ui: Pages, user: Editor,
                  form: CsrfForm) -> Response:
    written, spoken = str(form.get("written", "")), str(form.get("spoken", ""))
    try:
        await ui.call(_speech.add_reading, ui.app, written, spoken, user)
        await ui.call(_speech.speak, ui.app, doc_id)
    except BroadcasterError as exc:
        return ui.redirect(request, f"/ui/van-ban/{doc_id}", f"Không thêm được: {exc}")
    await ui.audit(user, "thêm cách đọc", written, f"đọc là {spoken}")
    return ui.redirect(request, f"/ui/van-ban/{doc_id}",
                       f"Đã thêm: “{written}” đọc là “{spoken}”. Nghe bản mới ở trên.")
