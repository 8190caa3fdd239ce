"""Documents in: read .txt, .md (YAML front matter) and .docx summaries, store them with history.

Reading is pure (file -> :class:`ParsedDocument`) and refuses bad input with an
:class:`InputError` naming the file (and line, for front matter). Storing is one transaction per
file: a document and its new revision appear together or not at all. The same file added again
unchanged is a no-op; changed, it becomes the next revision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from broadcaster import yamlbounds
from broadcaster.codes import check_code
from broadcaster.db import Document, DocumentRevision, utcnow
from broadcaster.errors import InputError, NotFound
from broadcaster.inputfiles import read_regular, unzip_checked
from broadcaster.text import decode_bytes, fix_legacy_text, to_nfc

FORMATS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".docx": "docx"}
SPEECH_FIELDS = {"voice": str, "rate": float, "sentence_pause_ms": int, "paragraph_pause_ms": int}
META_FIELDS = {"title", "number", "issuer", "date", "tags", "key", *SPEECH_FIELDS}
# A .docx may unpack to at most this many times max_document_bytes (text compresses about
# 5-15 times; a zip bomb a thousand times).
DOCX_UNPACKED_TIMES = 16
# Front matter holds a few short fields: read within these bounds (see broadcaster.yamlbounds).
MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_FRONT_MATTER_NODES = 10_000

Status = Literal["new", "revised", "unchanged"]


@dataclass(frozen=True)
class ParsedDocument:
    """What a file says: its text (Unicode NFC) and metadata."""

    text: str
    source_name: str
    source_format: str
    encoding: str
    size_bytes: int
    key: str
    title: str = ""
    number: str = ""
    issuer: str = ""
    issued_on: dt.date | None = None
    tags: tuple[str, ...] = ()
    speech: dict[str, Any] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        """Digest of the text and metadata: equal digests mean an unchanged document."""
        meta = {"title": self.title, "number": self.number, "issuer": self.issuer,
                "issued_on": self.issued_on.isoformat() if self.issued_on else None,
                "tags": list(self.tags), "speech": self.speech}
        blob = self.text + "\0" + json.dumps(meta, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True)
class AddResult:
    """The outcome of adding one file."""

    document_id: int
    key: str
    revision: int
    status: Status


def read_document(path: Path, max_bytes: int, key: str | None = None) -> ParsedDocument:
    """Read and validate one document file."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                         f"use .txt, .md or .docx")
    data = read_regular(path, max_bytes, "max_document_bytes")
    size = len(data)
    if size == 0:
        raise InputError(f"{path}: the file is empty")
    if fmt == "docx":
        text, meta, encoding = _read_docx(data, str(path), max_bytes)
    else:
        decoded = decode_bytes(data, str(path))
        encoding = decoded.encoding
        text, meta = _split_front_matter(decoded.text, str(path)) if fmt == "md" \
            else (decoded.text, {})
    text = _tidy(text)
    if not text:
        raise InputError(f"{path}: the document has no text to speak")
    return _build(text, meta, path, fmt, encoding, size, key)


def _tidy(text: str) -> str:
    text = to_nfc(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    lines = [ln.rstrip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _split_front_matter(text: str, source: str) -> tuple[str, dict[str, Any]]:
    if not text.startswith("---\n"):
        return text, {}
    end = text.find("\n---", 4)
    if end < 0:
        raise InputError(f"{source} line 1: front matter starts with '---' but never ends")
    block = text[4:end]
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise InputError(f"{source} line 2: front matter is longer than "
                         f"{MAX_FRONT_MATTER_CHARS:,} characters; it holds a few short fields")
    try:
        meta = yamlbounds.load(block, source, max_nodes=MAX_FRONT_MATTER_NODES) or {}
    except yamlbounds.YamlRefused as exc:
        raise InputError(f"{source} line {exc.line + 1}: front matter is refused: "
                         f"{exc.problem}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{source} line {line}: front matter is not valid YAML: {problem}") \
            from None
    if not isinstance(meta, dict):
        raise InputError(f"{source} line 2: front matter must be a mapping of fields")
    lines = {m.group(1): i + 2 for i, ln in enumerate(block.split("\n"))
             if (m := re.match(r"^([\w-]+)\s*:", ln))}
    for name in meta:
        if name not in META_FIELDS:
            valid = ", ".join(sorted(META_FIELDS))
            raise InputError(f"{source} line {lines.get(str(name), 2)}: unknown front matter "
                             f"field {name!r}; valid fields: {valid}")
    meta["_lines"] = lines
    rest = text[end + 4:]
    return rest.split("\n", 1)[1] if "\n" in rest else "", meta


def _read_docx(data: bytes, source: str, max_bytes: int) -> tuple[str, dict[str, Any], str]:
    """Text and title of a .docx. The archive is checked and unpacked within bounds first
    (:func:`unzip_checked`: at most ``DOCX_UNPACKED_TIMES`` times ``max_bytes``); whatever
    python-docx or lxml then find wrong is an :class:`InputError` naming the file."""
    import docx
    from docx.exceptions import PythonDocxError
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError

    limit = DOCX_UNPACKED_TIMES * max_bytes
    package = unzip_checked(data, source, limit, f"{DOCX_UNPACKED_TIMES} times the setting "
                            "'max_document_bytes'")
    try:
        return _docx_text(docx.Document(io.BytesIO(package)))
    except (LxmlError, PythonDocxError, OpcError, zipfile.BadZipFile, KeyError, ValueError,
            TypeError, AttributeError, IndexError) as exc:
        # python-docx takes a part it cannot find or parse to mean a broken document: a
        # missing part (KeyError), bad XML or entity expansion refused by libxml2 (LxmlError),
        # a value of the wrong form (ValueError and its kin).
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise InputError(f"{source}: not a valid .docx file (a Word 2007+ document): "
                         f"{reason}") from None


def _docx_text(document: Any) -> tuple[str, dict[str, Any], str]:
    paragraphs: list[str] = []
    repaired = False
    title = document.core_properties.title or ""
    for para in document.paragraphs:
        parts = []
        for run in para.runs:
            hint = run.font.name or (para.style.font.name if para.style is not None else None)
            text, changed = fix_legacy_text(run.text, hint=hint)
            repaired |= changed
            parts.append(text)
        line = "".join(parts).strip()
        if not line:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        if not title and (style.startswith("Title") or style.startswith("Heading")):
            title = line
        paragraphs.append(line)
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                paragraphs.append(", ".join(cells) + ".")
    return "\n\n".join(paragraphs), {"title": title}, "docx-legacy" if repaired else "docx"


def _build(text: str, meta: dict[str, Any], path: Path, fmt: str, encoding: str, size: int,
           key: str | None) -> ParsedDocument:
    lines: dict[str, int] = meta.pop("_lines", {})

    def where(name: str) -> str:
        return f"{path} line {lines[name]}" if name in lines else str(path)

    def text_field(name: str, limit: int) -> str:
        value = meta.get(name)
        if value is None:
            return ""
        if not isinstance(value, str | int | float):
            raise InputError(f"{where(name)}: field {name!r} must be text")
        value = to_nfc(str(value)).strip()
        if len(value) > limit:
            raise InputError(f"{where(name)}: field {name!r} is longer than {limit} characters")
        return value

    issued = meta.get("date")
    if isinstance(issued, str):
        try:
            issued = dt.date.fromisoformat(issued)
        except ValueError:
            raise InputError(f"{where('date')}: field 'date' must be a date like 2024-12-22, "
                             f"got {issued!r}") from None
    elif issued is not None and not isinstance(issued, dt.date):
        raise InputError(f"{where('date')}: field 'date' must be a date like 2024-12-22")
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list) or not all(isinstance(t, str | int) for t in tags):
        raise InputError(f"{where('tags')}: field 'tags' must be a list of words")
    speech: dict[str, Any] = {}
    for name, kind in SPEECH_FIELDS.items():
        if meta.get(name) is not None:
            try:
                speech[name] = kind(meta[name])
            except (TypeError, ValueError):
                raise InputError(f"{where(name)}: field {name!r} must be {kind.__name__}, "
                                 f"got {meta[name]!r}") from None
    doc_key = key or text_field("key", 200) or path.stem
    check_code(doc_key, "document", where("key") if not key and "key" in meta else str(path))
    title = text_field("title", 500) or _first_line_title(text)
    return ParsedDocument(
        text=text, source_name=path.name, source_format=fmt, encoding=encoding, size_bytes=size,
        key=doc_key, title=title, number=text_field("number", 100),
        issuer=text_field("issuer", 200), issued_on=issued,
        tags=tuple(to_nfc(str(t)) for t in tags), speech=speech)


def _first_line_title(text: str) -> str:
    first = text.split("\n", 1)[0].lstrip("#").strip()
    return first if len(first) <= 200 else first[:197] + "..."


def add_document(session: Session, parsed: ParsedDocument, *,
                 owner_group: str | None = None) -> AddResult:
    """Store ``parsed`` as a new document or a new revision of the one with its key.

    ``owner_group`` is the group whose editors may change a new document in the web UI (None:
    admins only); an existing document keeps its owner."""
    doc = session.scalar(select(Document).where(Document.key == parsed.key)
                         .options(selectinload(Document.revisions)))
    status: Status = "revised"
    if doc is None:
        doc = Document(key=parsed.key, owner_group=owner_group)
        session.add(doc)
        status = "new"
    elif doc.revisions and doc.current.sha256 == parsed.sha256:
        return AddResult(doc.id, doc.key, doc.current.number, "unchanged")
    doc.title, doc.number, doc.issuer = parsed.title, parsed.number, parsed.issuer
    doc.issued_on, doc.tags, doc.speech = parsed.issued_on, list(parsed.tags), parsed.speech
    doc.updated_at = utcnow()
    number = doc.revisions[-1].number + 1 if doc.revisions else 1
    doc.revisions.append(DocumentRevision(
        number=number, sha256=parsed.sha256, text=parsed.text, source_name=parsed.source_name,
        source_format=parsed.source_format, encoding=parsed.encoding,
        size_bytes=parsed.size_bytes))
    session.flush()
    return AddResult(doc.id, doc.key, number, status)


def get_document(session: Session, ref: str | int) -> Document:
    """A document by id or key, with its revisions loaded."""
    query = select(Document).options(selectinload(Document.revisions))
    if isinstance(ref, int) or str(ref).isdigit():
        doc = session.scalar(query.where(Document.id == int(ref)))
    else:
        doc = session.scalar(query.where(Document.key == ref))
    if doc is None:
        raise NotFound(f"no document with id or key {ref!r}")
    return doc


def list_documents(session: Session) -> list[Document]:
    """Every document, newest first, with revisions loaded."""
    query = select(Document).options(selectinload(Document.revisions))
    return list(session.scalars(query.order_by(Document.updated_at.desc(), Document.id.desc())))


def document_summary(doc: Document) -> dict[str, Any]:
    """A JSON-ready description of a document and its current revision."""
    rev = doc.current
    return {
        "id": doc.id, "key": doc.key, "title": doc.title, "number": doc.number,
        "issuer": doc.issuer, "date": doc.issued_on.isoformat() if doc.issued_on else None,
        "tags": doc.tags, "speech": doc.speech, "revision": rev.number,
        "revisions": len(doc.revisions), "sha256": rev.sha256, "source": rev.source_name,
        "format": rev.source_format, "encoding": rev.encoding, "characters": len(rev.text),
        "updated_at": doc.updated_at.isoformat(),
    }


__all__ = [
    "AddResult",
    "ParsedDocument",
    "add_document",
    "document_summary",
    "get_document",
    "list_documents",
    "read_document",
]
