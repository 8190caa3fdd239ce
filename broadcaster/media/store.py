"""The content-addressed media store: every file is named by the sha256 of its bytes.

Layout: ``ROOT/ab/abcdef....ext``. Files arrive through :meth:`MediaStore.add_file`, which hashes
while copying into a temporary file in the store, fsyncs it and renames it into place, so a file
under its final name is always complete and verified.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from broadcaster.fsutil import fsync_dir, public_mode

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(CHUNK):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class StoredFile:
    """A file in the store."""

    sha256: str
    ext: str
    size_bytes: int
    path: Path


@dataclass(frozen=True)
class MediaStore:
    """A folder of immutable, content-addressed media files."""

    root: Path

    def path_for(self, sha256: str, ext: str) -> Path:
        """Where the file with this digest and extension lives (whether or not it exists)."""
        return self.root / sha256[:2] / f"{sha256}.{ext}"

    def temp_path(self, suffix: str) -> Path:
        """A fresh temporary file inside the store (same filesystem, so renames are atomic)."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        # The pid in the name lets a later start tell a dead writer's leftovers from live work.
        fd, name = tempfile.mkstemp(suffix=suffix, prefix=f"{os.getpid()}-", dir=tmp_dir)
        os.fchmod(fd, public_mode())
        os.close(fd)
        return Path(name)

    def add_file(self, src: Path, ext: str) -> StoredFile:
        """Move a finished temporary file (from :meth:`temp_path`) into the store."""
        digest = sha256_file(src)
        size = src.stat().st_size
        dest = self.path_for(digest, ext)
        if dest.exists() and dest.stat().st_size == size:
            src.unlink()
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            with src.open("rb") as fh:
                os.fsync(fh.fileno())
            os.replace(src, dest)
            fsync_dir(dest.parent)
        return StoredFile(digest, ext, size, dest)

    def verify(self, sha256: str, ext: str) -> bool:
        """True when the file exists and its bytes still hash to its name."""
        path = self.path_for(sha256, ext)
        return path.is_file() and sha256_file(path) == sha256

    def exists(self, sha256: str, ext: str) -> bool:
        """True when a file of that name is present (cheap; no hashing)."""
        return self.path_for(sha256, ext).is_file()
