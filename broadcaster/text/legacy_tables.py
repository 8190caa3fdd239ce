"""Code tables and byte codecs of the two legacy 8-bit Vietnamese encodings.

* TCVN3 (TCVN 5712:1993 VN3, the "ABC" fonts .VnTime, .VnArial ...): one byte per letter.
  Lowercase toned letters and the seven capitals Ă Â Ê Ô Ơ Ư Đ have codes; the other toned
  capitals only exist through the capital fonts (.VnTimeH), which reuse the lowercase codes.
* VNI (VNI-Windows fonts, VNI-Times ...): a base letter followed by one byte carrying the vowel
  modifier and/or the tone; ơ ư đ, the toned i and ỵ (and their capitals) are single bytes.

Both keep ASCII as it is. Bytes that carry no Vietnamese letter are read as Windows-1252 (the
fonts keep its punctuation there), or as Latin-1 where Windows-1252 leaves the byte undefined.
The tables follow the published code charts; ``tests/text/test_encoding.py`` checks a handful of
entries against hand-copied byte values.
"""

from __future__ import annotations

import re
import unicodedata

GRAVE, ACUTE, TILDE, HOOK, DOT = "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"
TONE_MARKS = frozenset((GRAVE, ACUTE, TILDE, HOOK, DOT))
MODIFIERS = frozenset((CIRCUMFLEX, BREVE, HORN))

# TCVN3: for each base vowel, the codes of (grave, hook, tilde, acute, dot), as in the chart.
_TCVN3_TONED: dict[str, tuple[int, int, int, int, int]] = {
    "a": (0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
_TCVN3_PLAIN = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
}  # fmt: skip
# Positions the ABC fonts leave empty but full TCVN 5712 (VN1) fills: toned capitals and the
# five combining tone marks. Read only, never written (the encoder keeps to VN3).
_TCVN3_VN1_EXTRA = {
    0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ", 0xC4: "Ấ",
    0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ", 0xF0: "Ỗ", 0xFF: "Ố",
    0xB0: GRAVE, 0xB1: HOOK, 0xB2: TILDE, 0xB3: ACUTE, 0xB4: DOT,
}  # fmt: skip
_TCVN3_TONE_ORDER = (GRAVE, HOOK, TILDE, ACUTE, DOT)

# VNI: single-byte letters (lowercase; the capital is 0x20 lower).
_VNI_LETTERS = {
    0xF4: "ơ", 0xF6: "ư", 0xF1: "đ",
    0xED: "í", 0xEC: "ì", 0xE6: "ỉ", 0xF3: "ĩ", 0xF2: "ị", 0xEE: "ỵ",
}  # fmt: skip
# VNI: bytes that follow a base vowel (lowercase; the capital is 0x20 lower).
_VNI_MARKS = {
    0xF9: ACUTE, 0xF8: GRAVE, 0xFB: HOOK, 0xF5: TILDE, 0xEF: DOT,
    0xE2: CIRCUMFLEX, 0xE1: CIRCUMFLEX + ACUTE, 0xE0: CIRCUMFLEX + GRAVE,
    0xE5: CIRCUMFLEX + HOOK, 0xE3: CIRCUMFLEX + TILDE, 0xE4: CIRCUMFLEX + DOT,
    0xEA: BREVE, 0xE9: BREVE + ACUTE, 0xE8: BREVE + GRAVE,
    0xFA: BREVE + HOOK, 0xFC: BREVE + TILDE, 0xEB: BREVE + DOT,
}  # fmt: skip


def glyph_char(byte: int) -> str:
    """The character a Windows-1252 font shows for ``byte`` (Latin-1 where 1252 has none)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_GLYPH_BYTES = {glyph_char(b): b for b in range(256)} | {
    chr(b): b for b in range(256) if chr(b) != glyph_char(b)
}
_TO_LATIN1 = {ord(char): byte for char, byte in _GLYPH_BYTES.items()}
GLYPH_RUN = re.compile("[" + re.escape("".join(sorted(_GLYPH_BYTES))) + "]+")


def glyph_byte(char: str) -> int | None:
    """The byte behind a character of legacy text shown through a Windows-1252 font, if any.

    Windows-1252 characters give their byte; other characters below U+0100 their code point.
    """
    return _GLYPH_BYTES.get(char)


def glyph_bytes(text: str) -> bytes:
    """The bytes behind a run of characters that all have one (see ``GLYPH_RUN``)."""
    return text.translate(_TO_LATIN1).encode("latin-1")


def _build_tcvn3() -> tuple[list[str], dict[str, int]]:
    decode = [glyph_char(b) for b in range(256)]
    encode: dict[str, int] = {}
    for base, codes in _TCVN3_TONED.items():
        for tone, code in zip(_TCVN3_TONE_ORDER, codes, strict=True):
            letter = unicodedata.normalize("NFC", base + tone)
            decode[code] = letter
            encode[letter] = code
            encode.setdefault(letter.upper(), code)  # no capital: use the lowercase code
    for code, letter in _TCVN3_PLAIN.items():
        decode[code] = letter
        encode[letter] = code
    for code, letter in _TCVN3_VN1_EXTRA.items():
        decode[code] = letter
    return decode, encode


def _build_vni() -> tuple[list[str], dict[str, int]]:
    decode = [glyph_char(b) for b in range(256)]
    encode: dict[str, int] = {}  # letters and mark strings -> byte
    for code, letter in _VNI_LETTERS.items():
        decode[code], decode[code - 0x20] = letter, letter.upper()
        encode[letter], encode[letter.upper()] = code, code - 0x20
    for code, marks in _VNI_MARKS.items():
        decode[code] = decode[code - 0x20] = marks
        encode[marks] = code
    return decode, encode


TCVN3_DECODE, TCVN3_ENCODE = _build_tcvn3()
VNI_DECODE, VNI_ENCODE = _build_vni()
TCVN3_USED = frozenset(TCVN3_ENCODE.values()) | frozenset(_TCVN3_VN1_EXTRA)
VNI_USED = frozenset(code - shift for code in (*_VNI_LETTERS, *_VNI_MARKS) for shift in (0, 0x20))


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 bytes to NFC text, restoring capitals in all-capital words (see below)."""
    text = "".join([TCVN3_DECODE[b] for b in data])
    return restore_capitals(unicodedata.normalize("NFC", text))


def decode_vni(data: bytes) -> str:
    """Decode VNI bytes to NFC text (mark bytes become combining marks, then compose)."""
    return unicodedata.normalize("NFC", "".join([VNI_DECODE[b] for b in data]))


def encode_tcvn3_char(char: str) -> int | None:
    """The TCVN3 byte of one NFC character, or None if TCVN3 cannot write it."""
    if char.isascii():
        return ord(char)
    if char in TCVN3_ENCODE:
        return TCVN3_ENCODE[char]
    byte = glyph_byte(char)
    return byte if byte is not None and byte >= 0x80 and byte not in TCVN3_USED else None


def encode_vni_char(char: str) -> bytes | None:
    """The VNI bytes of one NFC character, or None if VNI cannot write it."""
    if char.isascii():
        return char.encode("ascii")
    if char in VNI_ENCODE:
        return bytes([VNI_ENCODE[char]])
    base, *marks = list(unicodedata.normalize("NFD", char))
    upper = base.isupper()
    if HORN in marks and base.lower() in "ou":
        marks.remove(HORN)
        base = {"o": "ơ", "u": "ư"}[base.lower()]
        base = base.upper() if upper else base
        if not marks:
            return bytes([VNI_ENCODE[base]])
    if base.lower() in "aeiouyơư" and marks:
        ordered = "".join(sorted(marks, key=lambda m: m not in MODIFIERS))
        code = VNI_ENCODE.get(ordered)
        if code is not None:
            lead = base.encode("ascii") if base.isascii() else bytes([VNI_ENCODE[base]])
            return lead + bytes([code - 0x20 if upper else code])
    byte = glyph_byte(char)
    if byte is not None and byte >= 0x80 and byte not in VNI_USED:
        return bytes([byte])
    return None


_WORD = re.compile(r"[^\W\d_]+")


def _strong_caps(word: str) -> bool:
    return sum(c.isascii() and c.isupper() for c in word) >= 2 and not _has_ascii_lower(word)


def _has_ascii_lower(word: str) -> bool:
    return any(c.isascii() and c.islower() for c in word)


def restore_capitals(text: str) -> str:
    """Uppercase the toned letters TCVN3 had to write in lowercase inside all-capital words.

    A heading typed with a capital font reads "CộNG HòA Xã HộI" once decoded. A word is put in
    capitals when it has no lowercase ASCII letter and either has two or more uppercase ASCII
    letters itself, or sits between such words (at a line end: next to one, on a line holding
    at least two). "Số: 12/QĐ-UBND" and "Tỉ lệ" are left alone.
    """
    out: list[str] = []
    for line in text.split("\n"):
        words = list(_WORD.finditer(line))
        strong = [_strong_caps(m.group()) for m in words]
        several = sum(strong) >= 2
        pieces: list[str] = []
        last = 0
        for k, match in enumerate(words):
            word = match.group()
            neighbours = [strong[j] for j in (k - 1, k + 1) if 0 <= j < len(words)]
            lifted = strong[k] or (
                not _has_ascii_lower(word)
                and any(c.isupper() for c in word)
                and bool(neighbours)
                and all(neighbours)
                and (len(neighbours) == 2 or several)
            )
            pieces.append(line[last : match.start()])
            pieces.append(word.upper() if lifted else word)
            last = match.end()
        pieces.append(line[last:])
        out.append("".join(pieces))
    return "\n".join(out)
