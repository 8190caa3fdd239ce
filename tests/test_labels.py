"""Every word of the vocabulary has a Vietnamese name, and each surface keeps its wording."""

from __future__ import annotations

import inspect
from enum import StrEnum

from broadcaster.domain import labels, vocabulary


def enums() -> list[type[StrEnum]]:
    return [obj for _, obj in inspect.getmembers(vocabulary, inspect.isclass)
            if issubclass(obj, StrEnum) and obj is not StrEnum]


def test_every_enum_member_has_a_label() -> None:
    missing = [f"{enum.__name__}.{member.name}" for enum in enums() for member in enum
               if enum not in labels.LABELS or member not in labels.LABELS[enum]
               or not labels.label(member).short]
    assert missing == []


def test_the_table_holds_only_members_of_its_enum() -> None:
    strays = [f"{enum.__name__}: {key!r}" for enum, table in labels.LABELS.items()
              for key in table if not isinstance(key, enum)]
    assert strays == []
    assert sorted(e.__name__ for e in labels.LABELS) == sorted(e.__name__ for e in enums())


def test_priorities_have_a_short_and_a_title_form() -> None:
    assert labels.shorts(vocabulary.Priority) == {
        "normal": "thường", "high": "ưu tiên", "emergency": "khẩn cấp"}
    assert labels.titles(vocabulary.Priority) == {
        "normal": "Thông thường", "high": "Ưu tiên", "emergency": "Khẩn cấp"}


def test_members_that_share_a_value_keep_their_own_label() -> None:
    assert vocabulary.ItemKind.FILE == vocabulary.Origin.FILE   # both "file"
    assert labels.label(vocabulary.ItemKind.FILE).short == "tệp ghi âm"
    assert labels.label(vocabulary.Origin.FILE).short == "tệp lịch"
