"""Decode Vietnamese text files, whatever encoding the provincial office saved them in.

``decode_bytes`` refuses binary data, honours byte order marks, then tries strict UTF-8 (and
repairs legacy glyph text found inside it with ``fix_legacy_text``); anything else is decoded
as TCVN3, VNI and Windows-1258 and the candidate that reads most like Vietnamese wins. How
Vietnamese a text reads is measured with a small syllable validator: the share of its words
with Vietnamese letters that are well-formed syllables (initial, vowel cluster, final, tone).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from broadcaster.errors import InputError
from broadcaster.text.legacy_tables import (
    ACUTE,
    DOT,
    GLYPH_RUN,
    MODIFIERS,
    TONE_MARKS,
    decode_tcvn3,
    decode_vni,
    glyph_byte,
    glyph_bytes,
    glyph_char,
)

__all__ = [
    "Decoded",
    "decode_bytes",
    "fix_legacy_text",
    "is_vietnamese_syllable",
    "to_nfc",
]


@dataclass(frozen=True)
class Decoded:
    """Text decoded from a file, and how it was decoded."""

    text: str  # Unicode NFC, newlines normalised to "\n"
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "tcvn3", "vni", "cp1258" or "ascii"
    repaired: bool  # legacy glyph text inside Unicode was converted (see fix_legacy_text)


_MAGIC = (
    ((b"\x89PNG\r\n\x1a\n",), "a PNG image"),
    ((b"\xff\xd8\xff",), "a JPEG image"),
    ((b"GIF87a", b"GIF89a"), "a GIF image"),
    ((b"%PDF-",), "a PDF document"),
    ((b"PK\x03\x04",), "a ZIP archive (a .docx, .xlsx or .odt file is one)"),
    ((b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",), "an old Microsoft Office file (.doc or .xls)"),
    ((b"RIFF",), "a RIFF file (WAV audio or AVI video)"),
    ((b"ID3\x02", b"ID3\x03", b"ID3\x04"), "an MP3 audio file"),
    ((b"OggS",), "an Ogg audio file"),
    ((b"fLaC",), "a FLAC audio file"),
)
_CONTROL = re.compile("[\x01-\x08\x0e-\x19\x1b-\x1f\x7f]")  # not \t \n \v \f \r, not ^Z
_NEWLINE = re.compile("\r\n?|[\v\f\u2028\u2029]")
_STRAY_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_WORD = re.compile(r"[^\W\d_]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_MARK_RUN = re.compile("[\u0300-\u036f]{2,}")
_SAMPLE = 200_000  # characters scored when choosing an encoding
# Non-ASCII characters ordinary Vietnamese or English text is made of besides letters.
_FRIENDLY = frozenset("“”‘’‚„–—…•°€£©®§™‰′″№\u00a0")


def to_nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the form every later stage expects.

    Vowel modifiers (circumflex, breve, horn) are put before tone marks first, so decomposed
    text typed tone-first ("o" + acute + circumflex) still composes to "ố".
    """
    if text.isascii():
        return text

    def modifiers_first(match: re.Match[str]) -> str:
        return "".join(sorted(match.group(), key=lambda mark: mark not in MODIFIERS))

    return unicodedata.normalize(
        "NFC", _MARK_RUN.sub(modifiers_first, unicodedata.normalize("NFD", text))
    )


def decode_bytes(data: bytes, source: str) -> Decoded:
    """Decode the bytes of a text file; ``source`` (a path or "<stdin>") names it in errors.

    Raises InputError for binary data and for text in no encoding this module knows.
    """
    for prefixes, kind in _MAGIC:
        if data.startswith(prefixes):
            raise InputError(f"{source}: the file is binary ({kind}), not text")
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputError(
            f"{source}: the file is UTF-32 text, which is not supported; save it as UTF-8"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return _from_unicode(_strict(data[3:], "utf-8", "UTF-8", source), "utf-8-sig", source)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _from_unicode(_strict(data, "utf-16", "UTF-16", source), "utf-16", source)
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is None:
            offset = data.index(b"\x00")
            raise InputError(
                f"{source}: the file is binary (NUL bytes at offset {offset}), not text"
            )
        return _from_unicode(utf16, "utf-16", source)
    _refuse_controls(data.decode("latin-1"), source, "offset")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return _from_legacy(data, source)
    return _from_unicode(text, "ascii" if text.isascii() else "utf-8", source)


def _strict(data: bytes, codec: str, label: str, source: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if codec == "utf-8" else 0)
        raise InputError(
            f"{source}: the file is marked as {label} but is not valid {label} (byte {start})"
        ) from exc


def _bomless_utf16(data: bytes) -> str | None:
    """The text of UTF-16 without a byte order mark: NULs fill one byte of many pairs, never
    the other (ASCII and Latin-1 letters have a zero high byte), and it decodes cleanly."""
    if len(data) % 2 or len(data) < 4:
        return None
    pairs = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if odd >= 0.3 * pairs and even == 0:
        codec = "utf-16-le"
    elif even >= 0.3 * pairs and odd == 0:
        codec = "utf-16-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _refuse_controls(text: str, source: str, unit: str) -> None:
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(f"{source}: the file is binary (NUL characters at {unit} {nul}), not text")
    controls = _CONTROL.findall(text)
    if len(controls) > max(3, len(text) // 100):
        first = _CONTROL.search(text)
        where = first.start() if first else 0
        raise InputError(
            f"{source}: the file is binary ({len(controls)} control characters, "
            f"the first at {unit} {where}), not text"
        )


def _clean(text: str) -> str:
    """Newlines to "\\n", the few stray control characters a text may carry dropped, NFC."""
    return to_nfc(_STRAY_CONTROL.sub("", _NEWLINE.sub("\n", text)))


def _from_unicode(text: str, encoding: str, source: str) -> Decoded:
    _refuse_controls(text, source, "character")
    fixed, repaired = fix_legacy_text(_clean(text.removeprefix("\ufeff")))
    return Decoded(fixed, encoding, repaired)


def _decode_cp1258(data: bytes) -> str | None:
    try:
        return to_nfc(data.decode("cp1258"))
    except UnicodeDecodeError:
        return None


# Ties go to the later entry: English in Windows-1252 decodes alike in all three.
_LEGACY: tuple[tuple[str, Callable[[bytes], str | None]], ...] = (
    ("vni", decode_vni),
    ("tcvn3", decode_tcvn3),
    ("cp1258", _decode_cp1258),
)


def _from_legacy(data: bytes, source: str) -> Decoded:
    ranked: list[tuple[tuple[int, int, int], str, str, _Score]] = []
    for priority, (name, decode) in enumerate(_LEGACY):
        text = decode(data)
        if text is not None:
            score = _score(text[:_SAMPLE])
            ranked.append(((score.net, score.valid, priority), name, text, score))
    _, name, text, score = max(ranked)
    if not (score.looks_vietnamese or score.looks_english):
        raise InputError(
            f"{source}: cannot tell the text encoding: it is not UTF-8, UTF-16, "
            "TCVN3 (ABC), VNI or Windows-1258 Vietnamese"
        )
    return Decoded(_clean(text), name, False)


# --- How Vietnamese a text reads -------------------------------------------------------------

# Longest first, so "ngh" is tried before "ng"; then no initial at all.
_INITIALS = (*"ngh ch gh gi kh ng nh ph qu th tr b c d đ g h k l m n p r s t v x".split(), "")
_VOWELS = "aăâeêioôơuưy"
_LETTERS = frozenset("abcdđghklmnpqrstvx" + _VOWELS)
_OPEN = frozenset(  # vowel clusters ending in a glide: no final consonant
    "ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui uơ ưa ưi ưu "
    "iêu yêu oai oao oay oeo uây uôi ươi ươu uya uyu".split()
)
_CLOSED = frozenset("ă â iê yê uô ươ oă uâ uyê oo".split())  # need a final consonant
_FREE = frozenset("a e ê i o ô ơ u ư y oa oe uê uy".split())
_FINALS = frozenset(("", "c", "ch", "k", "m", "n", "ng", "nh", "p", "t"))
_STOPS = frozenset(("c", "ch", "k", "p", "t"))  # only sắc or nặng tone after these
_PALATAL = frozenset("a ê i y oa uê uy".split())  # may end in ch / nh
_NO_VELAR = frozenset("ê i y ơ uê uy uơ".split())  # never end in c / ng
_TONE_CARRIERS = frozenset("aeiouy") | MODIFIERS


@functools.lru_cache(maxsize=65536)
def is_vietnamese_syllable(word: str) -> bool:
    """True if ``word`` is a well-formed Vietnamese syllable (as written, with its marks).

    Syllable = optional initial consonant (from the fixed set) + vowel cluster + optional final
    (c ch m n ng nh p t, or a glide i y o u inside the cluster) + at most one tone mark, on a
    vowel. Also checked: spelling rules (k/gh/ngh before i e ê y, c/g/ng not), checked
    syllables (final c ch p t) take only sắc or nặng, and one letter case per word.
    """
    if not (word.islower() or word.isupper() or word.istitle()):
        return False
    split = _split_tone(word.lower())
    if split is None:
        return False
    letters, tone = split
    if not set(letters) <= _LETTERS:
        return False
    return any(
        letters.startswith(initial) and _rhyme_ok(initial, letters[len(initial) :], tone)
        for initial in _INITIALS
    )


def _split_tone(word: str) -> tuple[str, str] | None:
    tone, kept = "", list[str]()
    for char in unicodedata.normalize("NFD", word):
        if char in TONE_MARKS:
            if tone or not kept or kept[-1] not in _TONE_CARRIERS:
                return None
            tone = char
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _rhyme_ok(initial: str, rhyme: str, tone: str) -> bool:
    size = len(rhyme) - len(rhyme.lstrip(_VOWELS))
    cluster, final = rhyme[:size], rhyme[size:]
    if not cluster or final not in _FINALS:
        return False
    if cluster in _OPEN:
        shape_ok = final == ""
    elif cluster in _CLOSED:
        shape_ok = final != ""
    else:
        shape_ok = cluster in _FREE
    front = cluster[0] in "eêiy"
    return (
        shape_ok
        and not (final in ("ch", "nh") and cluster not in _PALATAL)
        and not (final in ("c", "ng") and cluster in _NO_VELAR)
        and not (final in _STOPS and tone not in (ACUTE, DOT))
        and not (initial in ("k", "gh", "ngh") and not front)
        and not (initial in ("c", "ng") and front)
        and not (initial == "g" and cluster[0] in "eê")
    )


@dataclass(frozen=True)
class _Score:
    valid: int  # words with non-ASCII letters that are Vietnamese syllables
    invalid: int  # words with non-ASCII letters that are not
    junk: int  # stray combining marks and symbols ordinary text does not contain
    plain: int  # ASCII words: Vietnamese written without marks, or English; neutral

    @property
    def net(self) -> int:
        return self.valid - self.invalid - self.junk

    @property
    def looks_vietnamese(self) -> bool:
        return self.valid > 0 and self.valid >= 0.6 * (self.valid + self.invalid + self.junk)

    @property
    def looks_english(self) -> bool:
        return self.invalid + self.junk <= max(2, self.plain // 10)


def _score(text: str) -> _Score:
    valid = invalid = plain = 0
    for word in _WORD.findall(text):
        if word.isascii():
            plain += 1
        elif is_vietnamese_syllable(word):
            valid += 1
        else:
            invalid += 1
    junk = sum(
        1
        for char in _NON_ASCII.findall(text)
        if not char.isalpha() and not char.isspace() and char not in _FRIENDLY
    )
    return _Score(valid, invalid, junk, plain)


# --- Legacy glyph text inside Unicode ---------------------------------------------------------

_Family = Literal["tcvn3", "vni", "utf-8"]
_LOST_U_HORN = re.compile("(?<![uưUƯ])([ơờớởỡợ])")


def fix_legacy_text(text: str, hint: str | None = None) -> tuple[str, bool]:
    """Convert TCVN3 or VNI text shown through a Windows-1252 font back to real Vietnamese.

    "QuyÕt ®Þnh" (TCVN3) and "Quyeát ñònh" (VNI) both become "Quyết định"; UTF-8 read as
    Windows-1252 ("Quyáº¿t") is undone too. ``hint`` is the font of a .docx run and decides
    when given: ".Vn…" fonts are TCVN3 (".Vn…H" ones are all capitals), "VNI-…" fonts are VNI,
    any other font is Unicode and the text is left alone. Without a hint, the lines whose
    letters a Windows-1252 font can all show are candidates: the conversion that makes them
    read most like Vietnamese (more valid syllables, fewer stray symbols than as they are) is
    applied to each line it does not make worse. Genuine Vietnamese, English and "café, naïve,
    Müller" are left alone. Returns the NFC text and whether anything was converted.
    """
    text = to_nfc(text)
    family = _font_family(hint)
    if family is None:
        return _fix_detected(text)
    if family == "unicode":
        return text, False
    fixed = _convert(text, family)
    if family == "tcvn3" and hint is not None and hint.strip().endswith("H"):
        fixed = fixed.upper()
    return fixed, fixed != text


def _font_family(hint: str | None) -> _Family | Literal["unicode"] | None:
    name = (hint or "").strip().lower()
    if not name:
        return None
    if name.startswith("vni"):
        return "vni"
    if name.startswith(".vn"):
        return "tcvn3"
    return "unicode"


def _convert(text: str, family: _Family) -> str:
    """Decode every run of Windows-1252-showable characters as ``family`` bytes."""
    decode = _GLYPH_DECODERS[family]

    def run(match: re.Match[str]) -> str:
        chunk = match.group()
        return chunk if chunk.isascii() else decode(glyph_bytes(chunk))

    return to_nfc(GLYPH_RUN.sub(run, text))


def _tcvn3_glyphs(data: bytes) -> str:
    # U+00AD (soft hyphen) is TCVN3 "ư"; copy and paste often drops it, leaving "Mêng" for
    # "Mường". Put it back where that turns a non-syllable into a syllable.
    def put_back(match: re.Match[str]) -> str:
        word = match.group()
        if is_vietnamese_syllable(word) or not _LOST_U_HORN.search(word):
            return word
        mended = _LOST_U_HORN.sub("ư\\1", word, count=1)
        mended = mended.upper() if word.isupper() else mended
        return mended if is_vietnamese_syllable(mended) else word

    return _WORD.sub(put_back, decode_tcvn3(data))


def _mojibake(data: bytes) -> str:
    """UTF-8 bytes that were read as Windows-1252: decode each word that is valid UTF-8."""
    words = []
    for word in data.split(b" "):
        try:
            words.append(word.decode("utf-8"))
        except UnicodeDecodeError:
            words.append("".join(glyph_char(b) for b in word))
    return " ".join(words)


_GLYPH_DECODERS: dict[_Family, Callable[[bytes], str]] = {
    "tcvn3": _tcvn3_glyphs,
    "vni": decode_vni,
    "utf-8": _mojibake,
}


def _candidate_line(line: str) -> bool:
    return not line.isascii() and all(
        glyph_byte(c) is not None for c in line if c.isalpha() and not c.isascii()
    )


def _fix_detected(text: str) -> tuple[str, bool]:
    lines = text.split("\n")
    chosen = [i for i, line in enumerate(lines) if _candidate_line(line)]
    if not chosen:
        return text, False
    sample: list[str] = []
    size = 0
    for i in chosen:
        if size >= _SAMPLE:
            break
        sample.append(lines[i])
        size += len(lines[i])
    before = _score("\n".join(sample)).net
    winner: _Family | None = None
    for family in _GLYPH_DECODERS:
        score = _score("\n".join(_convert(line, family) for line in sample))
        if score.looks_vietnamese and score.net > before:
            winner, before = family, score.net
    if winner is None:
        return text, False
    changed = False
    for i in chosen:
        new = _convert(lines[i], winner)
        if new != lines[i] and _score(new).net >= _score(lines[i]).net:
            lines[i], changed = new, True
    return "\n".join(lines), changed
