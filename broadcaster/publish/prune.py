"""Pruning: old publications and media files nothing references any more.

Kept, always: the publication in force, the newest :data:`KEEP_NEWEST` publications, every
publication younger than the retention period (so operators can roll back within it), and
every older one whose station folders a kept publication links to (it carried them over). Media is
removed only when it is older than the retention period AND no kept publication, no schedule
entry, no live announcement and no clip made within the period uses it. The clip rows of a
removed file go with it, so the render cache never points at a missing file; anything needed
again is simply rendered again.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update

from broadcaster.db import Announcement, Clip, Entry, Publication, StationStatus, transaction
from broadcaster.fsutil import process_alive
from broadcaster.parts import Parts
from broadcaster.publish.publication import current_number, linked_publications, root

log = logging.getLogger(__name__)

KEEP_NEWEST = 5
STALE_TEMP_S = 3600.0


@dataclass(frozen=True)
class Pruned:
    """What one prune removed."""

    publications: tuple[int, ...]
    media: tuple[str, ...]
    bytes_freed: int


def _publication_folders(app: Parts) -> dict[int, Path]:
    folder = root(app)
    if not folder.is_dir():
        return {}
    return {int(p.name): p for p in folder.iterdir() if p.name.isdigit() and p.is_dir()}


def _media_of(folder: Path) -> set[str]:
    """Every media file name (sha256.ext) the playlists of one publication reference."""
    names: set[str] = set()
    for manifest in folder.glob("stations/*/playlist.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        for item in data.get("items", []):
            media = item.get("media") or {}
            if media.get("sha256"):
                names.add(media["sha256"])
    return names


def _in_use(app: Parts, since: datetime) -> set[str]:
    with app.sessions() as session:
        used = set(session.scalars(select(Entry.clip_sha256).where(Entry.clip_sha256.is_not(None))))
        used |= set(session.scalars(select(Announcement.clip_sha256)
                                    .where(Announcement.cancelled_at.is_(None))))
        used |= set(session.scalars(select(Clip.sha256).where(Clip.created_at >= since)))
    return {u for u in used if u}


def prune(app: Parts, retention: timedelta, now: datetime) -> Pruned:
    """Remove what is older than ``retention`` and referenced by nothing kept."""
    since = now - retention
    folders = _publication_folders(app)
    with app.sessions() as session:
        created = dict(session.execute(select(Publication.number, Publication.created_at)).all())
    in_force = current_number(app)
    newest = sorted(folders, reverse=True)[:KEEP_NEWEST]
    old = [n for n in sorted(folders) if n != in_force and n not in newest
           and created.get(n, now) < since]
    needed = set().union(*(linked_publications(folders[n]) for n in folders if n not in old))
    old = [n for n in old if n not in needed]
    for number in old:
        trash = folders[number].with_name(f".trash-{folders[number].name}")
        os.rename(folders[number], trash)  # gone from view at once, then deleted
        shutil.rmtree(trash)
    kept: set[str] = set()
    for number, folder in folders.items():
        if number not in old:
            kept |= _media_of(folder)
    kept |= _in_use(app, since)
    removed: list[str] = []
    freed = 0
    cutoff = since.timestamp()
    media_root = app.store.root
    for path in media_root.glob("??/*.*") if media_root.is_dir() else []:
        sha256 = path.name.split(".", 1)[0]
        if sha256 in kept or path.stat().st_mtime >= cutoff:
            continue
        freed += path.stat().st_size
        path.unlink()
        removed.append(sha256)
    if removed:
        with transaction(app.sessions) as session:
            ids = select(Clip.id).where(Clip.sha256.in_(removed))
            session.execute(update(Clip).where(Clip.replaced_by_id.in_(ids))
                            .values(replaced_by_id=None))
            session.execute(delete(Clip).where(Clip.sha256.in_(removed)))
    clean_temp(app)
    if old or removed:
        log.info("pruned publications %s and %d media files (%d bytes)", old, len(removed), freed)
    return Pruned(tuple(old), tuple(sorted(removed)), freed)


def clean_temp(app: Parts, older_than_s: float = STALE_TEMP_S) -> int:
    """Remove temporary files a killed render left in the media store; how many.

    A file goes when the process that made it (its name starts with the pid) is gone, or when
    it is older than ``older_than_s`` whoever made it. Age is measured on the clock that stamps
    the files (the filesystem's: a fresh probe file's mtime), not this process's: the two differ
    on a network filesystem, after a clock step, or under a faked clock, and a live render's
    file must never look old because they do.
    """
    tmp = app.store.root / "tmp"
    if not tmp.is_dir():
        return 0
    limit = _filesystem_now(tmp) - older_than_s
    stale = []
    for path in tmp.iterdir():
        pid = path.name.split("-", 1)[0]
        writer_gone = pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid))
        if path.is_file() and (writer_gone or path.stat().st_mtime < limit):
            stale.append(path)
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _filesystem_now(folder: Path) -> float:
    """The time as the filesystem of ``folder`` stamps a file written now."""
    fd, name = tempfile.mkstemp(prefix=f"{os.getpid()}-clock-", dir=folder)
    try:
        return os.fstat(fd).st_mtime
    finally:
        os.close(fd)
        os.unlink(name)


def offline_count(app: Parts) -> int:
    """How many stations are marked offline now."""
    with app.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(StationStatus)
                                  .where(StationStatus.offline_since.is_not(None))) or 0)
