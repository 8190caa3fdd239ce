"""One consistency check over everything that was made: nothing half-made, lost or doubled.

``broadcaster check`` reports each problem naming its object, and exits 1 when there is one:

- **publications**: every numbered folder under HOME/publications has a readable index, and
  every station file its index names exists where the index says (a carried-over station's
  playlist files in the publication of its ``"in"``) and hashes to the sha256 the index
  records; ``current`` points at a complete publication that the database knows.
- **media**: every media file something refers to (a playlist of a publication on disk, a
  schedule entry or a live announcement playing a clip, a clip of the render cache) is in the
  media store and its bytes hash to its name.
- **announcements**: none half-made (no publication, not cancelled or withdrawn, and no live
  process making it); a live one has its entry and programme; no entry or programme made by
  ``announce`` without its announcement; no request key used by two announcements.

Unfinished folders a killed publisher left (``.000012.k3j9``) are not problems: stations never
see them, and the next ``serve`` removes them. Publication rows whose folders prune removed are
not problems either.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from broadcaster.announce_recovery import being_made, code_of
from broadcaster.db import Announcement, Clip, Entry, Programme, Publication
from broadcaster.domain.vocabulary import Origin
from broadcaster.media.store import sha256_file
from broadcaster.parts import Parts
from broadcaster.publish.publication import read_index, root, station_folder

DTD = "channels/xmltv.dtd"


@dataclass(frozen=True)
class Problem:
    """One thing found wrong: the object (``publication 12``, ``announcement 3``) and what."""

    subject: str
    message: str

    def line(self) -> str:
        """The problem as ``broadcaster check`` prints it."""
        return f"{self.subject}: {self.message}"


@dataclass
class CheckReport:
    """Every problem found, and how many objects of each kind were looked at."""

    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    def add(self, subject: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(subject, message))

    def summary(self) -> str:
        """One line: what was checked and how many problems."""
        counted = ", ".join(f"{n} {kind[:-1]}(s)" for kind, n in self.checked.items())
        found = f"{len(self.problems)} problem(s)" if self.problems else "no problems"
        return f"checked {counted}: {found}"

    def info(self) -> dict[str, Any]:
        """What ``broadcaster check --json`` prints."""
        return {"ok": self.ok, "checked": self.checked,
                "problems": [{"subject": p.subject, "message": p.message}
                             for p in self.problems]}


def check(app: Parts) -> CheckReport:
    """Check publications, media and announcements; every problem found."""
    report = CheckReport()
    with app.sessions() as session:
        known = set(session.scalars(select(Publication.number)))
    media = _publications(app, known, report)
    _media(app, media, report)
    _announcements(app, known, report)
    return report


class _Hashes:
    """sha256 of files, each hashed once (many publications carry the same files)."""

    def __init__(self) -> None:
        self._done: dict[tuple[int, int], str] = {}

    def of(self, path: Path) -> str:
        st = path.stat()
        key = (st.st_dev, st.st_ino)
        if key not in self._done:
            self._done[key] = sha256_file(path)
        return self._done[key]


def _numbered(folder: Path) -> dict[int, Path]:
    if not folder.is_dir():
        return {}
    return {int(p.name): p for p in folder.iterdir()
            if len(p.name) == 6 and p.name.isdigit() and p.is_dir() and not p.is_symlink()}


def _publications(app: Parts, known: set[int], report: CheckReport) -> dict[str, str]:
    """Check every publication folder and ``current``; the media their playlists name (file
    name -> the first publication naming it)."""
    folders = _numbered(root(app))
    hashes = _Hashes()
    media: dict[str, str] = {}
    playlists: set[Path] = set()
    complete = set()
    for number, folder in sorted(folders.items()):
        subject = f"publication {number}"
        try:
            index = read_index(folder)
        except FileNotFoundError:
            report.add(subject, f"{folder / 'index.json'} is missing")
            continue
        except ValueError as exc:
            report.add(subject, f"{folder / 'index.json'} is not valid JSON ({exc})")
            continue
        before = len(report.problems)
        if index.get("number") != number:
            report.add(subject, f"its index.json says number {index.get('number')!r}")
        for code, entry in sorted(index.get("stations", {}).items()):
            for path, digest in _station_files(folder, code, entry, report, subject):
                if not path.is_file():
                    report.add(subject, f"station {code}: {path} is missing")
                elif digest and hashes.of(path) != digest:
                    report.add(subject, f"station {code}: {path} does not hash to the "
                               f"sha256 its index records ({digest[:12]}…)")
                elif path.name == "playlist.json" and path not in playlists:
                    playlists.add(path)
                    _media_of(path, subject, media, report)
        if (folder / "channels").is_dir() and not (folder / DTD).is_file():
            report.add(subject, f"{folder / DTD} is missing (its XMLTV files name it)")
        if len(report.problems) == before:
            complete.add(number)
    _current(root(app), folders, complete, known, report)
    report.checked["publications"] = len(folders)
    return media


def _station_files(folder: Path, code: str, entry: Mapping[str, Any], report: CheckReport,
                   subject: str) -> Iterator[tuple[Path, str]]:
    """Where each file of one station's index entry lies, and the sha256 recorded for it."""
    held = entry.get("in")
    if held is not None and not folder.with_name(f"{held:06d}").is_dir():
        report.add(subject, f"station {code}: its playlist files are in publication {held}, "
                   "whose folder is gone")
        return
    for name, digest in sorted(entry.get("files", {}).items()):
        if name.startswith("playlist."):
            yield station_folder(folder, code, held) / name, str(digest or "")
        else:  # channel files are linked into every publication that carries them
            yield folder / "channels" / name, str(digest or "")


def _media_of(playlist: Path, subject: str, media: dict[str, str],
              report: CheckReport) -> None:
    try:
        data = json.loads(playlist.read_bytes())
    except ValueError as exc:
        report.add(subject, f"{playlist} is not valid JSON ({exc})")
        return
    for item in data.get("items", []):
        url = str((item.get("media") or {}).get("url") or "")
        if url:
            media.setdefault(url.rsplit("/", 1)[-1], subject)


def _current(folder: Path, folders: Mapping[int, Path], complete: set[int], known: set[int],
             report: CheckReport) -> None:
    link = folder / "current"
    if not link.is_symlink():
        if folders:
            report.add("current", f"{link} is missing, though publications exist")
        return
    target = os.readlink(link)
    if not (target.isdigit() and int(target) in folders):
        report.add("current", f"points at {target!r}, which is not a publication folder")
    elif int(target) not in complete:
        report.add("current", f"points at publication {int(target)}, which is not complete")
    elif int(target) not in known:
        report.add("current", f"points at publication {int(target)}, which the database "
                   "does not know")


def _media(app: Parts, media: dict[str, str], report: CheckReport) -> None:
    """Every media file referred to is in the store and hashes to its name."""
    wanted = dict(media)
    with app.sessions() as session:
        clips = session.execute(select(Clip.id, Clip.sha256, Clip.ext)).all()
        ext_of = {sha256: ext for _, sha256, ext in clips}
        for clip_id, sha256, ext in clips:
            wanted.setdefault(f"{sha256}.{ext}", f"clip {clip_id}")
        users = [(f"entry {code}", str(sha256)) for code, sha256 in session.execute(
            select(Entry.code, Entry.clip_sha256).where(Entry.clip_sha256.is_not(None)))]
        users += [(f"announcement {number}", sha256) for number, sha256 in session.execute(
            select(Announcement.id, Announcement.clip_sha256).where(
                Announcement.cancelled_at.is_(None), Announcement.clip_sha256 != ""))]
    for subject, sha256 in users:
        if sha256 not in ext_of:
            report.add(subject, f"plays clip {sha256[:12]}…, which no clip of the media store "
                       "records")
        else:
            wanted.setdefault(f"{sha256}.{ext_of[sha256]}", subject)
    hashes = _Hashes()
    for name, user in sorted(wanted.items()):
        sha256, _, ext = name.partition(".")
        path = app.store.path_for(sha256, ext)
        if not path.is_file():
            report.add(f"media {name}", f"is missing from {path.parent} (used by {user})")
        elif (actual := hashes.of(path)) != sha256:
            report.add(f"media {name}", f"its bytes hash to {actual[:12]}…, not to its name "
                       f"(used by {user})")
    report.checked["media files"] = len(wanted)


def _announcements(app: Parts, known: set[int], report: CheckReport) -> None:
    """None half-made, none pointing at what is gone, nothing of theirs left alone, no
    request made twice."""
    with app.sessions() as session:
        rows = list(session.scalars(select(Announcement).order_by(Announcement.id)))
        entries = {code: origin for code, origin in session.execute(
            select(Entry.code, Entry.origin))}
        programmes = {code: origin for code, origin in session.execute(
            select(Programme.code, Programme.origin))}
        doubled = session.execute(
            select(Announcement.request_key, func.count())
            .where(Announcement.request_key.is_not(None))
            .group_by(Announcement.request_key).having(func.count() > 1)).all()
    live_entries: set[str] = set()
    theirs: set[str] = set()  # programme codes announcements made
    for row in rows:
        subject = f"announcement {row.id}"
        theirs |= {row.programme, code_of(row.id)}
        if row.publication is None and row.cancelled_at is None:
            if being_made(app, row.id):
                live_entries.add(code_of(row.id))
            else:
                report.add(subject, "was left half-made: never published, not withdrawn (the "
                           "next start of `broadcaster serve` withdraws it)")
            continue
        if row.publication is not None and row.publication not in known:
            report.add(subject, f"names publication {row.publication}, which the database "
                       "does not know")
        if row.cancelled_at is not None:
            continue
        live_entries.add(row.entry_code)
        if row.entry_code not in entries:
            report.add(subject, f"its entry {row.entry_code or '(none)'} is missing")
        if row.programme not in programmes:
            report.add(subject, f"its programme {row.programme or '(none)'} is missing")
    for code, origin in sorted(entries.items()):
        if origin == Origin.ANNOUNCE and code not in live_entries:
            report.add(f"entry {code}", "was made by announce but belongs to no live "
                       "announcement")
    for code, origin in sorted(programmes.items()):
        if origin == Origin.ANNOUNCE and code not in theirs:
            report.add(f"programme {code}", "was made by announce but belongs to no "
                       "announcement")
    for key, count in doubled:
        numbers = ", ".join(str(r.id) for r in rows if r.request_key == key)
        report.add(f"request key {key}", f"made {count} announcements ({numbers}): one "
                   "request, made more than once")
    report.checked["announcements"] = len(rows)
