"""Who owns what, said in Vietnamese: owner groups, origins, refused codes.

The rules are elsewhere (:mod:`broadcaster.users` for rights, :mod:`broadcaster.origins` for
makers, :mod:`broadcaster.codes` for the code syntax); this module turns their refusals into
the UI's answers: 400 for a code that does not follow the syntax, 409 for a row another maker
owns.
"""

from __future__ import annotations

from dataclasses import dataclass

from broadcaster.codes import CodeError
from broadcaster.domain.labels import shorts
from broadcaster.domain.vocabulary import Origin
from broadcaster.origins import OriginConflict, may_change
from broadcaster.web.ui._core import Refused

WHAT = {"entry": "mục lịch", "programme": "chương trình", "station": "đài", "group": "nhóm",
        "user": "tài khoản", "document": "văn bản", "former": "mã cũ"}
ORIGIN_NAMES = shorts(Origin)


def owner_text(owner_group: str | None) -> str:
    """Who may change a shared programme or document: ``nhóm X`` or ``quản trị viên``."""
    return f"nhóm {owner_group}" if owner_group else "quản trị viên"


@dataclass(frozen=True)
class Access:
    """How the page shows one programme or document to the signed-in operator."""

    owner: str           # owner_text
    origin: str          # ORIGIN_NAMES
    editable: bool       # the operator may change it here
    reason: str = ""     # why not, when not


def access(owner_group: str | None, origin: str, owners: frozenset[str] | None,
           can_edit: bool) -> Access:
    """The access of one row for an operator who may change the owners ``owners`` (None:
    all, see :func:`broadcaster.users.editable_owners`)."""
    owner, made = owner_text(owner_group), ORIGIN_NAMES.get(origin, origin)
    if not can_edit:
        return Access(owner, made, False, "Tài khoản chỉ xem.")
    if owners is not None and owner_group not in owners:
        return Access(owner, made, False, f"Do {owner} quản lý: bạn chỉ xem được.")
    if not may_change(origin, Origin.UI.value):
        return Access(owner, made, False, conflict_text(origin))
    return Access(owner, made, True)


def conflict_text(origin: str) -> str:
    """Why a row of ``origin`` cannot be changed in the UI, and where to change it."""
    if origin == Origin.FILE.value:
        return ("Do tệp lịch (schedules/*.yaml) tạo ra: hãy sửa trong tệp rồi chạy "
                "“broadcaster schedule apply”.")
    if origin == Origin.ANNOUNCE.value:
        return "Do một thông báo tạo ra: hãy hủy thông báo đó thay vì sửa."
    return f"Do {ORIGIN_NAMES.get(origin, origin)} tạo ra."


def origin_refused(exc: OriginConflict) -> Refused:
    """409: the row belongs to another maker."""
    what = WHAT.get(exc.kind, exc.kind)
    verb = "sửa" if exc.action == "change" else "xóa"
    return Refused(409, f"Không {verb} được {what} {exc.code}. {conflict_text(exc.origin)}")


def code_refused(exc: CodeError) -> Refused:
    """400: a code that does not follow the one code syntax."""
    what = WHAT.get(exc.what, exc.what)
    letters = "chữ cái, chữ số" if exc.what == "document" else \
        "chữ cái không dấu (A–Z, a–z), chữ số"
    return Refused(400, f"Mã {what} {exc.value!r} không hợp lệ: chỉ gồm {letters}, '.', '_' "
                        f"hoặc '-', bắt đầu bằng chữ hoặc số, tối đa {exc.syntax.limit} ký tự.")
