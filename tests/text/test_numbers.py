"""Vietnamese number reading: table cases, exhaustive structure checks and a round trip."""

from __future__ import annotations

import random

import pytest

from broadcaster.text.numbers import (
    DIGITS,
    read_decimal,
    read_digits,
    read_integer_text,
    read_number,
    read_ordinal,
    roman_to_int,
)

CARDINALS = [
    (0, "không", "không"),
    (1, "một", "một"),
    (5, "năm", "năm"),
    (10, "mười", "mười"),
    (11, "mười một", "mười một"),
    (14, "mười bốn", "mười bốn"),
    (15, "mười lăm", "mười lăm"),
    (20, "hai mươi", "hai mươi"),
    (21, "hai mươi mốt", "hai mươi mốt"),
    (24, "hai mươi tư", "hai mươi tư"),
    (25, "hai mươi lăm", "hai mươi lăm"),
    (30, "ba mươi", "ba mươi"),
    (55, "năm mươi lăm", "năm mươi lăm"),
    (99, "chín mươi chín", "chín mươi chín"),
    (100, "một trăm", "một trăm"),
    (101, "một trăm linh một", "một trăm lẻ một"),
    (104, "một trăm linh bốn", "một trăm lẻ bốn"),
    (105, "một trăm linh năm", "một trăm lẻ năm"),
    (110, "một trăm mười", "một trăm mười"),
    (115, "một trăm mười lăm", "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt", "một trăm hai mươi mốt"),
    (999, "chín trăm chín mươi chín", "chín trăm chín mươi chín"),
    (1000, "một nghìn", "một ngàn"),
    (1005, "một nghìn không trăm linh năm", "một ngàn không trăm lẻ năm"),
    (1010, "một nghìn không trăm mười", "một ngàn không trăm mười"),
    (1050, "một nghìn không trăm năm mươi", "một ngàn không trăm năm mươi"),
    (1100, "một nghìn một trăm", "một ngàn một trăm"),
    (1945, "một nghìn chín trăm bốn mươi lăm", "một ngàn chín trăm bốn mươi lăm"),
    (2000, "hai nghìn", "hai ngàn"),
    (2024, "hai nghìn không trăm hai mươi tư", "hai ngàn không trăm hai mươi tư"),
    (2030, "hai nghìn không trăm ba mươi", "hai ngàn không trăm ba mươi"),
    (10_000, "mười nghìn", "mười ngàn"),
    (21_000, "hai mươi mốt nghìn", "hai mươi mốt ngàn"),
    (105_000, "một trăm linh năm nghìn", "một trăm lẻ năm ngàn"),
    (500_000, "năm trăm nghìn", "năm trăm ngàn"),
    (1_000_000, "một triệu", "một triệu"),
    (1_000_001, "một triệu không trăm linh một", "một triệu không trăm lẻ một"),
    (1_001_000, "một triệu không trăm linh một nghìn", "một triệu không trăm lẻ một ngàn"),
    (
        1_250_000,
        "một triệu hai trăm năm mươi nghìn",
        "một triệu hai trăm năm mươi ngàn",
    ),
    (2_000_500, "hai triệu năm trăm", "hai triệu năm trăm"),
    (3_000_000_000, "ba tỷ", "ba tỷ"),
    (
        1_000_000_005,
        "một tỷ không trăm linh năm",
        "một tỷ không trăm lẻ năm",
    ),
    (
        12_500_000_000,
        "mười hai tỷ năm trăm triệu",
        "mười hai tỷ năm trăm triệu",
    ),
    (1_000_000_000_000, "một nghìn tỷ", "một ngàn tỷ"),
    (
        1_500_000_000_000,
        "một nghìn năm trăm tỷ",
        "một ngàn năm trăm tỷ",
    ),
    (-5, "âm năm", "âm năm"),
    (-2024, "âm hai nghìn không trăm hai mươi tư", "âm hai ngàn không trăm hai mươi tư"),
]


@pytest.mark.parametrize(("n", "north", "south"), CARDINALS, ids=[str(c[0]) for c in CARDINALS])
def test_cardinal(n: int, north: str, south: str) -> None:
    assert read_number(n) == north
    assert read_number(n, "north") == north
    assert read_number(n, "south") == south


# -- exhaustive structure over 0..999 --------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["north", "south"])
def test_every_number_below_a_thousand_follows_the_unit_rules(dialect: str) -> None:
    zero_tens = "lẻ" if dialect == "south" else "linh"
    for n in range(1000):
        words = read_number(n, dialect)  # type: ignore[arg-type]
        hundreds, tens, units = n // 100, n // 10 % 10, n % 10
        assert words and not any(c.isdigit() for c in words), n
        for wrong in (
            "mươi một",
            "mươi năm",
            "mười mốt",
            "mười năm",
            "mười tư",
            "linh mốt",
            "linh lăm",
            "lẻ mốt",
            "lẻ lăm",
            "mươi không",
            "mười không",
        ):
            assert wrong not in words, (n, words)
        if tens >= 2 and units == 1:
            assert words.endswith("mươi mốt"), (n, words)
        if tens >= 2 and units == 4:
            assert words.endswith("mươi tư"), (n, words)
        if tens >= 1 and units == 5:
            assert words.endswith("lăm"), (n, words)
        if tens == 1:
            assert "mười" in words and "mươi" not in words, (n, words)
        if tens == 1 and units in (1, 4):
            assert words.endswith(f"mười {DIGITS[units]}"), (n, words)
        assert (zero_tens in words.split()) == (hundreds > 0 and tens == 0 and units > 0), n
        assert words.startswith(f"{DIGITS[hundreds]} trăm") == (hundreds > 0), n


@pytest.mark.parametrize("n", range(1, 100))
def test_ordinal_and_cardinal_agree_below_a_hundred(n: int) -> None:
    expected = {1: "nhất", 4: "tư"}.get(n, read_number(n))
    assert read_ordinal(n) == expected
    assert read_ordinal(n, "south") == {1: "nhất", 4: "tư"}.get(n, read_number(n, "south"))


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "nhất"),
        (2, "hai"),
        (3, "ba"),
        (4, "tư"),
        (10, "mười"),
        (14, "mười bốn"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (100, "một trăm"),
    ],
)
def test_ordinal(n: int, words: str) -> None:
    assert read_ordinal(n) == words


# -- round trip: the words say the number --------------------------------------------------------

_DIGIT_VALUES = {w: i for i, w in enumerate(DIGITS)} | {"mốt": 1, "tư": 4, "lăm": 5}
_SCALES = {"nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6}


def parse_vietnamese(words: str) -> int:
    """The value of a Vietnamese number reading (a test oracle, independent of the reader)."""
    tokens = words.split()
    sign = 1
    if tokens and tokens[0] == "âm":
        sign, tokens = -1, tokens[1:]
    total = current = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in _DIGIT_VALUES and following == "trăm":
            current += _DIGIT_VALUES[token] * 100
            i += 2
            continue
        if token in _DIGIT_VALUES and following == "mươi":
            current += _DIGIT_VALUES[token] * 10
            i += 2
            continue
        if token == "mười":
            current += 10
        elif token in ("linh", "lẻ"):
            pass
        elif token in _DIGIT_VALUES:
            current += _DIGIT_VALUES[token]
        elif token in _SCALES:
            total += current * _SCALES[token]
            current = 0
        elif token == "tỷ":
            total = (total + current) * 10**9
            current = 0
        else:
            raise AssertionError(f"unexpected word {token!r} in {words!r}")
        i += 1
    return sign * (total + current)


def _samples() -> list[int]:
    rng = random.Random(20241222)
    edges = [
        0,
        1,
        9,
        10,
        11,
        100,
        1000,
        1001,
        10**6,
        10**6 + 1,
        10**9,
        10**9 + 1,
        10**12,
        10**12 - 1,
        10**12 + 10**9 + 1,
    ]
    spread = [rng.randrange(0, 10 ** rng.randint(1, 12) + 1) for _ in range(3000)]
    sparse = [
        int("".join(rng.choice("0000001") for _ in range(rng.randint(1, 13)))) for _ in range(1000)
    ]
    return edges + spread + sparse


@pytest.mark.parametrize("dialect", ["north", "south"])
def test_reading_is_never_empty_has_no_digit_and_says_the_number(dialect: str) -> None:
    for n in _samples():
        words = read_number(n, dialect)  # type: ignore[arg-type]
        assert words.strip() == words and words, n
        assert not any(c.isdigit() for c in words), (n, words)
        assert "  " not in words
        assert parse_vietnamese(words) == n, (n, words)


def test_every_number_up_to_twenty_thousand_round_trips() -> None:
    for n in range(20_001):
        assert parse_vietnamese(read_number(n)) == n


def test_zero_groups_inside_are_skipped() -> None:
    assert "nghìn" not in read_number(1_000_001)
    assert read_number(5_000_000_000_000) == "năm nghìn tỷ"
    assert read_number(10**15) == "một triệu tỷ"


# -- decimals, digits, written integers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("3,5", "ba phẩy năm"),
        ("0,05", "không phẩy không năm"),
        ("12,75", "mười hai phẩy bảy mươi lăm"),
        ("1,50", "một phẩy năm mươi"),
        ("3,125", "ba phẩy một trăm hai mươi lăm"),
        ("3,14159", "ba phẩy một bốn một năm chín"),
        ("1.234,05", "một nghìn hai trăm ba mươi tư phẩy không năm"),
        ("1.000", "một nghìn"),
        ("500.000", "năm trăm nghìn"),
        ("1.000.000", "một triệu"),
        ("1.5", "một chấm năm"),
        ("4.0", "bốn chấm không"),
        ("2.3.1", "hai chấm ba chấm một"),
        ("12.34", "mười hai chấm ba mươi tư"),
        ("2024", "hai nghìn không trăm hai mươi tư"),
        ("07", "bảy"),
        ("-3,5", "âm ba phẩy năm"),
        ("−2", "âm hai"),
    ],
)
def test_read_decimal(text: str, words: str) -> None:
    assert read_decimal(text) == words


def test_read_decimal_south() -> None:
    assert read_decimal("1.005,5", "south") == "một ngàn không trăm lẻ năm phẩy năm"


@pytest.mark.parametrize("bad", ["", "abc", "3,", ",5", "1..2", "12a"])
def test_read_decimal_refuses_what_is_not_a_number(bad: str) -> None:
    with pytest.raises(ValueError):
        read_decimal(bad)


def test_read_digits() -> None:
    assert read_digits("0912") == "không chín một hai"
    assert read_digits("0209.3855") == "không hai không chín ba tám năm năm"
    assert read_digits("") == ""


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("0", "không"),
        ("00", "không"),
        ("05", "năm"),
        ("10", "mười"),
        ("0123", "không một hai ba"),
        ("1234567890123456", "một hai ba bốn năm sáu bảy tám chín không một hai ba bốn năm sáu"),
    ],
)
def test_read_integer_text(digits: str, words: str) -> None:
    assert read_integer_text(digits) == words


# -- Roman numerals --------------------------------------------------------------------------------


def _to_roman(n: int) -> str:
    out = ""
    for value, letters in (
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ):
        while n >= value:
            out, n = out + letters, n - value
    return out


def test_roman_round_trip() -> None:
    for n in range(1, 4000):
        assert roman_to_int(_to_roman(n)) == n
        assert roman_to_int(_to_roman(n).lower()) == n


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("XIII", 13),
        ("XXI", 21),
        ("XIV", 14),
        ("I", 1),
        ("IV", 4),
        ("MMXXIV", 2024),
        ("IIII", None),
        ("VX", None),
        ("IC", None),
        ("XIIII", None),
        ("Xiv", None),
        ("", None),
        ("ABC", None),
        ("X I", None),
        ("13", None),
    ],
)
def test_roman_to_int(text: str, value: int | None) -> None:
    assert roman_to_int(text) == value
