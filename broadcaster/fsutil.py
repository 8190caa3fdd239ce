"""Atomic file writes: a reader sees the old file or the new one, never half of either; and
whether the process that writes a file still lives. Standard library only: the station agent
and the command line's quick start use it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import IO

from broadcaster.errors import ConfigError


@contextmanager
def atomic_writer(path: Path, mode: str = "wb", private: bool = False) -> Iterator[IO[bytes]]:
    """Open a temporary file next to ``path``; on success fsync it and rename it into place.
    The file is readable by everyone (``public_mode``), or with ``private`` by its owner only.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, 0o600 if private else public_mode())
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically (``private``: readable by its owner only)."""
    with atomic_writer(path, private=private) as fh:
        fh.write(data)


def atomic_copy(src: Path, dst: Path) -> None:
    """Copy ``src`` to ``dst`` atomically (``dst`` never appears half-written)."""
    with src.open("rb") as fin, atomic_writer(dst) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


def public_mode(directory: bool = False) -> int:
    """0644 (0755 for a folder) less the process umask: what ``open()``/``mkdir`` would give.

    ``mkstemp`` makes files readable by their owner only; published media and playlists must be
    readable by nginx or a player running as another user.
    """
    mask = os.umask(0)
    os.umask(mask)
    return (0o755 if directory else 0o644) & ~mask


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs (another user's counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shipped_path(*parts: str, setting: str = "") -> Path:
    """A file or folder shipped inside the package (package data), found with
    ``importlib.resources`` wherever the package was installed.

    ffmpeg and the YAML reader need a real path: a package installed from a wheel or used from
    a checkout is a folder on disk, so the resource is that path itself. A zipped package has
    no such folder; the error says so and names the ``setting`` that replaces the files.
    """
    found = resources.files("broadcaster").joinpath(*parts)
    if not isinstance(found, Path):
        instead = f"; set {setting} instead" if setting else ""
        raise ConfigError(f"broadcaster's shipped {'/'.join(parts)} is not on disk ({found}): "
                      f"install the package unzipped{instead}")
    return found
