"""Text: decode documents, normalise Vietnamese into exactly what is spoken, cut it into chunks."""

from broadcaster.text.chunk import Chunk, chunk_text, split_paragraphs, split_sentences
from broadcaster.text.encoding import Decoded, decode_bytes, fix_legacy_text, to_nfc
from broadcaster.text.lexicon import Lexicon, LexiconFiles
from broadcaster.text.normalize import NORMALIZER_VERSION, normalize
from broadcaster.text.numbers import Dialect, read_number

__all__ = [
    "NORMALIZER_VERSION",
    "Chunk",
    "Decoded",
    "Dialect",
    "Lexicon",
    "LexiconFiles",
    "chunk_text",
    "decode_bytes",
    "fix_legacy_text",
    "normalize",
    "read_number",
    "split_paragraphs",
    "split_sentences",
    "to_nfc",
]
