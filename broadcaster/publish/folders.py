"""Publication folders on disk: written aside, made durable, renamed in; the lock around it.

A folder is written under a temporary name (``.000012.k3j9x2``) next to its final one, every
file and folder in it is made durable, and only then is it renamed to ``000012``; the
``current`` symlink is swapped the same way (``.current.PID`` renamed over it). Making 30,000
small files durable one ``fsync`` after the other costs ten times more than writing them: a
pool of threads makes the folders, writes and syncs the files, then syncs the folders, so the
filesystem commits many of them together; the rename still waits for the last of them. (Measured on
ext4 for 20,000 files of 10,000 stations: 1-3 s from the pool, 12-30 s one by one.)

Files carried over unchanged from another publication are hard-linked, never rewritten (the
old folder is not touched); where the filesystem cannot link, they are copied.

:func:`publish_lock` makes publishers (the daemon, the CLI, several hosts sharing the storage
and the database) take turns, and :func:`clean_stale` removes what a publisher killed midway
left behind.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from broadcaster.errors import DiskFull
from broadcaster.fsutil import fsync_dir, public_mode
from broadcaster.parts import Parts

log = logging.getLogger(__name__)

LOCK_FILE = ".lock"
# An arbitrary 64-bit key naming "broadcaster publishing" among PostgreSQL advisory locks
# (the scheduler's leadership uses another one).
ADVISORY_KEY = 0x62726F6164707562  # "broadpub"
SYNC_THREADS = 16
FULL_BELOW = 1 << 20
STALE = re.compile(r"\.\d{6}\..+|\.current\..+")

_held = threading.local()  # lock files this thread holds, for re-entry


def root(app: Parts) -> Path:
    """The publications folder."""
    return app.config.home / "publications"


@contextmanager
def publish_lock(app: Parts) -> Iterator[None]:
    """Hold the right to publish, waiting for it if another publisher has it.

    Two locks, taken in this order: an exclusive ``flock`` on HOME/publications/.lock
    (processes and threads of this host; the kernel releases it if the process dies), then,
    on PostgreSQL, a transaction-level advisory lock (every host sharing the database; the
    server releases it when the transaction or the connection ends). Within one thread the
    lock is re-entrant: ``clean_stale`` or ``publish`` may be called while holding it.
    """
    path = root(app) / LOCK_FILE
    held: set[Path] = _held.__dict__.setdefault("paths", set())
    if path in held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("waiting for another publisher to finish (lock %s)", path)
            fcntl.flock(fh, fcntl.LOCK_EX)
        held.add(path)
        try:
            with _database_lock(app):
                yield
        finally:
            held.discard(path)
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def _database_lock(app: Parts) -> Iterator[None]:
    if app.engine.dialect.name != "postgresql":
        yield
        return
    with app.engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})
        try:
            yield
        finally:
            try:
                conn.rollback()  # ends the transaction, which releases the lock
            except DBAPIError as exc:  # the connection is gone, and the lock with it
                log.warning("the database connection holding the publish lock broke: %s",
                            exc.orig)


def clean_stale(app: Parts) -> int:
    """Remove what a publisher killed midway left in HOME/publications; how many paths.

    That is unfinished folders (``.000012.k3j9x2``: written aside, never renamed in) and
    temporary links (``.current.PID``). Numbered publications stay, complete or not in force:
    rollback and prune decide about those. The publish lock is held meanwhile, so nothing a
    live publisher is writing is touched.
    """
    folder = root(app)
    if not folder.is_dir():
        return 0
    removed = 0
    with publish_lock(app):
        for path in sorted(folder.iterdir()):
            if not STALE.fullmatch(path.name):
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            log.info("removed %s, left by a publication that did not finish", path)
            removed += 1
    if removed:
        fsync_dir(folder)
    return removed


def is_disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether ``exc`` means the disk is full: ENOSPC (or a quota) from a write, ffmpeg's
    :class:`DiskFull`, SQLite's "database or disk is full", or its "disk I/O error" while
    ``folder``'s disk has less than 1 MiB free."""
    if isinstance(exc, DiskFull):
        return True
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    text = str(getattr(exc, "orig", None) or exc)
    if "database or disk is full" in text:
        return True
    return "disk I/O error" in text and _free_bytes(folder) < FULL_BELOW


def disk_full(exc: BaseException, folder: Path, kept: str) -> DiskFull:
    """A :class:`DiskFull` naming the folder that could not be written (known to the error,
    else ``folder``), its free bytes, and what was ``kept``."""
    filename = getattr(exc, "filename", None)
    where = Path(exc.folder) if isinstance(exc, DiskFull) and exc.folder else \
        Path(filename).parent if isinstance(filename, str) else folder
    while not where.exists() and where != where.parent:
        where = where.parent
    return DiskFull(f"the disk holding {where} is full ({_free_bytes(where):,} bytes free); "
                    f"{kept}. Free some space and try again")


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def write_folder(target: Path, files: Mapping[str, bytes],
                 links: Mapping[str, str | Path] | None = None) -> None:
    """Make ``target`` hold ``files`` (relative name -> bytes) and ``links`` (relative name
    -> an existing file, hard-linked or copied), complete and durable, or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.chmod(tmp, public_mode(directory=True))
        folders: set[str] = set()  # every folder to make, parents included
        for name in [*files, *(links or {})]:
            parts = name.split("/")[:-1]
            folders.update("/".join(parts[:depth]) for depth in range(1, len(parts) + 1))
        for depth in sorted({name.count("/") for name in folders}):  # parents first
            _parallel(os.mkdir, [(f"{tmp}/{name}",) for name in sorted(folders)
                                 if name.count("/") == depth])
        _parallel(_write, [(f"{tmp}/{name}", data) for name, data in files.items()])
        _parallel(_link, [(source, f"{tmp}/{name}") for name, source in (links or {}).items()])
        # Durable before the rename: every folder's entries (the files synced themselves).
        _parallel(fsync_dir, [(Path(tmp),), *((Path(tmp, name),) for name in folders)])
        os.rename(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _link(source: str | Path, path: str) -> None:
    try:
        os.link(source, path)
    except OSError:  # another filesystem, or one without hard links: a copy is as good
        shutil.copyfile(source, path)


def _write(path: str, data: bytes) -> None:
    """Create ``path`` holding ``data``, durably."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # as open()
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _parallel(work: Callable[..., None], calls: Sequence[tuple[Any, ...]]) -> None:
    """``work(*args)`` for every args, from a pool of threads; the first failure is raised.

    Writing and syncing are system calls that release the GIL: many in flight at once let
    the filesystem commit them together instead of one journal commit per file.
    """
    def run(chunk: Sequence[tuple[Any, ...]]) -> None:
        for args in chunk:
            work(*args)

    if len(calls) <= SYNC_THREADS:
        run(calls)
        return
    with ThreadPoolExecutor(SYNC_THREADS, thread_name_prefix="publish") as pool:
        for _ in pool.map(run, [calls[i::SYNC_THREADS] for i in range(SYNC_THREADS)]):
            pass


def point_current(folder: Path, number: int) -> None:
    """Swap ``folder/current`` to publication ``number``, atomically and durably."""
    link = folder / "current"
    tmp = folder / f".current.{os.getpid()}.{threading.get_ident()}"
    tmp.unlink(missing_ok=True)
    os.symlink(f"{number:06d}", tmp)
    os.replace(tmp, link)
    fsync_dir(folder)
