"""Hostile documents: zip bombs, entity expansion, truncated files, symlinks and FIFOs are
refused through the real ``broadcaster docs add`` with one line naming the file, no traceback
and bounded memory."""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import docx
import pytest

from broadcaster.documents import read_document
from broadcaster.errors import InputError
from tests.helpers import run_measured

GIB = 1 << 30
RSS_LIMIT_MB = 300


def _blank_docx() -> dict[str, bytes]:
    """The parts of an empty Word document, as python-docx writes it."""
    import zipfile

    out = io.BytesIO()
    docx.Document().save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _deflate_repeated(head: bytes, chunk: bytes, times: int, tail: bytes) -> tuple[bytes, int,
                                                                                     int]:
    """Raw deflate of ``head + chunk * times + tail`` without compressing ``chunk`` more than
    once: after a full flush the compressor forgets its history, so every copy of ``chunk``
    compresses to the same bytes. Returns the data, its CRC-32 and its uncompressed size."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    last = comp.compress(tail) + comp.flush()
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return first + block * times + last, crc, len(head) + len(chunk) * times + len(tail)


def write_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> None:
    """A zip file from (name, raw deflate data, crc, declared size, real size) by hand, so a
    test can declare sizes that are not the truth."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, declared, _real in members:
        raw = name.encode()
        offset = len(out)
        fields = (20, 0, 8, 0, 0x21, crc, len(data), declared, len(raw))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields, 0) + raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, *fields, 0, 0, 0, 0, 0,
                               offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central),
                      len(out), 0)
    path.write_bytes(bytes(out + central + end))


def bomb_docx(path: Path, spaces: int, declared: int | None = None) -> None:
    """A valid .docx whose document.xml holds one run of ``spaces`` spaces (1 GiB in a file
    of about 1 MB), optionally with a lying declared size."""
    parts = _blank_docx()
    head, tail = parts["word/document.xml"].split(b"<w:body>")
    chunk = b" " * (16 << 20)
    members = []
    for name, body in parts.items():
        if name == "word/document.xml":
            data, crc, size = _deflate_repeated(head + b"<w:body><w:p><w:r><w:t>", chunk,
                                                spaces // len(chunk),
                                                b"x</w:t></w:r></w:p>" + tail)
        else:
            comp = zlib.compressobj(9, zlib.DEFLATED, -15)
            data, crc, size = comp.compress(body) + comp.flush(), zlib.crc32(body), len(body)
        members.append((name, data, crc, size if declared is None or name != "word/document.xml"
                        else declared, size))
    write_zip(path, members)


LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE w:document [
 <!ENTITY a "hahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahahaha">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:body><w:p><w:r><w:t>&g;</w:t></w:r></w:p></w:body></w:document>"""


def laughs_docx(path: Path) -> None:
    """A .docx whose document.xml expands entities a billion times."""
    members = []
    for name, body in {**_blank_docx(), "word/document.xml": LAUGHS}.items():
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        members.append((name, comp.compress(body) + comp.flush(), zlib.crc32(body), len(body),
                        len(body)))
    write_zip(path, members)


def good_docx(path: Path, text: str = "Nghị quyết về phát triển nông nghiệp.") -> None:
    document = docx.Document()
    document.add_paragraph(text)
    document.save(str(path))


def truncated_docx(path: Path) -> None:
    good_docx(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def docs_add(tmp_path: Path, *files: Path, timeout: float = 60) -> tuple[
        subprocess.CompletedProcess[str], float]:
    """``broadcaster docs add FILES`` in a process of its own; its result and its peak RSS in
    MB (that process's own: see tests.helpers.run_measured)."""
    env = {**os.environ, "BROADCASTER_HOME": str(tmp_path / "var"),
           "BROADCASTER_DATABASE_URL": f"sqlite:///{tmp_path / 'docs.db'}",
           "BROADCASTER_CONFIG": "", "BROADCASTER_ENGINES": "espeak"}
    return run_measured([sys.executable, "-m", "broadcaster", "docs", "add", *map(str, files)],
                        env, timeout)


def refused(done: subprocess.CompletedProcess[str], path: Path, why: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"broadcaster: error: {path}: "), lines
    assert why in lines[0], lines[0]


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bom.docx"
    bomb_docx(path, GIB)
    return path


def test_a_docx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path, bomb: Path) -> None:
    assert bomb.stat().st_size < 2_000_000  # under max_document_bytes: the size check passes
    done, peak = docs_add(tmp_path, bomb)
    refused(done, bomb, "expands to 1,074,")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_a_docx_lying_about_its_sizes_is_read_no_further_than_it_says(tmp_path: Path) -> None:
    path = tmp_path / "liar.docx"
    bomb_docx(path, GIB, declared=20_000)
    done, peak = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_entity_expansion_in_a_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.docx"
    laughs_docx(path)
    done, peak = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")
    assert peak < RSS_LIMIT_MB, f"peak RSS {peak:.0f} MB"


def test_a_truncated_docx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.docx"
    truncated_docx(path)
    done, _ = docs_add(tmp_path, path)
    refused(done, path, "not a valid .docx")


def test_the_limits_leave_an_ordinary_docx_alone(tmp_path: Path) -> None:
    path = tmp_path / "ok.docx"
    good_docx(path, "Nghị quyết số 57. " * 2000)
    parsed = read_document(path, 2_000_000)
    assert parsed.text.startswith("Nghị quyết số 57.")


@pytest.mark.parametrize("members", [5000])
def test_a_docx_of_too_many_parts_is_refused(tmp_path: Path, members: int) -> None:
    path = tmp_path / "many.docx"
    parts = list(_blank_docx().items()) + [(f"word/media/x{i}.xml", b"<x/>")
                                           for i in range(members)]
    write_zip(path, [(name, zlib.compress(body)[2:-4], zlib.crc32(body), len(body), len(body))
                     for name, body in parts])
    with pytest.raises(InputError, match="many.docx: .* parts"):
        read_document(path, 2_000_000)


def test_docs_add_refuses_a_symlink_and_stores_nothing_of_its_target(tmp_path: Path) -> None:
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n", encoding="utf-8")
    link = tmp_path / "tin-bai.txt"
    link.symlink_to(secret)
    done, _ = docs_add(tmp_path, link)
    refused(done, link, "a symbolic link; only regular files are read")
    db = (tmp_path / "docs.db").read_bytes() if (tmp_path / "docs.db").exists() else b""
    assert b"secret-hash" not in db


@pytest.mark.parametrize(("make", "kind"), [(os.mkfifo, "a FIFO"), (os.mkdir, "a folder")])
def test_docs_add_refuses_what_is_not_a_regular_file_without_waiting(
        tmp_path: Path, make, kind: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "tin-bai.txt"
    make(path)
    done, _ = docs_add(tmp_path, path, timeout=30)  # a FIFO opened for reading would wait
    refused(done, path, f"{kind}; only regular files are read")

