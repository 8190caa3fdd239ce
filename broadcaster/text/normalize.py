"""``normalize()``: written Vietnamese in, exactly what will be spoken out.

The pipeline, paragraph by paragraph:

1. **Markdown**: headings, bullets (``-``, ``*``, ``+``, ``1.``, ``a)``, ``I.``), emphasis,
   links, code and tables lose their decoration; a heading or bullet line becomes a sentence of
   its own (it ends with ``.``).
2. **Lexicon**: abbreviations become words (``UBND`` -> ``Ủy ban nhân dân``). It runs before
   the numbers so that operator entries may contain digits (``5G``) and so that document codes
   such as ``57-NQ/TW`` keep their shape for step 3.
3. **Numbers**, most specific first: phone numbers, document codes, dates, month/year, day/month,
   ratios, ranges, times, units, Roman numerals after a context word, ordinals, months, and
   finally every remaining number. Then the lexicon once more, for an abbreviation that was
   glued to a number (``UBND7``) and stands alone now.
4. **Symbols**: ``&``, ``/``, ``%``, brackets, dashes and quotes become words, pauses or nothing.
5. **Punctuation**: one space between words, no space before ``. , ; : ! ?``, runs of marks
   reduced to the strongest, every paragraph ends with ``.``, ``!``, ``?`` or ``…``.

Reading decisions: days and months are plain cardinals (``ngày hai tháng chín``, no ``mùng``
added; month 4 is always ``tư``, month 1 ``một``); a full date gets ``ngày`` unless the text
already says ``ngày``/``mùng``; ``d/m`` without a year is a date when valid (``Quốc khánh hai
tháng chín``), a fraction before ``số``/``tổng`` (``ba phần tư số hộ``), else ``trên``; two-digit
numbers with a leading zero drop it (``07 xã`` -> ``bảy xã``), longer ones are codes read digit
by digit; a document code is read number then name (``57-NQ/TW`` -> ``năm mươi bảy nghị quyết
Trung ương``).

Paragraphs are separated by exactly ``"\\n\\n"``; the output has no ASCII digit; normalising
twice gives what normalising once gave. ``NORMALIZER_VERSION`` is part of the cache key of
rendered speech: bump it whenever the output for some input changes.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from functools import cache

from broadcaster.text.lexicon import Lexicon
from broadcaster.text.numbers import (
    Dialect,
    read_decimal,
    read_digits,
    read_number,
    read_ordinal,
    roman_to_int,
)

NORMALIZER_VERSION = "2"

# Not after / not before a piece of a larger number.
_B = r"(?<![\w.,/-])"
_E = r"(?![\w]|[.,/-]\d)"
_NUM = r"\d+(?:[.,]\d+)*"
_DAY_WORD = r"(?P<pre>(?<![^\W\d_])(?i:ngày|mùng|mồng)\s+)?"

# Units after a number (or after "/"): written form -> spoken form. Longest first when matched.
UNITS: dict[str, str] = {
    "km/h": "ki lô mét trên giờ",
    **dict.fromkeys(["km²", "km2"], "ki lô mét vuông"),
    **dict.fromkeys(["m²", "m2"], "mét vuông"),
    **dict.fromkeys(["m³", "m3"], "mét khối"),
    **dict.fromkeys(["km", "Km"], "ki lô mét"),
    "cm": "xen ti mét",
    "mm": "mi li mét",
    "m": "mét",
    "ha": "héc ta",
    "kg": "ki lô gam",
    "g": "gam",
    "ml": "mi li lít",
    "kWh": "ki lô oát giờ",
    "kW": "ki lô oát",
    "MWh": "mê ga oát giờ",
    "MW": "mê ga oát",
    "GW": "gi ga oát",
    "W": "oát",
    **dict.fromkeys(["°C", "độ C"], "độ xê"),
    "°": "độ",
    **dict.fromkeys(["đ", "VNĐ", "VND", "vnđ", "VNđ"], "đồng"),
    "trđ": "triệu đồng",
    "USD": "đô la Mỹ",
    "Mbps": "mê ga bít trên giây",
    "Gbps": "gi ga bít trên giây",
    "%": "phần trăm",
    "h": "giờ",
}
# Words that, after "/", mean "per": "đồng/người" -> "đồng trên người".
_PER_WORDS = "người|hộ|năm|tháng|ngày|giờ|tuần|quý|lượt|lần|con|suất|ca|tấn|lít|chiếc|sào|mẫu"
# Words before a Roman numeral that make it a number: "khóa XIII", "thế kỷ XXI", "Quý I".
_ROMAN_CONTEXT = (
    "khóa|khoá|thế kỷ|thế kỉ|đại hội|hội nghị|trung ương|chương|phần|mục|quý|thứ|phụ lục|tập"
)


def normalize(text: str, *, dialect: Dialect = "north", lexicon: Lexicon | None = None) -> str:
    """Return ``text`` exactly as it will be spoken (see the module docstring for the rules).

    ``lexicon`` None means the packaged :meth:`Lexicon.default`.
    """
    lex = lexicon if lexicon is not None else Lexicon.default()
    paragraphs = []
    for block in _blocks(_clean_characters(text)):
        spoken = _speak_paragraph(_join_lines(block), dialect, lex)
        if spoken:
            paragraphs.append(spoken)
    return "\n\n".join(paragraphs)


# -- characters, paragraphs and Markdown ---------------------------------------------------------


def _clean_characters(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u200b-\u200d\u2060\ufeff\u00ad]", "", text)
    return re.sub(r"[\t\u00a0\u2000-\u200a\u202f\u3000]", " ", text)


def _blocks(text: str) -> list[list[str]]:
    """Paragraphs (split at blank lines) as lists of lines."""
    return [p.split("\n") for p in re.split(r"\n[ ]*\n", text) if p.strip()]


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s*(?:([-*_=])\s*)(?:\1\s*){2,}$")
_BULLET = re.compile(r"^\s*(?:[-*+•‣–]|\d{1,2}[.)]|[a-zđ]\))\s+")
# "I. QUAN ĐIỂM": a Roman section number, only before a capital letter (not "I. thành phố").
_ROMAN_HEADING = re.compile(r"^\s*[IVX]{1,4}\.\s+")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def _join_lines(lines: list[str]) -> str:
    """One paragraph's lines without Markdown decoration, joined by spaces."""
    out: list[str] = []
    for raw in lines:
        line = re.sub(r"^\s*(?:>\s?)+", "", raw)
        if _RULE.match(line) or _TABLE_SEPARATOR.match(line):
            continue
        if line.lstrip().startswith("|"):
            line, sentence = ", ".join(c.strip() for c in line.strip().strip("|").split("|")), True
        else:
            line, sentence = _strip_markers(line)
        line = _inline_markdown(line).strip()
        if line:
            out.append(_terminate(line) if sentence else line)
    return " ".join(out)


def _strip_markers(line: str) -> tuple[str, bool]:
    """The line without heading and list markers (repeatedly: "1. I. X"), and whether it had
    one, which makes it a sentence of its own. Marks that start a line are never spoken."""
    sentence = False
    while True:
        line = line.lstrip(" ,;:.!?…\"“”‘’'")
        if heading := _HEADING.match(line):
            line = heading.group(1)
        elif bullet := _BULLET.match(line):
            line = line[bullet.end() :]
        elif (roman := _ROMAN_HEADING.match(line)) and _starts_upper(line[roman.end() :]):
            line = line[roman.end() :]
        else:
            return line, sentence
        sentence = True


def _starts_upper(text: str) -> bool:
    """Whether the first letter or digit of ``text`` is a capital letter."""
    first = next((c for c in text if c.isalnum()), "")
    return first.isupper()


def _inline_markdown(line: str) -> str:
    line = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)
    line = re.sub(r"</?[A-Za-z][^>]*>", " ", line)
    line = re.sub(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2", line)
    line = re.sub(r"\*(?=\S)([^*]+?)(?<=\S)\*", r"\1", line)
    line = re.sub(r"(?<![^\W_])_(?=\S)([^_]+?)(?<=\S)_(?![^\W_])", r"\1", line)
    line = re.sub(r"[`*]", "", line)
    return re.sub(r"[_#]", " ", line)


def _terminate(text: str) -> str:
    """Make ``text`` end like a sentence: a trailing , ; : becomes ``.``; none gets ``.``."""
    text = text.rstrip()
    if not text or text[-1] in ".!?…":
        return text
    if text[-1] in ",;:":
        return text[:-1].rstrip() + "."
    return text + "."


# -- one paragraph -------------------------------------------------------------------------------


def _speak_paragraph(text: str, dialect: Dialect, lexicon: Lexicon) -> str:
    text = re.sub(r"\.{3,}|(?:\.\s){2,}\.", "…", text)
    text = re.sub(r"[\"“”„«»‘’`´']", "", text)
    text = lexicon.apply(text)
    for rule in _number_rules(dialect):
        text = rule(text)
    # Once more: an abbreviation glued to a number ("UBND7") stands alone now.
    text = lexicon.apply(text)
    text = _symbols(text)
    return _punctuation(text)


@cache
def _number_rules(dialect: Dialect) -> tuple[Callable[[str], str], ...]:
    """The number rules in the order they must run; each sees only digits the others left.

    Built once per dialect, on first use."""

    def num(written: str) -> str:
        return read_decimal(written, dialect)

    def month(m: int) -> str:
        return "tư" if m == 4 else read_number(m, dialect)

    def date(day: int, mon: int, year: int | None = None) -> str:
        words = f"{read_number(day, dialect)} tháng {month(mon)}"
        return words + (f" năm {read_number(year, dialect)}" if year is not None else "")

    def phone(m: re.Match[str]) -> str:
        groups = re.split(r"[ .-]", m.group(0))
        if sum(len(g) for g in groups) < 8:
            return m.group(0)
        return ", ".join(read_digits(g) for g in groups)

    def code(m: re.Match[str]) -> str:
        year = f" năm {read_number(int(m['year']), dialect)}" if m["year"] else ""
        return f"{num(m['n'])}{year} "

    def full_date(m: re.Match[str]) -> str:
        d, mo, y = int(m["d"]), int(m["m"]), int(m["y"])
        if not _valid_date(d, mo):
            return m.group(0)
        return f"{m['pre'] or 'ngày '}{date(d, mo, y)}"

    def day_range(m: re.Match[str]) -> str:
        first, last, mo = int(m["d1"]), int(m["d2"]), int(m["m"])
        if not (_valid_date(first, mo) and _valid_date(last, mo) and first < last):
            return m.group(0)
        year = int(m["y"]) if m["y"] else None
        return f"{m['pre'] or 'ngày '}{read_number(first, dialect)} đến {date(last, mo, year)}"

    def month_year(m: re.Match[str]) -> str:
        pre, unit = (m["pre"] or ""), m["m"]
        value = roman_to_int(unit) if unit.isalpha() else int(unit)
        is_quarter = pre.strip().lower() == "quý"
        if (
            value is None
            or not 1 <= value <= (4 if is_quarter else 12)
            or (unit.isalpha() and not is_quarter)
        ):
            return m.group(0)
        name = read_number(value, dialect) if is_quarter else month(value)
        return f"{pre or 'tháng '}{name} năm {read_number(int(m['y']), dialect)}"

    def day_month(m: re.Match[str]) -> str:
        d, mo = int(m["d"]), int(m["m"])
        fraction_context = re.match(r"\s+(?:số|tổng)(?![^\W_])", m.string[m.end() :])
        if _valid_date(d, mo) and not fraction_context:
            return f"{m['pre'] or ''}{date(d, mo)}"
        if fraction_context and 0 < d < mo <= 10:
            return f"{m['pre'] or ''}{read_number(d, dialect)} phần {month(mo)}"
        return f"{m['pre'] or ''}{read_number(d, dialect)} trên {read_number(mo, dialect)}"

    def ratio(m: re.Match[str]) -> str:
        a, b = m["a"], m["b"]
        if a.isdigit() and b.isdigit() and len(a) == len(b) == 4 and int(b) == int(a) + 1:
            return f"{num(a)} đến {num(b)}"
        return f"{num(a)} trên {num(b)}"

    def clock(hour: str, minute: str | None) -> str | None:
        h, mi = int(hour), int(minute or 0)
        if h > 24 or mi > 59 or (h == 24 and mi):
            return None
        return f"{read_number(h, dialect)} giờ" + (
            f" {read_number(mi, dialect)} phút" if mi else ""
        )

    def time(m: re.Match[str]) -> str:
        first = clock(m["h1"], m["m1"] or m["c1"])
        second = clock(m["h2"], m["m2"] or m["c2"]) if m["h2"] else ""
        if first is None or second is None:
            return m.group(0)
        return f"{first} đến {second}" if second else first

    def unit(m: re.Match[str]) -> str:
        per = "trên " if m.group(0).startswith("/") else ""
        return f" {per}{UNITS[m['u']]} "

    def roman(m: re.Match[str]) -> str:
        numeral, context = m["r"], m["ctx"]
        value = roman_to_int(numeral)
        if value is None or (len(numeral) == 1 and numeral not in "IVX"):
            return m.group(0)
        ordinal = context.lower() == "thứ"
        words = read_ordinal(value, dialect) if ordinal else read_number(value, dialect)
        return f"{context} {words}"

    def month_after_word(m: re.Match[str]) -> str:
        value = int(m["n"])
        return f"{m['ctx']} {month(value)}" if 1 <= value <= 12 else m.group(0)

    units = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
    clock_re = r"(?P<h{0}>\d{{1,2}})(?:h(?P<m{0}>\d{{2}})?|:(?P<c{0}>\d{{2}}))"
    return (
        _sub(_B + r"0\d{2,}(?:[ .-]\d{2,})*(?![\w]|[.,]\d)", phone),
        _sub(_B + r"(?P<n>\d+)(?:/(?P<year>\d{4}))?[-/](?=[^\W\d_])", code),
        _sub(
            _DAY_WORD + _B + r"(?P<d1>\d{1,2})\s*[-–]\s*(?P<d2>\d{1,2})/(?P<m>\d{1,2})"
            r"(?:/(?P<y>\d{4}))?" + _E,
            day_range,
        ),
        _sub(
            _DAY_WORD + _B + r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})" + _E,
            full_date,
        ),
        _sub(
            r"(?P<pre>(?<![^\W\d_])(?i:tháng|quý)\s+)?" + _B + r"(?P<m>\d{1,2}|[IV]{1,3})"
            r"/(?P<y>\d{4})" + _E,
            month_year,
        ),
        _sub(_DAY_WORD + _B + r"(?P<d>\d{1,2})/(?P<m>\d{1,2})" + _E, day_month),
        _sub(_B + rf"(?P<a>{_NUM})/(?P<b>{_NUM})" + _E, ratio),
        _sub(_B + rf"(?P<a>{_NUM})\s*[-–—]\s*(?=[-−]?\d)", lambda m: f"{num(m['a'])} đến "),
        _sub(
            r"(?<![\w.,:/-])"
            + clock_re.format(1)
            + r"(?:\s*[-–]\s*"
            + clock_re.format(2)
            + r")?(?![\w]|[.,:]\d)",
            time,
        ),
        _sub(rf"(?:(?<=\d) ?|/)(?P<u>{units})(?![^\W_])", unit),
        _sub(
            rf"(?<![^\W\d_])(?P<ctx>(?i:{_ROMAN_CONTEXT}))\s+(?P<r>[IVXLCDM]+)(?![^\W\d_])", roman
        ),
        _sub(
            r"(?<![^\W\d_])(?P<ctx>(?i:thứ))\s+(?P<n>\d+)(?![\w]|[.,]\d)",
            lambda m: f"{m['ctx']} {read_ordinal(int(m['n']), dialect)}",
        ),
        _sub(
            r"(?<![Mm]ỗi )(?<![^\W\d_])(?P<ctx>(?i:tháng))\s+(?P<n>\d{1,2})" + _E, month_after_word
        ),
        _sub(r"(?:^|(?<=[\s(\[]))[-−](?=\d)", lambda m: "âm "),
        _sub(_NUM, lambda m: f" {num(m.group(0))} "),
    )


def _sub(pattern: str, replace: Callable[[re.Match[str]], str]) -> Callable[[str], str]:
    compiled = re.compile(pattern)
    return lambda text: compiled.sub(replace, text)


def _valid_date(day: int, month: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(2024, month)[1]


# -- symbols and punctuation ---------------------------------------------------------------------


def _symbols(text: str) -> str:
    text = text.replace("&", " và ")
    text = re.sub(r"(?<![^\W_])và/hoặc(?![^\W_])", "và hoặc", text)
    text = re.sub(rf"\s*/\s*(?=(?:{_PER_WORDS})(?![^\W_]))", " trên ", text)
    text = re.sub(r"\s*/\s*", ", ", text)
    text = re.sub(r"(?<=[^\W_])-(?=[^\W_])", " ", text)
    text = re.sub(r"(?:^|\s)[-–—―]+(?=\s|$)|[–—―]", ", ", text)
    text = re.sub(r"[-−]", " ", text)
    text = re.sub(r"[~≈]", " khoảng ", text)
    for sign, word in ((">", "trên"), ("<", "dưới"), ("≥", "từ"), ("≤", "không quá")):
        text = text.replace(sign, f" {word} ")
    text = text.replace("%", " phần trăm ").replace("°", " độ ")
    text = re.sub(r"[()\[\]{}|•·]", ", ", text)
    return text


_STRENGTH = {",": 1, ":": 2, ";": 3, ".": 4, "…": 4, "!": 5, "?": 5}


def _punctuation(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\s+(?=[,;:.!?…])", "", text)
    text = re.sub(
        r"[,;:.!?…](?:\s*[,;:.!?…])+",
        lambda m: max(m.group(0).replace(" ", ""), key=lambda c: _STRENGTH[c]),
        text,
    )
    text = re.sub(r"([,;:!?…])(?=[^\W_])", r"\1 ", text)
    # After a full stop only when it ends a word, not an initial ("V.I.Lênin", "I.Khóa").
    text = re.sub(r"(?<=[^\W_]{2})\.(?=[^\W_])", ". ", text)
    text = re.sub(r"^[\s,;:.!?…]+", "", text)
    return _terminate(text)
