"""Reading numbers aloud in Vietnamese.

The rules a listener expects, north (Hà Nội) and south (Sài Gòn):

* units after a tens digit of 2 or more change form: 1 -> ``mốt``, 4 -> ``tư``, 5 -> ``lăm``
  (``hai mươi mốt``, ``hai mươi tư``, ``hai mươi lăm``); after ``mười`` only 5 changes
  (``mười lăm``, but ``mười một``, ``mười bốn``);
* a zero tens digit inside a number is ``linh`` (north) or ``lẻ`` (south): ``một trăm linh năm``;
* a group of three digits that follows a higher group is read in full, ``không trăm`` included:
  ``một nghìn không trăm linh năm``; groups that are all zero are skipped:
  ``một triệu không trăm linh một``;
* the scales are ``nghìn`` (north) / ``ngàn`` (south), ``triệu``, ``tỷ``; above a thousand
  billion the scales compound: ``một nghìn tỷ``.

Every function here is pure and never returns digits.
"""

from __future__ import annotations

import re
from typing import Literal

Dialect = Literal["north", "south"]

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 10**9
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _zero_tens(dialect: Dialect) -> str:
    return "lẻ" if dialect == "south" else "linh"


def _thousand(dialect: Dialect) -> str:
    return "ngàn" if dialect == "south" else "nghìn"


def _read_triple(n: int, full: bool, dialect: Dialect) -> list[str]:
    """Words for 1..999; ``full`` reads the hundreds even when zero (a non-leading group)."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append(_zero_tens(dialect))
            words.append(DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
        return words
    words += [DIGITS[tens], "mươi"]
    if units:
        words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def _read_below_billion(n: int, prefixed: bool, dialect: Dialect) -> list[str]:
    """Words for 1..999,999,999; ``prefixed`` means a higher scale has already been spoken."""
    words: list[str] = []
    groups = ((n // 1_000_000, "triệu"), (n // 1000 % 1000, _thousand(dialect)), (n % 1000, ""))
    for value, scale in groups:
        if not value:
            continue
        words += _read_triple(value, full=prefixed, dialect=dialect)
        if scale:
            words.append(scale)
        prefixed = True
    return words


def _read_positive(n: int, prefixed: bool, dialect: Dialect) -> list[str]:
    if n >= _BILLION:
        high, low = divmod(n, _BILLION)
        words = [*_read_positive(high, prefixed, dialect), "tỷ"]
        if low:
            words += _read_below_billion(low, True, dialect)
        return words
    return _read_below_billion(n, prefixed, dialect)


def read_number(n: int, dialect: Dialect = "north") -> str:
    """Read an integer as Vietnamese words: ``105`` -> ``một trăm linh năm`` (south ``lẻ``).

    Negative numbers start with ``âm``. Any size is accepted; scales above ``tỷ`` compound
    (``một nghìn tỷ``, ``một triệu tỷ``).
    """
    if n < 0:
        return "âm " + read_number(-n, dialect)
    if n == 0:
        return DIGITS[0]
    return " ".join(_read_positive(n, False, dialect))


def read_digits(text: str) -> str:
    """Read every digit of ``text`` on its own: ``"0912"`` -> ``không chín một hai``.

    Characters that are not ASCII digits are ignored.
    """
    return " ".join(DIGITS[int(c)] for c in text if "0" <= c <= "9")


def read_ordinal(n: int, dialect: Dialect = "north") -> str:
    """The word after ``thứ``: 1 -> ``nhất``, 4 -> ``tư``, otherwise the cardinal (2 -> ``hai``)."""
    return {1: "nhất", 4: "tư"}.get(n) or read_number(n, dialect)


def read_integer_text(digits: str, dialect: Dialect = "north") -> str:
    """Read a written run of digits, keeping the writer's intent for leading zeros.

    ``"07"`` (administrative style, "07 xã") is ``bảy``; a longer run with a leading zero
    (``"0123"``, a code) and any run of more than 15 digits is read digit by digit.
    """
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a run of digits: {digits!r}")
    if len(digits) > 15 or (len(digits) > 2 and digits[0] == "0"):
        return read_digits(digits)
    return read_number(int(digits), dialect)


def _read_fraction(digits: str, dialect: Dialect) -> str:
    """Digits after the decimal comma: leading zeros one by one, then up to three as a number."""
    zeros = len(digits) - len(digits.lstrip("0"))
    rest = digits[zeros:]
    words = [DIGITS[0]] * zeros
    if len(rest) > 3:
        words.append(read_digits(rest))
    elif rest:
        words.append(read_number(int(rest), dialect))
    return " ".join(words)


def read_decimal(text: str, dialect: Dialect = "north") -> str:
    """Read a written Vietnamese number: ``.`` groups thousands, ``,`` is the decimal comma.

    ``"3,5"`` -> ``ba phẩy năm``; ``"1.234,05"`` -> ``một nghìn hai trăm ba mươi tư phẩy không
    năm``. A ``.`` that does not group thousands (``"1.5"``, a section number) is read
    ``chấm``. A leading ``-`` or ``−`` is ``âm``. Raises ValueError for text that is not a
    number.
    """
    text = text.strip()
    if text[:1] in ("-", "−"):
        return "âm " + read_decimal(text[1:], dialect)
    if not re.fullmatch(r"\d+(?:[.,]\d+)*", text):
        raise ValueError(f"not a written number: {text!r}")
    whole, comma, fraction = text.partition(",")
    if _GROUPED.fullmatch(whole):
        words = read_number(int(whole.replace(".", "")), dialect)
    else:
        words = " chấm ".join(read_integer_text(p, dialect) for p in whole.split("."))
    if not comma:
        return words
    parts = [_read_fraction(p, dialect) for p in fraction.split(",")]
    return words + " phẩy " + " phẩy ".join(parts)


def roman_to_int(s: str) -> int | None:
    """The value of a well-formed Roman numeral (``"XIII"`` -> 13), or None.

    Upper or lower case is accepted, not a mix; non-canonical forms such as ``"IIII"`` or
    ``"VX"`` give None.
    """
    if not s or not (s.isupper() or s.islower()):
        return None
    upper = s.upper()
    if not _ROMAN.fullmatch(upper):
        return None
    total = 0
    for here, after in zip(upper, [*upper[1:], ""], strict=True):
        value = _ROMAN_VALUES[here]
        total += -value if after and _ROMAN_VALUES[after] > value else value
    return total
