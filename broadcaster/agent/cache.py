"""The agent's media cache: verified files named by their sha256, and nothing else ever plays.

Files live in ``CACHE/media/SHA256.EXT``. A file counts as *ready* only after its bytes were
hashed and matched its name; the result is remembered in ``CACHE/media/index.json`` with the
file's size, mtime and inode, so a big file is not hashed again at every start or play. When
any of the three changes (a truncated, overwritten or replaced file), the file is hashed again
and deleted if it no longer matches; the fetcher then downloads it again.

Files no longer named by the playlist are deleted after a grace period (``media_grace_hours``),
so a publication rolled back within it finds its media still there.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from broadcaster.agent.playlist import SHA256, MediaRef
from broadcaster.fsutil import atomic_write_bytes, fsync_dir

log = logging.getLogger(__name__)

INDEX = "index.json"
PART = ".part"


def sha256_of(path: Path, block: int = 1024 * 1024) -> str:
    """The sha256 (hex) of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _valid_index(data: Any) -> dict[str, Any]:
    """``verified`` (name: [size, mtime_ns, inode]) and ``unreferenced_since`` (sha256: ISO
    time) as far as they are well-formed; anything else is left out."""
    data = data if isinstance(data, dict) else {}
    verified, since = data.get("verified"), data.get("unreferenced_since")
    index: dict[str, Any] = {"verified": {}, "unreferenced_since": {}}
    for name, stamp in (verified.items() if isinstance(verified, dict) else ()):
        if isinstance(stamp, list) and len(stamp) == 3 and all(
                isinstance(n, int) and not isinstance(n, bool) for n in stamp):
            index["verified"][name] = stamp
    for sha, when in (since.items() if isinstance(since, dict) else ()):
        try:
            if isinstance(when, str) and datetime.fromisoformat(when).tzinfo is not None:
                index["unreferenced_since"][sha] = when
        except ValueError:
            continue
    return index


def verified_names(media_dir: Path) -> set[str]:
    """The files of a cache's media folder that its index vouches for and that are unchanged
    since (read-only: for ``agent status``, beside a running agent)."""
    try:
        index = _valid_index(json.loads((media_dir / INDEX).read_bytes()))
    except (OSError, ValueError, RecursionError):
        return set()
    stamps = index["verified"]
    return {name for name, stamp in stamps.items() if _stamp(media_dir / name) == stamp}


class MediaCache:
    """Verified media files in ``root/media``; safe to use from several threads."""

    def __init__(self, root: Path) -> None:
        self.dir = root / "media"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        index = self._load()
        self._verified: dict[str, list[int]] = index.get("verified", {})
        self._unreferenced: dict[str, str] = index.get("unreferenced_since", {})

    # -- paths -----------------------------------------------------------------------------

    def path(self, media: MediaRef) -> Path:
        """Where ``media`` is (or will be) in the cache."""
        return self.dir / media.name

    def part_path(self, media: MediaRef) -> Path:
        """The unfinished download of ``media``."""
        return self.dir / (media.name + PART)

    # -- verification ------------------------------------------------------------------------

    def ready(self) -> frozenset[str]:
        """The sha256 of every file verified so far (by the index; see :meth:`check`)."""
        with self._lock:
            return frozenset(name.split(".", 1)[0] for name in self._verified)

    def check(self, media: MediaRef) -> bool:
        """Whether ``media`` is in the cache and intact; a damaged file is deleted.

        Cheap when the file's size, mtime and inode match the index; otherwise it is hashed.
        """
        path = self.path(media)
        stamp = _stamp(path)
        with self._lock:
            known = self._verified.get(media.name)
        if stamp is not None and stamp == known:
            return True
        if stamp is None:
            self._forget(media.name)
            return False
        return self._verify(path, media.sha256)

    def _verify(self, path: Path, sha256: str, save: bool = True) -> bool:
        """Hash ``path``: remember it as verified, or delete it as damaged; the index is saved
        unless ``save`` is False (the caller saves once for many files)."""
        stamp = _stamp(path)
        actual = sha256_of(path)
        if actual != sha256:
            log.warning("media %s is damaged (its bytes hash to %s): deleted, to be downloaded "
                        "again", path.name, actual[:12])
            path.unlink(missing_ok=True)
            self._forget(path.name)
            return False
        with self._lock:
            self._verified[path.name] = stamp or []
        if save:
            self._save()
        return True

    def adopt(self, part: Path, media: MediaRef) -> Path:
        """Move a verified download into place atomically and remember it as verified."""
        final = self.path(media)
        os.replace(part, final)
        fsync_dir(self.dir)
        with self._lock:
            self._verified[final.name] = _stamp(final) or []
            self._unreferenced.pop(media.sha256, None)
        self._save()
        return final

    def verify_all(self) -> tuple[int, list[str]]:
        """At start: check every cached file (hashing those the index does not vouch for).

        Returns how many files are ready and the names of those deleted as damaged.
        """
        ready, damaged, hashed = 0, [], False
        for path in sorted(self.dir.iterdir()):
            sha, _, ext = path.name.partition(".")
            if not SHA256.fullmatch(sha) or ext.endswith(PART) or not ext:
                continue
            with self._lock:
                known = self._verified.get(path.name)
            if known is not None and _stamp(path) == known:
                ready += 1
                continue
            hashed = True
            if self._verify(path, sha, save=False):
                ready += 1
            else:
                damaged.append(path.name)
        with self._lock:
            stale = [n for n in self._verified if not (self.dir / n).exists()]
            for name in stale:
                del self._verified[name]
        if stale or hashed:  # one index write for the whole pass
            self._save()
        return ready, damaged

    def _forget(self, name: str) -> None:
        with self._lock:
            gone = self._verified.pop(name, None)
        if gone is not None:
            self._save()

    # -- garbage collection ------------------------------------------------------------------

    def collect(self, referenced: Iterable[str], now: datetime, grace: timedelta) -> list[str]:
        """Delete files (and unfinished downloads) unreferenced for longer than ``grace``."""
        keep = set(referenced)
        removed: list[str] = []
        with self._lock:
            before = dict(self._unreferenced)
        for path in sorted(self.dir.iterdir()):
            sha = path.name.split(".", 1)[0]
            if not SHA256.fullmatch(sha):
                continue
            with self._lock:
                if sha in keep:
                    self._unreferenced.pop(sha, None)
                    continue
                since = self._unreferenced.setdefault(sha, now.isoformat())
            if now - datetime.fromisoformat(since) >= grace:
                path.unlink(missing_ok=True)
                removed.append(path.name)
                with self._lock:
                    self._verified.pop(path.name, None)
        with self._lock:
            present = {p.name.split(".", 1)[0] for p in self.dir.iterdir()}
            for sha in [s for s in self._unreferenced if s not in present]:
                del self._unreferenced[sha]
            changed = removed or before != self._unreferenced
        if changed:
            self._save()
        if removed:
            log.info("deleted %d media file(s) no longer in the playlist: %s", len(removed),
                     ", ".join(removed))
        return removed

    # -- the index file ------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        """The index, with every entry that is not what this module writes dropped (a
        damaged index must not stop the agent: the files it no longer vouches for are hashed
        again)."""
        try:
            data = json.loads((self.dir / INDEX).read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        return _valid_index(data)

    def _save(self) -> None:
        with self._lock:
            data = {"verified": dict(sorted(self._verified.items())),
                    "unreferenced_since": dict(sorted(self._unreferenced.items()))}
            atomic_write_bytes(self.dir / INDEX, json.dumps(data, indent=1).encode())
