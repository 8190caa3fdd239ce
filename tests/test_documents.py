"""Documents in: formats, front matter, revisions, and every refusal leaving nothing stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from sqlalchemy import func, select

from broadcaster.app import App
from broadcaster.db import Document, DocumentRevision, transaction
from broadcaster.documents import add_document, get_document, read_document
from broadcaster.errors import InputError, NotFound
from tests.text.legacy import encode_legacy

BODY = "Ủy ban nhân dân tỉnh triển khai Nghị quyết số 57-NQ/TW.\n\nĐến năm 2030, kinh tế số đạt 30% GRDP."
MD = f"""---
title: Tóm tắt Nghị quyết 57
number: 57-NQ/TW
issuer: Bộ Chính trị
date: 2024-12-22
tags: [khoa học, chuyển đổi số]
voice: south
rate: 0.9
---
# Tóm tắt

{BODY}
"""


def add(app: App, path: Path, key: str | None = None):  # type: ignore[no-untyped-def]
    parsed = read_document(path, app.config.max_document_bytes, key)
    with transaction(app.sessions) as session:
        return add_document(session, parsed)


def counts(app: App) -> tuple[int, int]:
    with app.sessions() as s:
        return (s.scalar(select(func.count()).select_from(Document)) or 0,
                s.scalar(select(func.count()).select_from(DocumentRevision)) or 0)


def test_markdown_front_matter(app: App, tmp_path: Path) -> None:
    path = tmp_path / "nq57.md"
    path.write_text(MD, encoding="utf-8")
    result = add(app, path)
    assert result.status == "new" and result.revision == 1 and result.key == "nq57"
    with app.sessions() as s:
        doc = get_document(s, result.document_id)
        assert doc.title == "Tóm tắt Nghị quyết 57"
        assert doc.number == "57-NQ/TW" and doc.issuer == "Bộ Chính trị"
        assert doc.issued_on == dt.date(2024, 12, 22)
        assert doc.tags == ["khoa học", "chuyển đổi số"]
        assert doc.speech == {"voice": "south", "rate": 0.9}
        assert doc.current.text.startswith("# Tóm tắt\n\nỦy ban")
        assert "---" not in doc.current.text
        assert get_document(s, "nq57").id == doc.id


def test_same_file_is_noop_and_changed_file_is_new_revision(app: App, tmp_path: Path) -> None:
    path = tmp_path / "tin.txt"
    path.write_text(BODY, encoding="utf-8")
    first = add(app, path)
    again = add(app, path)
    assert (first.status, again.status) == ("new", "unchanged")
    assert again.revision == 1 and counts(app) == (1, 1)
    path.write_text(BODY + "\n\nThêm một đoạn.", encoding="utf-8")
    third = add(app, path)
    assert third.status == "revised" and third.revision == 2
    assert third.document_id == first.document_id
    assert counts(app) == (1, 2)
    with app.sessions() as s:
        doc = get_document(s, first.document_id)
        assert [r.number for r in doc.revisions] == [1, 2]
        assert doc.current.text.endswith("Thêm một đoạn.")


def test_docx(app: App, tmp_path: Path) -> None:
    d = docx.Document()
    d.core_properties.title = "Thông báo lịch tiêm chủng"
    d.add_heading("Thông báo", level=1)
    d.add_paragraph("Trạm y tế xã tổ chức tiêm chủng vào 7h30 ngày 12/6/2024.")
    d.add_paragraph("")
    d.add_paragraph("Đề nghị các hộ gia đình đưa trẻ đến đúng giờ.")
    path = tmp_path / "tiem-chung.docx"
    d.save(str(path))
    result = add(app, path)
    with app.sessions() as s:
        doc = get_document(s, result.document_id)
        assert doc.title == "Thông báo lịch tiêm chủng"
        assert doc.current.source_format == "docx"
        assert doc.current.text == ("Thông báo\n\nTrạm y tế xã tổ chức tiêm chủng vào 7h30 ngày "
                                    "12/6/2024.\n\nĐề nghị các hộ gia đình đưa trẻ đến đúng giờ.")


def test_docx_in_tcvn3_font_is_converted(tmp_path: Path) -> None:
    d = docx.Document()
    glyphs = encode_legacy("Quyết định của ủy ban nhân dân tỉnh", "tcvn3").decode("cp1252")
    run = d.add_paragraph().add_run(glyphs)
    run.font.name = ".VnTime"
    path = tmp_path / "cu.docx"
    d.save(str(path))
    parsed = read_document(path, 100_000)
    assert parsed.text == "Quyết định của ủy ban nhân dân tỉnh"
    assert parsed.encoding == "docx-legacy"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni"])
def test_legacy_text_files_are_converted(tmp_path: Path, encoding: str) -> None:
    text = "Nghị quyết về phát triển khoa học, công nghệ và đổi mới sáng tạo của tỉnh."
    path = tmp_path / f"{encoding}.txt"
    path.write_bytes(encode_legacy(text, encoding))  # type: ignore[arg-type]
    parsed = read_document(path, 10_000)
    assert parsed.encoding == encoding
    assert parsed.text.lower() == text.lower()


def test_nfd_is_normalised(tmp_path: Path) -> None:
    import unicodedata

    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", BODY), encoding="utf-8")
    assert read_document(path, 10_000).text == BODY


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.txt", b"", "the file is empty"),
    ("blank.txt", b"  \n\n \t\n", "no text to speak"),
    ("only-front.md", b"---\ntitle: x\n---\n\n", "no text to speak"),
    ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ("big.txt", b"a" * 5000, "over the limit of 4,000 bytes"),
    ("x.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ("bad.docx", b"PK\x03\x04 not really a zip", "not a valid .docx"),
    ("bad-yaml.md", b"---\ntitle: [unclosed\n---\nBody", "bad-yaml.md line 2: front matter is not valid YAML"),
    ("unknown.md", b"---\ntitle: a\nauthor: b\n---\nBody", "line 3: unknown front matter field 'author'"),
    ("bad-date.md", b"---\ndate: 22/12/2024\n---\nBody", "line 2: field 'date' must be a date"),
    ("bad-rate.md", b"---\nrate: fast\n---\nBody", "line 2: field 'rate' must be float"),
    ("unclosed.md", b"---\ntitle: a\nBody", "line 1: front matter starts"),
    ("junk.txt", bytes(range(0xA0, 0x100)) * 8, "cannot tell the text encoding"),
])
def test_refusals_name_the_file_and_store_nothing(app: App, tmp_path: Path, name: str,
                                                  content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        parsed = read_document(path, 4000)
        with transaction(app.sessions) as session:
            add_document(session, parsed)
    assert name in str(info.value)
    assert counts(app) == (0, 0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_document(tmp_path / "nope.txt", 100)


def test_unknown_document(app: App) -> None:
    with app.sessions() as s, pytest.raises(NotFound, match="'42'"):
        get_document(s, "42")
