"""The document side of the UI: upload, speak, and the operators' "đọc là" lexicon.

Readings added in the UI go to HOME/lexicon-ui.tsv (``written<TAB>spoken``), the last file of
the one lexicon every path speaks with (:class:`broadcaster.text.LexiconFiles`): the preview
here, renders, announcements, the inbox and the ``normalize`` command read them alike. They
apply to the whole province, so only admins add them.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from broadcaster.app import App
from broadcaster.db import transaction
from broadcaster.db.models import Clip, Document
from broadcaster.documents import FORMATS, AddResult, add_document, get_document, read_document
from broadcaster.errors import InputError
from broadcaster.fsutil import atomic_write_bytes
from broadcaster.speech import text_request
from broadcaster.text import Lexicon
from broadcaster.text.lexicon import parse_lines
from broadcaster.users import Operator, may_edit_owned, may_edit_readings, owner_for
from broadcaster.web.ui._core import Forbidden
from broadcaster.web.ui._owners import owner_text

MAX_WRITTEN, MAX_SPOKEN = 100, 300   # an abbreviation and how it is read, not a text
MAX_FILENAME = 200                   # documents.key is String(200); file systems allow 255


@dataclass(frozen=True)
class DocumentView:
    """A document with its text as written and as spoken, and its clips (newest first)."""

    document: Document
    original: str
    spoken: str
    clips: list[Clip]


def add_reading(app: App, written: str, spoken: str, user: Operator) -> None:
    """Add (or replace) ``written`` read as ``spoken`` in HOME/lexicon-ui.tsv. The readings
    change how every document of the province is spoken: admins only (else
    :class:`Forbidden`)."""
    if not may_edit_readings(user):
        raise Forbidden(user, f"Tài khoản {user.name} không được thêm cách đọc: cách đọc áp "
                              "dụng cho mọi văn bản của cả tỉnh, chỉ quản trị viên được thêm.",
                        f"cách đọc {written.strip()[:100]}")
    written, spoken = written.strip(), " ".join(spoken.split())
    if not written or not spoken or "\t" in written or "\n" in written:
        raise InputError("cần cả chữ viết và cách đọc (không có dấu tab)")
    if len(written) > MAX_WRITTEN or len(spoken) > MAX_SPOKEN:
        raise InputError(f"chữ viết tối đa {MAX_WRITTEN} ký tự, cách đọc tối đa {MAX_SPOKEN} "
                         "ký tự")
    path = app.config.readings_path
    entries = parse_lines(path.read_text(encoding="utf-8").splitlines(), str(path)) \
        if path.is_file() else {}
    entries[written] = spoken
    Lexicon(entries)  # validates
    atomic_write_bytes(path, "".join(f"{w}\t{s}\n" for w, s in entries.items()).encode())


def upload(app: App, filename: str, data: bytes, user: Operator) -> AddResult:
    """Store an uploaded .txt/.md/.docx file as a document of ``user``'s group, or as a new
    revision of a document ``user`` may change (else :class:`Forbidden`: a shared document
    belongs to its owner group, or to the admins)."""
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{name[:80] or 'tệp'}: chỉ nhận tệp {', '.join(sorted(FORMATS))}")
    if len(name.encode()) > MAX_FILENAME:
        raise InputError(f"{name[:80]}…: tên tệp dài quá {MAX_FILENAME} byte")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, name)
        path.write_bytes(data)
        parsed = read_document(path, app.config.max_document_bytes)
    with transaction(app.sessions) as session:
        found = session.execute(select(Document.owner_group)
                                .where(Document.key == parsed.key)).first()
        owner = found[0] if found else None
        if found is not None and not may_edit_owned(session, user, owner):
            raise Forbidden(user, f"Tài khoản {user.name} không được tải phiên bản mới của văn "
                                  f"bản {parsed.key}: văn bản dùng chung này do "
                                  f"{owner_text(owner)} quản lý; bạn chỉ xem được.",
                            f"văn bản {parsed.key}")
        return add_document(session, parsed, owner_group=owner_for(user))


def speak(app: App, ref: int | str) -> Clip:
    """Speak the current revision of a document as it will air; its clip."""
    with app.sessions() as session:
        doc = get_document(session, ref)
        text, speech, revision = doc.current.text, dict(doc.speech), doc.current.id
    return app.renderer.render(text_request(app.config, text, speech=speech,
                                            revision_id=revision)).clip


def view(app: App, ref: int | str) -> DocumentView:
    """A document, its spoken text and its clips."""
    with app.sessions() as session:
        doc = get_document(session, ref)
        text = doc.current.text
        clips = list(session.scalars(select(Clip)
                                     .where(Clip.document_revision_id == doc.current.id)
                                     .order_by(Clip.id.desc())))
        _ = doc.revisions  # loaded for the template
    spoken = app.renderer.spoken_text(text, app.config.dialect)
    return DocumentView(doc, text, spoken, clips)


def latest_clip(app: App, ref: int | str) -> Clip:
    """The newest clip of a document's current revision, speaking it if there is none."""
    found = view(app, ref).clips
    return found[0] if found else speak(app, ref)
