"""Decoding Vietnamese text files: UTF-8/16, TCVN3, VNI, Windows-1258 and glyph text in Unicode."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path
from typing import Literal

import pytest

from broadcaster.errors import InputError
from broadcaster.text.encoding import (
    Decoded,
    decode_bytes,
    fix_legacy_text,
    is_vietnamese_syllable,
    to_nfc,
)
from tests.text.legacy import encode_legacy

# A resolution summary as a commune loudspeaker reads it. Together its lines hold every vowel
# (a ă â e ê i o ô ơ u ư y) with each of the five tones, đ/Đ and the capitals Ă Â Ê Ô Ơ Ư.
PARAGRAPH = """CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
Độc lập - Tự do - Hạnh phúc
Ủy ban nhân dân tỉnh Thái Nguyên đã ban hành Quyết định số 1234/QĐ-UBND về việc phê duyệt \
kế hoạch phòng, chống lụt bão năm 2024.
Theo đó, các xã, phường, thị trấn phải kiểm tra đê điều, kè đá, hồ đập, nạo vét kênh mương \
trước mùa mưa lũ; chẳng được chủ quan, lơ là.
Người dân cần chủ động dự trữ lương thực, nước uống, thuốc men; tránh đi qua ngầm, tràn khi \
nước dâng cao, đặc biệt là trẻ nhỏ.
Ông Phó Chủ tịch yêu cầu Sở Nông nghiệp hướng dẫn bà con thu hoạch lúa sớm, kiểm kê đàn gà, \
vịt, lợn và giữ vệ sinh chuồng trại định kỳ.
Ấp Bắc, Ơn Đức và Ưu Tiên là những điểm dễ vỡ bờ; mỗi tổ xung kích phải trực suốt đêm, sẵn \
sàng ứng cứu, di dời dân tới nơi an toàn.
Đài truyền thanh xã phát bản tin này ba lần mỗi ngày: sáu giờ sáng, mười một giờ trưa và năm \
giờ chiều; kỹ thuật viên kiểm tra loa kỹ lưỡng.
Ý kiến đóng góp gửi về Văn phòng trước thứ Hai; kinh phí hỗ trợ tỷ lệ 50%, không kiêng kỵ gì; \
ai ở xa thì gọi điện, ghi rõ họ tên, đừng để lỡ việc.
Em bé ẵm em, mẹ hẹn về sớm; ông lão ngồi ở hiên, ngẫm nghĩ, vẽ tranh bằng bút chì, tưởng nhớ \
những ngày xưa cũ, vỗ về lũ trẻ, lẩm bẩm hát khẽ.
Khẩu hiệu “Ăn chín, uống sôi” được nhắc lại; Âm lượng loa ở buôn Ê Đê tăng thêm."""

# TCVN3 has no code for toned capitals outside Ă Â Ê Ô Ơ Ư Đ: those come back lowercase,
# except inside all-capital words (the first line), which the decoder puts back in capitals.
PARAGRAPH_VIA_TCVN3 = (
    PARAGRAPH.replace("Ủy ban", "ủy ban").replace("Ấp Bắc", "ấp Bắc").replace("Ý kiến", "ý kiến")
)

TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Windows writes it: precomposed where the code page has the letter,
    otherwise the base letter followed by a combining tone mark."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = nfd(char)
            tone = next(c for c in parts if c in TONES)
            base = unicodedata.normalize("NFC", parts.replace(tone, ""))
            out += (base + tone).encode("cp1258")
    return bytes(out)


def refusal(data: bytes, source: str = "docs/x.txt") -> str:
    with pytest.raises(InputError) as caught:
        decode_bytes(data, source)
    message = str(caught.value)
    assert source in message
    return message


# --- the test paragraph itself ----------------------------------------------------------------


def test_paragraph_has_every_vowel_with_every_tone() -> None:
    text = PARAGRAPH.lower()
    for vowel in "aăâeêioôơuưy":
        for tone in TONES:
            letter = unicodedata.normalize("NFC", vowel + tone)
            assert letter in text, letter
    assert {"đ", "Đ", "Ă", "Â", "Ê", "Ô", "Ơ", "Ư"} <= set(PARAGRAPH)


# --- legacy round trips -----------------------------------------------------------------------


def test_tcvn3_round_trip() -> None:
    decoded = decode_bytes(encode_legacy(PARAGRAPH, "tcvn3"), "bao-cao.txt")
    assert decoded.encoding == "tcvn3"
    assert decoded.text == PARAGRAPH_VIA_TCVN3
    assert not decoded.repaired


def test_vni_round_trip() -> None:
    decoded = decode_bytes(encode_legacy(PARAGRAPH, "vni"), "bao-cao.txt")
    assert decoded.encoding == "vni"
    assert decoded.text == PARAGRAPH


def test_round_trip_through_a_file_with_windows_newlines(tmp_path: Path) -> None:
    path = tmp_path / "nghi-quyet.txt"
    path.write_bytes(encode_legacy(PARAGRAPH.replace("\n", "\r\n"), "vni"))
    decoded = decode_bytes(path.read_bytes(), str(path))
    assert decoded.text == PARAGRAPH


def test_tcvn3_keeps_lowercase_in_mixed_case_lines() -> None:
    text = "Số: 12/QĐ-UBND\nTỉ lệ hộ nghèo giảm"
    assert decode_bytes(encode_legacy(text, "tcvn3"), "x").text == text


# --- hand-checked code points (published charts, not the module's own inverse) ---------------

TCVN3_CODES = {
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ằ": 0xBB, "ặ": 0xC6, "ầ": 0xC7, "ậ": 0xCB, "è": 0xCC, "ẹ": 0xD1,
    "ế": 0xD5, "ệ": 0xD6, "ì": 0xD7, "ĩ": 0xDC, "ị": 0xDE, "ò": 0xDF, "ỏ": 0xE1,
    "ộ": 0xE9, "ờ": 0xEA, "ợ": 0xEE, "ù": 0xEF, "ủ": 0xF1, "ụ": 0xF4,
    "ừ": 0xF5, "ữ": 0xF7, "ự": 0xF9, "ỳ": 0xFA, "ỹ": 0xFC, "ỵ": 0xFE,
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
}  # fmt: skip

VNI_CODES = {
    "á": b"a\xf9", "à": b"a\xf8", "ả": b"a\xfb", "ã": b"a\xf5", "ạ": b"a\xef",
    "â": b"a\xe2", "ấ": b"a\xe1", "ầ": b"a\xe0", "ẩ": b"a\xe5", "ẫ": b"a\xe3", "ậ": b"a\xe4",
    "ă": b"a\xea", "ắ": b"a\xe9", "ằ": b"a\xe8", "ẳ": b"a\xfa", "ẵ": b"a\xfc", "ặ": b"a\xeb",
    "ơ": b"\xf4", "ớ": b"\xf4\xf9", "ư": b"\xf6", "ự": b"\xf6\xef", "đ": b"\xf1",
    "í": b"\xed", "ì": b"\xec", "ỉ": b"\xe6", "ĩ": b"\xf3", "ị": b"\xf2", "ỵ": b"\xee",
    "ý": b"y\xf9", "Đ": b"\xd1", "Ơ": b"\xd4", "Ư": b"\xd6", "Ị": b"\xd2",
    "Ấ": b"A\xc1", "Ủ": b"U\xdb", "Ặ": b"A\xcb",
}  # fmt: skip


@pytest.mark.parametrize(("letter", "code"), TCVN3_CODES.items())
def test_tcvn3_code_points(letter: str, code: int) -> None:
    assert encode_legacy(letter, "tcvn3") == bytes([code])


@pytest.mark.parametrize(("letter", "code"), VNI_CODES.items())
def test_vni_code_points(letter: str, code: bytes) -> None:
    assert encode_legacy(letter, "vni") == code


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        (b"Quy\xd5t \xae\xdenh s\xe8 12", "tcvn3", "Quyết định số 12"),
        (b"B\xb6o Th\xbeng, L\xb5o Cai", "tcvn3", "Bảo Thắng, Lào Cai"),
        (b"M\xad\xeang Kh\xad\xacng", "tcvn3", "Mường Khương"),
        (b"Quye\xe1t \xf1\xf2nh so\xe1 12", "vni", "Quyết định số 12"),
        (b"Xin cha\xf8o ca\xf9c ba\xefn", "vni", "Xin chào các bạn"),
        (b"\xd1a\xefi ho\xefc Hue\xe1", "vni", "Đại học Huế"),
    ],
)
def test_known_legacy_byte_strings(data: bytes, encoding: str, text: str) -> None:
    decoded = decode_bytes(data, "x.txt")
    assert (decoded.encoding, decoded.text) == (encoding, text)


def test_encode_legacy_refuses_what_the_encoding_cannot_write() -> None:
    with pytest.raises(InputError, match="U\\+4E2D"):
        encode_legacy("Trung Quốc 中", "vni")
    with pytest.raises(InputError, match="TCVN3"):
        encode_legacy("Müller", "tcvn3")


# --- Windows-1258, Unicode, ASCII -------------------------------------------------------------


def test_cp1258_hand_bytes() -> None:
    decoded = decode_bytes(b"Quy\xea\xect \xf0i\xf2nh", "x.txt")
    assert (decoded.encoding, decoded.text) == ("cp1258", "Quyết định")


def test_cp1258_paragraph_is_detected_and_composed() -> None:
    decoded = decode_bytes(cp1258_bytes(PARAGRAPH), "x.txt")
    assert decoded.encoding == "cp1258"
    assert decoded.text == PARAGRAPH
    assert unicodedata.is_normalized("NFC", decoded.text)


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (PARAGRAPH.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + PARAGRAPH.encode("utf-8"), "utf-8-sig"),
        (b"\xff\xfe" + PARAGRAPH.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + PARAGRAPH.encode("utf-16-be"), "utf-16"),
        (PARAGRAPH.encode("utf-16-le"), "utf-16"),  # no byte order mark
    ],
)
def test_unicode_encodings(data: bytes, encoding: str) -> None:
    decoded = decode_bytes(data, "x.txt")
    assert (decoded.encoding, decoded.text, decoded.repaired) == (encoding, PARAGRAPH, False)


def test_ascii_and_newlines() -> None:
    decoded = decode_bytes(b"Ban tin sang\r\nthu Hai\rngay 5\n", "x.txt")
    assert (decoded.encoding, decoded.text) == ("ascii", "Ban tin sang\nthu Hai\nngay 5\n")


def test_english_in_windows_1252_is_accepted() -> None:
    text = "The “loudspeaker” schedule – it’s ready… Call 0912 345 678.\n" * 3
    decoded = decode_bytes(text.encode("cp1252"), "x.txt")
    assert (decoded.encoding, decoded.text) == ("cp1258", text)


def test_nfd_and_mixed_input_become_nfc() -> None:
    lines = PARAGRAPH.split("\n")
    mixed = "\n".join(nfd(line) if i % 2 else line for i, line in enumerate(lines))
    for text in (nfd(PARAGRAPH), mixed):
        decoded = decode_bytes(text.encode("utf-8"), "x.txt")
        assert decoded.text == PARAGRAPH
        assert unicodedata.is_normalized("NFC", decoded.text)


def test_to_nfc_composes_tone_first_sequences() -> None:
    assert to_nfc("o\u0301\u0302ng") == "ống"
    assert to_nfc("Vie\u0323\u0302t") == "Việt"
    assert unicodedata.is_normalized("NFC", to_nfc(nfd(PARAGRAPH)))


# --- legacy glyph text inside Unicode ---------------------------------------------------------


@pytest.mark.parametrize("hint", [None, ".VnTime", ".VnArial"])
def test_tcvn3_glyph_text_is_repaired(hint: str | None) -> None:
    assert fix_legacy_text("QuyÕt ®Þnh", hint) == ("Quyết định", True)


@pytest.mark.parametrize("hint", [None, "VNI-Times", "VNI-Helve"])
def test_vni_glyph_text_is_repaired(hint: str | None) -> None:
    assert fix_legacy_text("Quyeát ñònh", hint) == ("Quyết định", True)


@pytest.mark.parametrize(
    ("encoding", "expected"), [("tcvn3", PARAGRAPH_VIA_TCVN3), ("vni", PARAGRAPH)]
)
def test_glyph_paragraphs_are_repaired(encoding: Literal["tcvn3", "vni"], expected: str) -> None:
    glyphs = encode_legacy(PARAGRAPH, encoding).decode("cp1252")  # as a .docx shows it
    assert fix_legacy_text(glyphs) == (expected, True)


def test_capital_font_hint_gives_capitals() -> None:
    assert fix_legacy_text("QuyÕt ®Þnh", ".VnTimeH") == ("QUYẾT ĐỊNH", True)


def test_unicode_font_hint_leaves_glyphs_alone() -> None:
    assert fix_legacy_text("QuyÕt ®Þnh", "Times New Roman") == ("QuyÕt ®Þnh", False)


def test_lost_soft_hyphen_is_put_back() -> None:
    # TCVN3 "ư" is the soft hyphen; pasted text often loses it ("Mêng" for "Mường").
    assert fix_legacy_text("Mêng Kh¬ng, B¸t X¸t") == ("Mường Khương, Bát Xát", True)


def test_utf8_read_as_windows_1252_is_repaired() -> None:
    # As browsers read it: Windows-1252, with the five bytes it leaves undefined as C1 controls.
    utf8 = "Quyết định về việc phòng chống lụt bão".encode()
    mojibake = "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in utf8)
    assert fix_legacy_text(mojibake) == ("Quyết định về việc phòng chống lụt bão", True)


def test_glyph_text_in_a_utf8_file_is_repaired() -> None:
    decoded = decode_bytes("QuyÕt ®Þnh sè 12 vÒ viÖc ban hµnh\n".encode(), "x.txt")
    assert decoded == Decoded("Quyết định số 12 về việc ban hành\n", "utf-8", True)


@pytest.mark.parametrize(
    "text",
    [
        PARAGRAPH,
        "The loudspeaker schedule is ready. Please check the volume.",
        "café, naïve, Müller",
        "Ông Müller uống cà phê ở quán café gần chợ, rất naïve.",
        "Tôi nói là không.\nCà Mau",
        "Straße, Zürich, Gödel, señor, crème brûlée",
    ],
)
def test_genuine_text_is_left_alone(text: str) -> None:
    assert fix_legacy_text(text) == (text, False)


def test_fix_legacy_text_returns_nfc() -> None:
    assert fix_legacy_text(nfd("Quyết định")) == ("Quyết định", False)


# --- refusals ---------------------------------------------------------------------------------

PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06"


def test_png_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "anh.txt"
    path.write_bytes(PNG_HEADER)
    assert (
        refusal(path.read_bytes(), str(path))
        == f"{path}: the file is binary (a PNG image), not text"
    )


def test_random_bytes_with_nuls_are_refused() -> None:
    rng = random.Random(5712)
    data = b"Ban tin " + bytes(rng.randrange(256) for _ in range(512)) + b"\x00"
    assert "binary (NUL bytes at offset" in refusal(data)


def test_many_control_characters_are_refused() -> None:
    assert "control characters" in refusal(b"abc\x01\x02\x03\x04\x05\x06def" * 4, "<stdin>")


def test_high_byte_junk_is_refused() -> None:
    rng = random.Random(1993)
    alphabet = list(range(0x80, 0x100)) + [0x20] * 8
    data = bytes(rng.choice(alphabet) for _ in range(400))
    message = refusal(data, "<stdin>")
    assert message == (
        "<stdin>: cannot tell the text encoding: it is not UTF-8, UTF-16, TCVN3 (ABC), VNI "
        "or Windows-1258 Vietnamese"
    )


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (PNG_HEADER, "PNG image"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", ".docx"),
        (b"\xff\xfe\x00\x00h\x00\x00\x00", "UTF-32"),
        (b"\xef\xbb\xbfOK \xff\xfe", "not valid UTF-8 (byte 6)"),
        (b"\xff\xfe\x00\xd8", "not valid UTF-16"),
        (b"\x00\x00\x00\x00", "NUL bytes"),
        (b"\xff\xfeB\x00\x00\x00", "NUL characters"),
        (bytes(range(1, 32)) * 3, "control characters"),
        (bytes(range(0x80, 0x100)), "cannot tell the text encoding"),
    ],
)
@pytest.mark.parametrize("source", ["docs/x.txt", "<stdin>"])
def test_every_refusal_names_the_source(data: bytes, fragment: str, source: str) -> None:
    assert fragment in refusal(data, source)


def test_stray_control_characters_are_dropped() -> None:
    decoded = decode_bytes(b"Ban tin\x0c so 1\x1a", "x.txt")
    assert decoded.text == "Ban tin\n so 1"


# --- the syllable validator used for scoring --------------------------------------------------


@pytest.mark.parametrize(
    "word",
    "Quyết định người khuya quốc giếng gì gìn giữa thuở rượu xoong khuỷu huyện Nguyễn "
    "ĐỒNG Ủy tỉnh nghiệp kỹ ấy ăn oái hoặc được ước".split(),
)
def test_valid_syllables(word: str) -> None:
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word",
    # mixed case, two tones, tone on a stop final, ă without final, bad clusters and
    # spellings, letters Vietnamese lacks, a tone on a consonant
    "QuyÕt quyếtt Quỹt bàt ă Mờng kan ghu ngi café Müller naïve ǹa ®i".split(),
)
def test_invalid_syllables(word: str) -> None:
    assert not is_vietnamese_syllable(word)
