"""Publications: immutable, numbered snapshots of what every station plays in a window.

Layout under HOME/publications::

    000012/                      one folder per publication, never changed once written
      index.json                 number, window, per-station digest and file digests
      stations/CODE/playlist.json  one file per station format (``publish.formats.FORMATS``)
      stations/CODE/playlist.m3u8  (and playlist.pls)
      channels/CODE.xml          one per channel format (XMLTV, iCalendar), radio and TV
      channels/CODE.ics
    current -> 000012            symlink, replaced atomically
    .lock                        the publish lock (see ``folders.publish_lock``)

A publication is written into a temporary folder, made durable, and renamed into place; only
then is the database row committed and ``current`` swapped. A station therefore sees the old
publication or the new one, never half of one. Every referenced media file is verified (its
bytes hash to its name) before anything is written. Publishers take turns (the publish lock
is held from planning to the swap), so two never pick the same number or publish from a stale
view of the one in force.

A partial publication (``publish(..., codes=[...])``, for announcements) plans only the given
stations again and carries every other station over from the publication in force: same
digests, same files, not copied: the station's index entry says which earlier publication
holds its playlist files (``"in": 11``; always the one that wrote them, never a carry-over
itself), so carrying 9,000 stations costs no disk operation at all. (Links cost one new inode
each: 0.1-0.15 ms on ext4 here, 1-1.5 s for 9,000 stations, which an emergency cannot
spare.) Channel files (radio, TV) are hard-linked, so ``channels/`` is always complete. Read a
station's files through :func:`station_folder`; :func:`linked_publications` tells prune which
earlier folders a publication still needs. A rollback carries every station over the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from broadcaster import xmltv_ids
from broadcaster.db import Publication, transaction, utcnow
from broadcaster.errors import BroadcasterError, NotFound
from broadcaster.media import MediaStore
from broadcaster.parts import Parts
from broadcaster.publish.folders import (
    clean_stale,
    disk_full,
    is_disk_full,
    point_current,
    publish_lock,
    root,
    write_folder,
)
from broadcaster.publish.formats import FORMATS, FormatInput, Playlist, xmltv_dtd
from broadcaster.schedule.plan import CheckedStore, PlanningParts, StationPlan, plan_all

__all__ = [
    "CHANNEL_KINDS",
    "DEFAULT_WINDOW",
    "PublishError",
    "StationChange",
    "channel_ids",
    "check_rules",
    "clean_stale",
    "current_digests",
    "current_number",
    "diff",
    "linked_publications",
    "list_publications",
    "publish",
    "publish_lock",
    "read_index",
    "rollback",
    "root",
    "station_file",
    "station_folder",
    "verify_media",
]

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=7)
CHANNEL_KINDS = ("radio", "tv")
DTD_PATH = "channels/xmltv.dtd"


class PublishError(BroadcasterError):
    """A publication could not be made; nothing was published."""


@dataclass(frozen=True)
class StationChange:
    """How one station's playlist differs from the current publication."""

    code: str
    status: str                 # new | changed | unchanged | removed
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def current_number(app: Parts) -> int | None:
    """The number of the publication in force, if any."""
    link = root(app) / "current"
    return int(os.readlink(link)) if link.is_symlink() else None


def _folder(app: Parts, number: int) -> Path:
    return root(app) / f"{number:06d}"


def read_index(folder: Path) -> dict[str, Any]:
    """The ``index.json`` of the publication in ``folder``."""
    index: dict[str, Any] = json.loads((folder / "index.json").read_bytes())
    return index


def _index(app: Parts, number: int) -> dict[str, Any]:
    return read_index(_folder(app, number))


def _index_bytes(index: Mapping[str, Any]) -> bytes:
    # One station per line: readable, and without indent json uses its C encoder (10,000
    # stations: 0.05 s instead of 0.45 s).
    stations = index["stations"]
    head = json.dumps({k: v for k, v in index.items() if k != "stations"},
                      ensure_ascii=False, sort_keys=True)
    lines = [f"{json.dumps(code, ensure_ascii=False)}: "
             f"{json.dumps(stations[code], ensure_ascii=False, sort_keys=True)}"
             for code in sorted(stations)]
    return (f'{head[:-1]}, "stations": {{\n' + ",\n".join(lines) + "\n}}\n").encode()


def _path(code: str, name: str) -> str:
    """Where a station's file (as named in the index) lies in a publication folder."""
    return f"stations/{code}/{name}" if name.startswith("playlist.") else f"channels/{name}"


def station_folder(folder: Path, code: str, held_in: int | None) -> Path:
    """The folder holding the playlist files of station ``code`` of publication ``folder``;
    ``held_in`` is the ``in`` of its index entry (None: this publication wrote them)."""
    home = folder if held_in is None else folder.with_name(f"{held_in:06d}")
    return home / "stations" / code


def station_file(publications: Path, code: str, name: str, number: int | None = None) -> Path:
    """Where file ``name`` (``playlist.json``, ``playlist.m3u8``) of station ``code`` lies, in
    publication ``number`` or the one in force, under the ``publications`` folder."""
    folder = publications / (f"{number:06d}" if number is not None else "current")
    folder = folder.with_name(os.readlink(folder)) if number is None else folder
    entry = read_index(folder)["stations"].get(code)
    if entry is None:
        raise NotFound(f"station {code} is not in publication {folder.name}")
    return station_folder(folder, code, entry.get("in")) / name


def linked_publications(folder: Path) -> set[int]:
    """The numbers of the earlier publications holding files of publication ``folder``."""
    try:
        index = read_index(folder)
    except FileNotFoundError:  # not a complete publication: it needs nothing
        return set()
    return {entry["in"] for entry in index["stations"].values() if "in" in entry}


def _carry(source: int, code: str, entry: Mapping[str, Any],
           links: dict[str, str | Path], app: Parts) -> dict[str, Any]:
    """Station ``code`` carried over from publication ``source``: its index entry, pointing
    at the publication holding its playlist files; its channel files (radio, TV) are
    hard-linked into ``links``."""
    for name in entry["files"]:
        if not name.startswith("playlist."):
            links[_path(code, name)] = _folder(app, source) / _path(code, name)
    return {**entry, "in": entry.get("in", source)}


def verify_media(store: MediaStore, plans: Sequence[StationPlan]) -> None:
    """Every media file referenced must exist and hash to its name (a ``CheckedStore``
    skips those it verified while planning)."""
    seen: set[str] = set()
    checked: set[int] = set()  # item lists shared by many stations are looked at once
    for plan in plans:
        if id(plan.items) in checked:
            continue
        checked.add(id(plan.items))
        for item in plan.items:
            if item.media.sha256 in seen:
                continue
            if not store.verify(item.media.sha256, item.media.ext):
                raise PublishError(f"station {plan.station.code}: item {item.id} needs media "
                                   f"{item.media.sha256}.{item.media.ext}, which is missing or "
                                   "damaged in the media store; nothing was published")
            seen.add(item.media.sha256)


def check_rules(plans: Sequence[StationPlan]) -> None:
    """Broadcast rules: any violation stops the publication, naming the rule and entry."""
    problems = [f"station {p.station.code}: {v.message} (rule {v.rule}, entry {v.rule_id})"
                for p in plans for v in p.violations]
    if problems:
        raise PublishError("broadcast rules are broken; nothing was published:\n  "
                           + "\n  ".join(problems))


def _playlists(plans: Sequence[StationPlan]) -> list[Playlist]:
    """Each plan's rendered items; stations planned alike share one rendering."""
    shared: dict[tuple[int, str], Playlist] = {}
    out = []
    for plan in plans:
        key = (id(plan.items), plan.station.timezone)  # the plans keep the ids alive
        if key not in shared:
            shared[key] = Playlist(plan.station, plan.items)
        out.append(shared[key])
    return out


def _station_files(plan: StationPlan, playlist: Playlist, digest: str, number: int,
                   window: tuple[datetime, datetime], now: datetime,
                   channel_ids: Mapping[str, str]) -> dict[str, bytes]:
    """Every registered format's file for the station; channel formats (listings) only for
    radio and TV, from the programmes, not the media parts a programme is made of."""
    given = FormatInput(plan.station, playlist, plan.airings, number, window, now, digest,
                        channel_ids)
    channel = plan.station.kind in CHANNEL_KINDS
    return {_path(plan.station.code, fmt.file_for(plan.station)): fmt.render(given)
            for fmt in FORMATS.values() if fmt.scope == "station" or channel}


def channel_ids(app: Parts, plans: Sequence[StationPlan],
                carried: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The XMLTV id of every channel (radio, TV) planned or ``carried`` over (index entries
    with a channel file), from the ``xmltv_domain`` and ``xmltv_ids`` settings; two channels
    with one id stop the publication."""
    codes = [p.station.code for p in plans if p.station.kind in CHANNEL_KINDS]
    codes += [code for code, entry in carried.items() if f"{code}.xml" in entry["files"]]
    try:
        return xmltv_ids.channel_ids(codes, app.config.xmltv_domain,
                                     app.config.xmltv_id_overrides)
    except ValueError as exc:
        raise PublishError(f"{exc}; nothing was published") from None


def _next_number(app: Parts) -> int:
    with app.sessions() as session:
        last = session.scalar(select(func.max(Publication.number))) or 0
    on_disk = [int(p.name) for p in root(app).glob("[0-9]" * 6)] if root(app).exists() else []
    return max([last, *on_disk]) + 1


def current_digests(app: Parts) -> dict[str, dict[str, Any]]:
    """Per station: digest and item ids of the publication in force."""
    number = current_number(app)
    return dict(_index(app, number)["stations"]) if number is not None else {}


def _changes(before: Mapping[str, Mapping[str, Any]], plans: Sequence[StationPlan],
             digests: Sequence[str]) -> list[StationChange]:
    changes = []
    for plan, digest in zip(plans, digests, strict=True):
        code = plan.station.code
        ids = [i.id for i in plan.items]
        old = before.get(code)
        if old is None:
            changes.append(StationChange(code, "new", tuple(ids)))
        elif old["digest"] == digest:
            changes.append(StationChange(code, "unchanged"))
        else:
            changes.append(StationChange(
                code, "changed", tuple(i for i in ids if i not in old["items"]),
                tuple(i for i in old["items"] if i not in ids)))
    return changes


def diff(app: Parts, plans: Sequence[StationPlan]) -> list[StationChange]:
    """What would change for whom, against the publication in force."""
    before = current_digests(app)
    digests = [p.digest(plan.station) for p, plan in zip(_playlists(plans), plans, strict=True)]
    planned = {p.station.code for p in plans}
    return _changes(before, plans, digests) + [
        StationChange(code, "removed") for code in sorted(set(before) - planned)]


def publish(app: PlanningParts, start: datetime | None = None, window: timedelta = DEFAULT_WINDOW,
            note: str = "", now: datetime | None = None,
            codes: Collection[str] | None = None, if_changed: bool = False
            ) -> tuple[int, list[StationChange]]:
    """Resolve the window and publish it as the next numbered publication.

    Every station is planned, or with ``codes`` only those stations: every other station of
    the publication in force is carried over unchanged, and a given code whose station no
    longer exists is dropped (with no publication in force, every station is planned). The
    changes returned are those of the stations planned, and of those dropped. With
    ``if_changed``, nothing is written when every playlist is unchanged: the number returned
    is then the publication in force.
    """
    now = now or utcnow()
    start = start or now
    end = start + window
    with publish_lock(app), _disk_full_named(app):
        clean_stale(app)  # what a killed publisher left (under the lock: none is at work)
        in_force = current_number(app)
        before: dict[str, Any] = _index(app, in_force)["stations"] \
            if in_force is not None else {}
        partial = codes is not None and in_force is not None
        store = CheckedStore(app.store.root)
        plans = plan_all(app, start, end, sorted(set(codes or ())) if partial else None,
                         store)
        planned = {p.station.code for p in plans}
        gone = sorted((set(codes or ()) if partial else set(before)) - planned)
        if partial and (unknown := [c for c in gone if c not in before]):
            raise NotFound(f"no station with code {', '.join(map(repr, unknown))}; "
                           "nothing was published")
        check_rules(plans)
        verify_media(store, plans)
        playlists = _playlists(plans)
        digests = [p.digest(plan.station) for p, plan in zip(playlists, plans, strict=True)]
        changes = _changes(before, plans, digests) + [StationChange(c, "removed") for c in gone]
        if if_changed and in_force is not None \
                and all(c.status == "unchanged" for c in changes):
            return in_force, changes
        carried = {code: before[code] for code in set(before) - planned - set(gone)} \
            if partial else {}
        ids = channel_ids(app, plans, carried)
        number = _next_number(app)
        files: dict[str, bytes] = {}
        stations: dict[str, Any] = {}
        for plan, playlist, digest in zip(plans, playlists, digests, strict=True):
            own = _station_files(plan, playlist, digest, number, (start, end), now, ids)
            files.update(own)
            stations[plan.station.code] = {
                "digest": digest, "items": [i.id for i in plan.items],
                "files": {name.rsplit("/", 1)[1]: hashlib.sha256(data).hexdigest()
                          for name, data in own.items()}}
        links: dict[str, str | Path] = {}
        if partial:
            assert in_force is not None
            for code in sorted(carried):
                stations[code] = _carry(in_force, code, carried[code], links, app)
        if any(name.startswith("channels/") for name in [*files, *links]):
            files[DTD_PATH] = xmltv_dtd()  # the XMLTV files name it relative to them
        index = {"number": number, "window": {"start": _z(start), "end": _z(end)},
                 "created_at": _z(now), "stations": stations}
        files["index.json"] = _index_bytes(index)
        write_folder(_folder(app, number), files, links)
        with _undone_on_failure(app, number):
            with transaction(app.sessions) as session:
                session.add(Publication(number=number, window_start=start, window_end=end,
                                        note=note, stations={c: {"digest": v["digest"]}
                                                             for c, v in stations.items()}))
            point_current(root(app), number)
    return number, changes


def rollback(app: Parts, number: int, now: datetime | None = None) -> int:
    """Publish again exactly what publication ``number`` held, as the next number."""
    source = _folder(app, number)
    if not (source / "index.json").is_file():
        raise NotFound(f"no publication number {number}")
    now = now or utcnow()
    with publish_lock(app), _disk_full_named(app):
        clean_stale(app)
        new = _next_number(app)
        index = _index(app, number)
        links: dict[str, str | Path] = {}
        stations = {code: _carry(number, code, entry, links, app)
                    for code, entry in index["stations"].items()}
        if (source / DTD_PATH).is_file():
            links[DTD_PATH] = source / DTD_PATH
        index |= {"number": new, "created_at": _z(now), "rollback_of": number,
                  "stations": stations}
        write_folder(_folder(app, new), {"index.json": _index_bytes(index)}, links)
        with _undone_on_failure(app, new):
            with transaction(app.sessions) as session:
                old = session.scalar(select(Publication).where(Publication.number == number))
                session.add(Publication(
                    number=new, window_start=old.window_start if old else now,
                    window_end=old.window_end if old else now, note=f"rollback to {number}",
                    stations={c: {"digest": v["digest"]} for c, v in index["stations"].items()},
                    rollback_of=number))
            point_current(root(app), new)
    return new


@contextmanager
def _disk_full_named(app: Parts) -> Iterator[None]:
    """A full disk met while publishing becomes one :class:`DiskFull` naming the folder and
    saying what stays in force."""
    in_force = current_number(app)
    try:
        yield
    except Exception as exc:
        folder = root(app)
        if isinstance(exc, SQLAlchemyError) and app.engine.dialect.name == "sqlite":
            folder = Path(app.engine.url.database or folder).parent
        if not is_disk_full(exc, folder):
            raise
        kept = (f"publication {in_force} is still the one in force"
                if in_force is not None else "there is still no publication in force")
        raise disk_full(exc, folder, f"nothing was published: {kept}, and nothing "
                        "half-made was kept") from None


@contextmanager
def _undone_on_failure(app: Parts, number: int) -> Iterator[None]:
    """Publication ``number``, renamed in, is taken away again if its row or ``current``
    cannot follow: a folder the database does not know is nobody's publication."""
    try:
        yield
    except BaseException:
        if current_number(app) != number:
            shutil.rmtree(_folder(app, number), ignore_errors=True)
            try:
                with transaction(app.sessions) as session:
                    session.execute(delete(Publication).where(Publication.number == number))
            except SQLAlchemyError as exc:
                log.warning("publication %s: its folder was removed but its row could not "
                            "be (%s)", number, exc)
        raise


def list_publications(app: Parts, limit: int | None = None) -> list[Publication]:
    """Every publication (or the newest ``limit``), newest first."""
    with app.sessions() as session:
        return list(session.scalars(select(Publication).order_by(Publication.number.desc())
                                    .limit(limit)))


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
