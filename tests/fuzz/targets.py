"""What the fuzzer feeds, and what it counts as a crash: anything but an InputError.

Each target takes the fuzzer's bytes as a user would hand them to broadcaster: a schedule file
(``schedule validate``), a text or Markdown document (``docs add``; the first byte picks the
file's suffix), a .docx document's bytes. A target returns when the input was read or refused
with an :class:`~broadcaster.errors.InputError`; any other exception is a crash. Plain
functions, so that pytest replays the seeds and the recorded crashes without atheris.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from broadcaster.errors import InputError

MAX_DOCUMENT_BYTES = 2_000_000     # the setting's default
SUFFIXES = (".txt", ".md", ".markdown", ".text")
_SCRATCH = Path(tempfile.mkdtemp(prefix="broadcaster-fuzz-"))


def _scratch(suffix: str, data: bytes) -> Path:
    path = _SCRATCH / f"input{suffix}"
    path.write_bytes(data)
    return path


def schedule_yaml(data: bytes) -> None:
    """A schedule file: read and checked, or refused with every problem (a ScheduleError)."""
    from broadcaster.schedule.yamlfile import load_schedule

    try:
        load_schedule([_scratch(".yaml", data)])
    except InputError:
        pass


def document_text(data: bytes) -> None:
    """A .txt/.md document: decoded, front matter read, metadata checked, or refused."""
    from broadcaster.documents import read_document

    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]
    try:
        read_document(_scratch(suffix, data[1:]), MAX_DOCUMENT_BYTES)
    except InputError:
        pass


def docx(data: bytes) -> None:
    """A .docx document's bytes through the decoder, or refused."""
    from broadcaster.documents import _read_docx

    try:
        _read_docx(data, "fuzz.docx", 2_000_000)   # the default max_document_bytes
    except InputError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "schedule_yaml": schedule_yaml, "document_text": document_text, "docx": docx}
# What atheris instruments for coverage (module name prefixes), per target.
INSTRUMENT = {"schedule_yaml": ("broadcaster", "yaml", "dateutil"),
              "document_text": ("broadcaster", "yaml"),
              "docx": ("broadcaster", "docx")}
