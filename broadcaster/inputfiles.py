"""Reading files someone else made: regular files only, never more bytes than allowed.

:func:`read_regular` opens a path without following a symbolic link at its end (a link in the
inbox to /etc/shadow is refused, not read), refuses anything but a regular file on the opened
descriptor (a FIFO or a device: opening does not wait for a writer) and reads at most the
limit, even from a file that grows meanwhile.

:func:`unzip_checked` unpacks a zip package (a .docx) within limits decided before anything is
inflated: at most :data:`MAX_PARTS` members, and their sizes as the archive declares them at
most ``max_unpacked`` bytes together. Each member is then read in small pieces and no further
than its declared size, so an archive lying about its sizes costs no more memory than an honest
one (``ZipFile.read`` would inflate a whole member at once: 2 GB for a lying 1 GB member); the
CRC check then refuses it. A limit on the compression ratio is not needed: the total bounds the
memory whatever the ratio, and a ratio limit would refuse honest, repetitive documents.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zipfile
import zlib
from collections import Counter
from pathlib import Path

from broadcaster.errors import InputError

MAX_PARTS = 1000
PIECE = 1 << 16

_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def read_regular(path: Path, max_bytes: int, setting: str) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them (the value of
    ``setting``, named in the refusal); a symbolic link, a FIFO, a device or a folder is
    refused with an :class:`InputError` naming the path."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path}: a symbolic link; only regular files are read, give the "
                             "file itself") from None
        raise InputError(f"{path}: cannot read the file: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise InputError(f"{path}: {kind}; only regular files are read")
        if info.st_size > max_bytes:
            raise InputError(f"{path}: the file is {info.st_size:,} bytes, over the limit of "
                             f"{max_bytes:,} bytes (setting {setting!r})")
        data = _read_at_most(fd, max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputError(f"{path}: the file grew past the limit of {max_bytes:,} bytes "
                         f"(setting {setting!r}) while it was read")
    return data


def _read_at_most(fd: int, limit: int) -> bytes:
    pieces = []
    while limit > 0 and (piece := os.read(fd, min(limit, 1 << 20))):
        pieces.append(piece)
        limit -= len(piece)
    return b"".join(pieces)


def unzip_checked(data: bytes, source: str, max_unpacked: int, limit_note: str) -> bytes:
    """A copy of the zip archive ``data`` with its members stored uncompressed, made only if
    the archive keeps within the limits (``limit_note`` says where ``max_unpacked`` comes
    from). Anything else is an :class:`InputError` naming ``source``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if len(members) > MAX_PARTS:
                raise InputError(f"{source}: the archive holds {len(members):,} parts, more "
                                 f"than the {MAX_PARTS:,} a document may have")
            twice = sorted(name for name, n in Counter(i.filename for i in members).items()
                           if n > 1)
            if twice:
                raise zipfile.BadZipFile(f"part {twice[0]!r} appears twice")
            total = sum(info.file_size for info in members)
            if total > max_unpacked:
                raise InputError(f"{source}: the file expands to {total:,} bytes when "
                                 f"unpacked, over the limit of {max_unpacked:,} bytes "
                                 f"({limit_note}); it may be a zip bomb")
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
                for info in members:
                    copy.writestr(info.filename, _read_member(archive, info))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
            NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        # BadZipFile: damaged or truncated, or a CRC that fails; NotImplementedError: an
        # unknown compression method; RuntimeError: encrypted; ValueError/OSError: headers
        # pointing outside the file.
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"{source}: not a valid .docx file (a Word 2007+ document): the zip "
                         f"archive is damaged ({reason})") from None
    return out.getvalue()


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The bytes of one member, inflated a piece at a time, never past its declared size."""
    pieces = []
    left = info.file_size
    with archive.open(info) as fh:
        while left > 0 and (piece := fh.read(min(PIECE, left))):  # the CRC is checked
            pieces.append(piece)                                   # at the declared end
            left -= len(piece)
    if left:
        raise zipfile.BadZipFile(f"part {info.filename!r} ends {left:,} bytes early")
    return b"".join(pieces)
