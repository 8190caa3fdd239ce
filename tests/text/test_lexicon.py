"""The pronunciation lexicon: the packaged file, operator files, matching rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcaster.errors import InputError
from broadcaster.text.lexicon import Lexicon
from broadcaster.text.normalize import normalize

REQUIRED = [
    "UBND",
    "HĐND",
    "MTTQ",
    "MTTQVN",
    "BCH",
    "TW",
    "BCT",
    "KT-XH",
    "CNTT",
    "ĐBQH",
    "QH",
    "TP.",
    "TP",
    "TP.HCM",
    "TP. HCM",
    "NQ/TW",
    "NQ",
    "QĐ",
    "TTg",
    "CP",
    "NĐ-CP",
    "TT",
    "BTTTT",
    "CT",
    "KH",
    "HĐ",
    "BTV",
    "BBT",
    "ĐU",
    "CCHC",
    "ANQP",
    "QP-AN",
    "ATGT",
    "THPT",
    "THCS",
    "GD&ĐT",
    "KH&CN",
    "KHCN",
    "ĐMST",
    "CĐS",
    "DN",
    "DNNVV",
    "HTX",
    "NTM",
    "GDP",
    "GRDP",
    "FDI",
    "ODA",
    "BHXH",
    "BHYT",
    "PCCC",
    "PCTT",
    "TKCN",
    "UBKT",
    "VKSND",
    "TAND",
    "CAND",
    "QĐND",
    "CA",
    "LĐTB&XH",
    "NN&PTNT",
    "TN&MT",
    "GTVT",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def default() -> Lexicon:
    return Lexicon.default()


def test_default_lexicon_is_large_and_has_the_party_and_state_abbreviations(
    default: Lexicon,
) -> None:
    assert len(default.entries) >= 80
    missing = [key for key in REQUIRED if key not in default.entries]
    assert missing == []


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("UBND", "Ủy ban nhân dân"),
        ("HĐND", "Hội đồng nhân dân"),
        ("TW", "Trung ương"),
        ("BCT", "Bộ Chính trị"),
        ("KT-XH", "kinh tế xã hội"),
        ("NQ/TW", "nghị quyết Trung ương"),
        ("CĐS", "chuyển đổi số"),
        ("NTM", "nông thôn mới"),
        ("TP.HCM", "thành phố Hồ Chí Minh"),
    ],
)
def test_default_readings(default: Lexicon, written: str, spoken: str) -> None:
    assert default.entries[written] == spoken
    assert default.apply(written) == spoken


def test_no_spoken_form_contains_a_written_form(default: Lexicon) -> None:
    """Applying the lexicon to its own output changes nothing (normalize is idempotent)."""
    for written, spoken in default.entries.items():
        assert default.apply(spoken) == spoken, written


def test_spoken_forms_are_words_only(default: Lexicon) -> None:
    for written, spoken in default.entries.items():
        assert not any(c.isdigit() for c in spoken), written
        assert not set(spoken) & set("/&-()\"'"), written


# -- matching ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TWO", "TWO"),
        ("TW", "Trung ương"),
        ("BCH TW", "Ban Chấp hành Trung ương"),
        ("TWO TW", "TWO Trung ương"),
        ("xUBND", "xUBND"),
        ("UBNDx", "UBNDx"),
        ("UBND2", "UBND2"),
        ("ubnd", "ubnd"),
        ("Ubnd", "Ubnd"),
        ("(UBND)", "(Ủy ban nhân dân)"),
        ("UBND.", "Ủy ban nhân dân."),
        ("UBND, HĐND", "Ủy ban nhân dân, Hội đồng nhân dân"),
        ("CAND", "Công an nhân dân"),
        ("MTTQVN", "Mặt trận Tổ quốc Việt Nam"),
        ("QĐ-UBND", "quyết định Ủy ban nhân dân"),
        ("NĐ-CP", "nghị định Chính phủ"),
        ("PCTT&TKCN", "phòng chống thiên tai và tìm kiếm cứu nạn"),
        ("57-NQ/TW", "57-nghị quyết Trung ương"),
        ("TP.Vinh", "thành phố Vinh"),
        ("TP. Vinh", "thành phố Vinh"),
        ("TP Vinh", "thành phố Vinh"),
        ("TP. HCM", "thành phố Hồ Chí Minh"),
        ("Tuyên truyền về ATGT", "Tuyên truyền về an toàn giao thông"),
        ("CAO", "CAO"),
        ("CA", "công an"),
    ],
)
def test_token_boundaries_case_and_longest_first(
    default: Lexicon, text: str, expected: str
) -> None:
    assert default.apply(text) == expected


def test_empty_lexicon_changes_nothing() -> None:
    assert Lexicon({}).apply("UBND") == "UBND"


# -- operator files --------------------------------------------------------------------------------


def test_operator_file_overrides_and_extends_the_default(tmp_path: Path) -> None:
    path = write(
        tmp_path / "tinh.tsv",
        "# từ điển riêng của tỉnh\n\nHTX\thợp tác xã nông nghiệp\nBQL\tBan quản lý\n",
    )
    lexicon = Lexicon.load([path])
    assert lexicon.entries["HTX"] == "hợp tác xã nông nghiệp"
    assert lexicon.entries["BQL"] == "Ban quản lý"
    assert lexicon.entries["UBND"] == "Ủy ban nhân dân"
    assert Lexicon.default().entries["HTX"] == "hợp tác xã"
    assert normalize("BQL dự án HTX", lexicon=lexicon) == (
        "Ban quản lý dự án hợp tác xã nông nghiệp."
    )


def test_later_files_override_earlier_ones(tmp_path: Path) -> None:
    first = write(tmp_path / "a.tsv", "ĐX\tđề xuất\nKV\tkhu vực\n")
    second = write(tmp_path / "b.tsv", "ĐX\tđường xã\n")
    lexicon = Lexicon.load([first, second])
    assert lexicon.entries["ĐX"] == "đường xã"
    assert lexicon.entries["KV"] == "khu vực"
    assert Lexicon.load([second, first]).entries["ĐX"] == "đề xuất"


def test_operator_entries_may_contain_digits(tmp_path: Path) -> None:
    lexicon = Lexicon.load([write(tmp_path / "x.tsv", "F0\tép không\n")])
    assert normalize("Có 3 ca F0.", lexicon=lexicon) == "Có ba ca ép không."


def test_merged_is_a_new_lexicon(default: Lexicon) -> None:
    extra = Lexicon({"UBND": "ủy ban", "KV": "khu vực"})
    merged = default.merged(extra)
    assert merged.entries["UBND"] == "ủy ban"
    assert default.entries["UBND"] == "Ủy ban nhân dân"
    assert merged.apply("KV UBND") == "khu vực ủy ban"


def test_lexicons_compare_and_hash_by_entries() -> None:
    assert Lexicon({"A1": "a"}) == Lexicon({"A1": "a"})
    assert hash(Lexicon({"A1": "a"})) == hash(Lexicon({"A1": "a"}))
    assert Lexicon({"A1": "a"}) != Lexicon({"A1": "b"})


def test_entries_are_read_only(default: Lexicon) -> None:
    with pytest.raises(TypeError):
        default.entries["UBND"] = "x"  # type: ignore[index]


def test_file_with_bom_crlf_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "win.tsv"
    path.write_bytes("\ufeff# ghi chú\r\nSGK\tsách giáo khoa\r\n\r\n  # thụt lề\r\n".encode())
    assert Lexicon.from_file(path).entries == {"SGK": "sách giáo khoa"}


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("UBND\tỦy ban\nKHÔNG CÓ TAB\n", 2),
        ("# chú thích\n\nA\tb\tc\n", 3),
        ("\tthiếu chữ viết tắt\n", 1),
        ("ABC\t   \n", 1),
        ("ABC: cách đọc\n", 1),
    ],
    ids=["no-tab", "three-fields", "empty-written", "empty-spoken", "colon"],
)
def test_bad_line_names_file_and_line(tmp_path: Path, content: str, line: int) -> None:
    path = write(tmp_path / "sai.tsv", content)
    with pytest.raises(InputError) as caught:
        Lexicon.load([path])
    message = str(caught.value)
    assert f"lexicon {path} line {line}:" in message
    assert "ABBREVIATION<TAB>reading" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        Lexicon.load([tmp_path / "khong-co.tsv"])


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cp1258.tsv"
    path.write_bytes("UBND\tỦy ban\n".encode("utf-16"))
    with pytest.raises(InputError, match="not UTF-8"):
        Lexicon.from_file(path)
