"""The Vietnamese names of the vocabulary: one table that every surface reads.

Each member of an enum in :mod:`broadcaster.domain.vocabulary` has a :class:`Label`. ``short``
is the lower-case word the web UI puts in a sentence, a table cell or a menu; ``title`` is the
capitalised form that stands alone (an XMLTV ``<category>``). Where the two differ in more than
the first letter (priorities: "thường" in the UI, "Thông thường" in a programme guide) both are
written out, so each surface keeps its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from broadcaster.domain.vocabulary import (
    CollisionPolicy,
    ConflictKind,
    GroupKind,
    ItemKind,
    Origin,
    Priority,
    Role,
    StationKind,
    StationState,
)

__all__ = ["LABELS", "Label", "label", "shorts", "titles"]


@dataclass(frozen=True)
class Label:
    """A member's Vietnamese name: ``short`` within a sentence, ``title`` standing alone."""

    short: str
    title_form: str = ""

    @property
    def title(self) -> str:
        """The standalone form (the short one capitalised unless written out)."""
        return self.title_form or self.short[:1].upper() + self.short[1:]


# Keyed by enum, then member: members of two enums may share a value (ItemKind.FILE and
# Origin.FILE are both "file", and equal), so one flat dict would mix them up.
LABELS: dict[type[StrEnum], dict[str, Label]] = {
    Priority: {
        Priority.NORMAL: Label("thường", "Thông thường"),
        Priority.HIGH: Label("ưu tiên"),
        Priority.EMERGENCY: Label("khẩn cấp"),
    },
    CollisionPolicy: {
        CollisionPolicy.PREEMPT: Label("ngắt mục đang phát"),
        CollisionPolicy.AFTER: Label("phát sau"),
        CollisionPolicy.DROP: Label("bỏ qua"),
    },
    ItemKind: {
        ItemKind.JINGLE: Label("nhạc hiệu / tín hiệu"),
        ItemKind.IDENT: Label("giới thiệu đài"),
        ItemKind.DOCUMENT: Label("văn bản"),
        ItemKind.TEXT: Label("lời đọc"),
        ItemKind.FILE: Label("tệp ghi âm"),
        ItemKind.SILENCE: Label("khoảng lặng"),
        ItemKind.RELAY: Label("tiếp sóng"),
    },
    StationKind: {
        StationKind.LOUDSPEAKER: Label("loa truyền thanh"),
        StationKind.RADIO: Label("phát thanh"),
        StationKind.TV: Label("truyền hình"),
    },
    GroupKind: {
        GroupKind.PROVINCE: Label("tỉnh"),
        GroupKind.COMMUNE: Label("xã"),
        GroupKind.WARD: Label("phường"),
        GroupKind.SPECIAL: Label("đặc khu"),
        GroupKind.CLUSTER: Label("cụm"),
        GroupKind.AREA: Label("khu vực"),
    },
    Origin: {
        Origin.FILE: Label("tệp lịch"),
        Origin.CLI: Label("dòng lệnh"),
        Origin.UI: Label("giao diện web"),
        Origin.ANNOUNCE: Label("thông báo"),
    },
    Role: {
        Role.ADMIN: Label("quản trị"),
        Role.EDITOR: Label("biên tập"),
        Role.VIEWER: Label("chỉ xem"),
    },
    StationState: {
        StationState.ONLINE: Label("trực tuyến"),
        StationState.OFFLINE: Label("mất kết nối"),
        StationState.NEVER: Label("chưa báo về"),
    },
    ConflictKind: {
        ConflictKind.PREEMPTED: Label("bị ngắt"),
        ConflictKind.RESUMED: Label("phát tiếp"),
        ConflictKind.DELAYED: Label("phát muộn"),
        ConflictKind.DROPPED: Label("bị bỏ"),
    },
}


def label(member: StrEnum) -> Label:
    """The Vietnamese name of one member of the vocabulary."""
    return LABELS[type(member)][member]


def shorts(enum: type[StrEnum]) -> dict[str, str]:
    """``{value: short label}`` for every member of ``enum``, in the enum's order."""
    return {member.value: label(member).short for member in enum}


def titles(enum: type[StrEnum]) -> dict[str, str]:
    """``{value: title label}`` for every member of ``enum``, in the enum's order."""
    return {member.value: label(member).title for member in enum}
