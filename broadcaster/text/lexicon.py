"""The pronunciation lexicon: abbreviations and written forms, and how they are spoken.

A lexicon file is UTF-8 text, one entry per line, ``written<TAB>spoken``; blank lines and lines
starting with ``#`` are ignored. The package ships ``data/lexicon.tsv`` (Party and State
abbreviations); operators add their own files per deployment and later files override earlier
ones, entry by entry.

Matching is case-sensitive, longest entry first, and only on token boundaries: an entry never
matches inside a longer word (``TW`` is left alone in ``TWO``). A boundary is the start or end
of the text or any character that is not a letter or digit. Entries chained by ``/``, ``-`` or
``&`` (``QĐ-UBND``, ``PCTT&TKCN``) are read one after the other, ``&`` as ``và``.

:class:`LexiconFiles` is the one lexicon a process reads, whatever speaks: the packaged file,
the operator's files (the ``lexicon`` setting), then the readings operators add in the web UI
(``HOME/lexicon-ui.tsv``), each later one winning, read again when one of them changes.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from broadcaster.errors import InputError

_NOT_ALNUM_BEFORE = r"(?<![^\W_])"
_NOT_ALNUM_AFTER = r"(?![^\W_])"
_JOINERS = {"/": " ", "-": " ", "&": " và "}


@dataclass(frozen=True)
class Lexicon:
    """Written forms and their spoken forms; immutable, cheap to apply many times."""

    entries: Mapping[str, str]
    _chain: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)
    _single: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        clean: dict[str, str] = {}
        for written, spoken in self.entries.items():
            key, value = _nfc(written).strip(), " ".join(_nfc(spoken).split())
            if not key or not value:
                raise ValueError(f"lexicon entry {written!r} -> {spoken!r} has an empty side")
            clean[key] = value
        object.__setattr__(self, "entries", MappingProxyType(clean))
        if clean:
            single = _alternation(clean)
            joiner = "[" + re.escape("".join(_JOINERS)) + "]"
            chain = f"{single}(?:{joiner}{single})*"
            object.__setattr__(self, "_single", re.compile(single))
            object.__setattr__(self, "_chain", re.compile(chain))

    def __hash__(self) -> int:
        return hash(frozenset(self.entries.items()))

    @classmethod
    def default(cls) -> Lexicon:
        """The lexicon shipped with the package (``broadcaster/text/data/lexicon.tsv``).

        Read and compiled once, on first use (never at import time)."""
        return _default_lexicon() if cls is Lexicon else cls(_default_lexicon().entries)

    @classmethod
    def from_file(cls, path: Path) -> Lexicon:
        """One lexicon file; raises InputError naming the file and line of a bad entry."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"lexicon {path}: the file does not exist") from None
        except UnicodeDecodeError as exc:
            raise InputError(
                f"lexicon {path}: the file is not UTF-8 text (byte {exc.start})"
            ) from None
        except OSError as exc:
            raise InputError(f"lexicon {path}: cannot read the file ({exc.strerror})") from None
        return cls(parse_lines(text.splitlines(), str(path)))

    @classmethod
    def load(cls, extra_paths: Sequence[Path] = ()) -> Lexicon:
        """The packaged lexicon, then each operator file in order; later entries win."""
        lexicon = cls.default()
        for path in extra_paths:
            lexicon = lexicon.merged(cls.from_file(path))
        return lexicon

    def merged(self, other: Lexicon) -> Lexicon:
        """A new lexicon with ``other``'s entries added; ``other`` wins on equal written forms."""
        return Lexicon({**self.entries, **other.entries})

    def apply(self, text: str) -> str:
        """Replace every entry found on token boundaries by its spoken form."""
        if self._chain is None or self._single is None:
            return text
        single = self._single

        def spoken(match: re.Match[str]) -> str:
            found = match.group(0)
            if self._ordinary_word_in_capitals(match):
                return found
            parts: list[str] = []
            end = 0
            for piece in single.finditer(found):
                if parts:
                    parts.append(_JOINERS.get(found[end : piece.start()], " "))
                parts.append(self.entries[piece.group(0)])
                end = piece.end()
            text_around = match.string
            if match.start() > 0 and text_around[match.start() - 1].isalnum():
                parts.insert(0, " ")
            if match.end() < len(text_around) and text_around[match.end()].isalnum():
                parts.append(" ")
            return "".join(parts)

        return self._chain.sub(spoken, text)


    def _ordinary_word_in_capitals(self, match: re.Match[str]) -> bool:
        """True for an entry that is also a plain Vietnamese syllable (``CA``, ``TƯ``) standing
        among capitalised words that are not entries: a heading such as ``TƯ TƯỞNG HỒ CHÍ MINH``
        or ``CA NGỢI QUÊ HƯƠNG``, where it is a word, not an abbreviation."""
        from broadcaster.text.encoding import is_vietnamese_syllable

        found = match.group(0)
        if not found.isalpha() or not is_vietnamese_syllable(found):
            return False
        before = re.search(r"(\w+)\W*$", match.string[:match.start()])
        after = re.match(r"\W*(\w+)", match.string[match.end():])
        return any(w is not None and w.group(1).isupper() and len(w.group(1)) > 1
                   and w.group(1) not in self.entries and is_vietnamese_syllable(w.group(1))
                   for w in (before, after))


class LexiconFiles:
    """The lexicon every path of a process speaks with (renders, announcements, the inbox, the
    ``normalize`` command, the web UI's preview): the packaged lexicon, then ``paths`` in order,
    then ``readings`` (the UI's file; absent until a first reading is added).

    :meth:`current` checks the files' size and modification time on each call and reads them
    again when one changed, so a reading added in the UI (by any process) is what the next
    render, in every process, speaks. An operator file that is missing or malformed raises
    :class:`~broadcaster.errors.InputError` naming it.
    """

    def __init__(self, paths: Sequence[Path] = (), readings: Path | None = None) -> None:
        self.paths = tuple(Path(p) for p in paths)
        self.readings = readings
        self._lock = threading.Lock()
        self._seen: tuple[object, ...] | None = None
        self._lexicon: Lexicon | None = None

    def _signature(self) -> tuple[object, ...]:
        marks: list[object] = []
        for path in (*self.paths, *(() if self.readings is None else (self.readings,))):
            try:
                info = os.stat(path)
            except OSError:
                marks.append(None)
            else:
                marks.append((info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(marks)

    def current(self) -> Lexicon:
        """The merged lexicon as the files are now."""
        with self._lock:
            seen = self._signature()
            if self._lexicon is None or seen != self._seen:
                lexicon = Lexicon.load(self.paths)
                if self.readings is not None and self.readings.is_file():
                    lexicon = lexicon.merged(Lexicon.from_file(self.readings))
                self._lexicon, self._seen = lexicon, seen
            return self._lexicon


def parse_lines(lines: Iterable[str], source: str) -> dict[str, str]:
    """Entries from the lines of a lexicon file; ``source`` names the file in error messages."""
    entries: dict[str, str] = {}
    for number, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n").lstrip("\ufeff")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip() or not fields[1].strip():
            raise InputError(
                f"lexicon {source} line {number}: expected 'ABBREVIATION<TAB>reading', got {line!r}"
            )
        entries[_nfc(fields[0]).strip()] = " ".join(_nfc(fields[1]).split())
    return entries


@lru_cache(maxsize=1)
def _default_lexicon() -> Lexicon:
    resource = resources.files("broadcaster.text").joinpath("data", "lexicon.tsv")
    lines = resource.read_text(encoding="utf-8").splitlines()
    return Lexicon(parse_lines(lines, "broadcaster/text/data/lexicon.tsv"))


def _alternation(entries: Mapping[str, str]) -> str:
    """One regex alternative per entry, longest first, with boundaries where the entry has
    a letter or digit at its edge (an entry ending in ``.`` needs no boundary after it)."""
    alternatives = []
    for key in sorted(entries, key=lambda k: (-len(k), k)):
        before = _NOT_ALNUM_BEFORE if key[0].isalnum() else ""
        after = _NOT_ALNUM_AFTER if key[-1].isalnum() else ""
        alternatives.append(before + re.escape(key) + after)
    return "(?:" + "|".join(alternatives) + ")"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
