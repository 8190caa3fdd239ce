"""Cutting spoken text into paragraphs, sentences and chunks a speech engine accepts.

Engines have a size limit per request (gTTS 100 characters, Piper and espeak a few hundred).
A chunk is cut where a reader would breathe: at the end of a sentence, else at the last
``,`` ``;`` or ``:`` that fits, else at the last space that fits. A word is never cut; a word
longer than the limit is a chunk of its own. Each chunk records the pause that follows it, so the
renderer can put the right silence between the pieces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Pause = Literal["none", "phrase", "sentence", "paragraph"]

# A sentence ends at a run of . ! ? … (so "..." counts once), plus any closing quotes or
# brackets, followed by whitespace or the end of the text.
_SENTENCE_END = re.compile(r"[.!?…]+[\"”’»)\]]*(?=\s|$)")
_PHRASE_MARKS = ",;:"


@dataclass(frozen=True)
class Chunk:
    """A piece of text for one engine request and the pause that follows it."""

    text: str
    pause: Pause


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of ``text``, split at blank lines, stripped, empty ones dropped."""
    return [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of ``paragraph``: each ends at ``.`` ``!`` ``?`` ``…`` (or a run of them)
    followed by a space or the end. Whitespace inside a sentence collapses to one space."""
    sentences: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(paragraph):
        sentences.append(paragraph[start : end.end()])
        start = end.end()
    sentences.append(paragraph[start:])
    return [" ".join(s.split()) for s in sentences if s.strip()]


def chunk_text(text: str, max_chars: int) -> list[Chunk]:
    """Cut ``text`` into chunks of at most ``max_chars`` characters (see the module docstring).

    The pause after a chunk is ``paragraph`` at the end of a paragraph (and after the last
    chunk), ``sentence`` at the end of a sentence, ``phrase`` after a cut at ``, ; :`` and
    ``none`` after a cut at a plain space.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    text = unicodedata.normalize("NFC", text)
    chunks: list[Chunk] = []
    for paragraph in split_paragraphs(text):
        for sentence in split_sentences(paragraph):
            chunks += _cut_sentence(sentence, max_chars)
        if chunks:
            chunks[-1] = Chunk(chunks[-1].text, "paragraph")
    return chunks


def _cut_sentence(sentence: str, max_chars: int) -> list[Chunk]:
    """Chunks of one sentence; the last one has the ``sentence`` pause."""
    chunks: list[Chunk] = []
    rest = sentence.strip()
    while len(rest) > max_chars:
        cut, pause = _cut_point(rest, max_chars)
        chunks.append(Chunk(rest[:cut].strip(), pause))
        rest = rest[cut:].strip()
    if rest:
        chunks.append(Chunk(rest, "sentence"))
    elif chunks:
        chunks[-1] = Chunk(chunks[-1].text, "sentence")
    return chunks


def _cut_point(text: str, max_chars: int) -> tuple[int, Pause]:
    """Where to cut ``text`` (longer than ``max_chars``): an index just after the piece to keep.

    Prefer the last phrase mark that fits and is followed by a space, then the last space that
    fits; with no space in reach the first word is too long and is kept whole.
    """
    window = text[: max_chars + 1]
    for i in range(min(max_chars, len(text)) - 1, 0, -1):
        if text[i] in _PHRASE_MARKS and window[i + 1 : i + 2].isspace():
            return i + 1, "phrase"
    space = window.rfind(" ")
    if space > 0:
        return space, "none"
    following = text.find(" ")
    return (following if following > 0 else len(text)), "none"
