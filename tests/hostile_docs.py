"""Hostile Word documents made by hand: zip bombs with true or lying sizes, entity expansion
("billion laughs"), truncated files; shared by the document and inbox tests."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import docx


def blank_docx() -> dict[str, bytes]:
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
    parts = blank_docx()
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
    for name, body in {**blank_docx(), "word/document.xml": LAUGHS}.items():
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
