"""Publications: immutable, numbered snapshots of what every station plays in a window.

Layout under HOME/publications::

    000012/                      one folder per publication, never changed once written
      index.json                 number, window, per-station digest and file digests
      stations/CODE/playlist.json
      stations/CODE/playlist.m3u8
      channels/CODE.xml          XMLTV, radio and TV stations
      channels/CODE.ics          iCalendar, radio and TV stations
    current -> 000012            symlink, replaced atomically

A publication is written into a temporary folder, fsynced, and renamed into place; only then is
``current`` swapped and the database row committed. A station therefore sees the old
publication or the new one, never half of one. Every referenced media file is verified (its
bytes hash to its name) before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from broadcaster.app import App
from broadcaster.db import Publication, transaction, utcnow
from broadcaster.errors import BroadcasterError, NotFound
from broadcaster.fsutil import fsync_dir, public_mode
from broadcaster.publish.formats import (
    content_digest,
    icalendar_feed,
    manifest_json,
    playlist_m3u8,
    xmltv,
    xmltv_dtd,
)
from broadcaster.schedule.plan import StationPlan, plan_all

DEFAULT_WINDOW = timedelta(days=7)
CHANNEL_KINDS = ("radio", "tv")


class PublishError(BroadcasterError):
    """A publication could not be made; nothing was published."""


@dataclass(frozen=True)
class StationChange:
    """How one station's playlist differs from the current publication."""

    code: str
    status: str                 # new | changed | unchanged | removed
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


def root(app: App) -> Path:
    """The publications folder."""
    return app.config.home / "publications"


def current_number(app: App) -> int | None:
    """The number of the publication in force, if any."""
    link = root(app) / "current"
    return int(os.readlink(link)) if link.is_symlink() else None


def _folder(app: App, number: int) -> Path:
    return root(app) / f"{number:06d}"


def verify_media(app: App, plans: Sequence[StationPlan]) -> None:
    """Every media file referenced must exist and hash to its name."""
    seen: set[str] = set()
    for plan in plans:
        for item in plan.items:
            if item.media.sha256 in seen:
                continue
            if not app.store.verify(item.media.sha256, item.media.ext):
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


def _station_files(plan: StationPlan, number: int, window: tuple[datetime, datetime],
                   now: datetime) -> dict[str, bytes]:
    files = {
        f"stations/{plan.station.code}/playlist.json":
            manifest_json(plan.station, number, window, plan.items, now),
        f"stations/{plan.station.code}/playlist.m3u8": playlist_m3u8(plan.station, plan.items),
    }
    if plan.station.kind in CHANNEL_KINDS:
        # Listings show programmes, not the media parts a programme is made of.
        files[f"channels/{plan.station.code}.xml"] = xmltv([(plan.station, plan.airings)], now)
        files[f"channels/{plan.station.code}.ics"] = icalendar_feed(plan.station, plan.airings)
    return files


def _write_folder(target: Path, files: dict[str, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        tmp.chmod(public_mode(directory=True))
        for name, data in files.items():
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for folder in sorted({p.parent for p in tmp.rglob("*") if p.is_file()}, reverse=True):
            fsync_dir(folder)
        os.rename(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _point_current(app: App, number: int) -> None:
    link = root(app) / "current"
    tmp = root(app) / f".current.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(f"{number:06d}", tmp)
    os.replace(tmp, link)
    fsync_dir(root(app))


def _next_number(app: App) -> int:
    with app.sessions() as session:
        last = session.scalar(select(func.max(Publication.number))) or 0
    on_disk = [int(p.name) for p in root(app).glob("[0-9]" * 6)] if root(app).exists() else []
    return max([last, *on_disk]) + 1


def current_digests(app: App) -> dict[str, dict[str, Any]]:
    """Per station: digest and item ids of the publication in force."""
    number = current_number(app)
    if number is None:
        return {}
    index = json.loads((_folder(app, number) / "index.json").read_text(encoding="utf-8"))
    return dict(index["stations"])


def diff(app: App, plans: Sequence[StationPlan]) -> list[StationChange]:
    """What would change for whom, against the publication in force."""
    before = current_digests(app)
    changes = []
    for plan in plans:
        code = plan.station.code
        digest = content_digest(plan.station, (datetime.min, datetime.max), plan.items)
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
    planned = {p.station.code for p in plans}
    changes += [StationChange(code, "removed") for code in sorted(set(before) - planned)]
    return changes


def publish(app: App, start: datetime | None = None, window: timedelta = DEFAULT_WINDOW,
            note: str = "", now: datetime | None = None) -> tuple[int, list[StationChange]]:
    """Resolve the window for every station and publish it as the next numbered publication."""
    now = now or utcnow()
    start = start or now
    end = start + window
    plans = plan_all(app, start, end)
    check_rules(plans)
    verify_media(app, plans)
    changes = diff(app, plans)
    number = _next_number(app)
    files: dict[str, bytes] = {}
    index: dict[str, Any] = {"number": number, "window": {"start": _z(start), "end": _z(end)},
                             "created_at": _z(now), "stations": {}}
    for plan in plans:
        station_files = _station_files(plan, number, (start, end), now)
        files.update(station_files)
        index["stations"][plan.station.code] = {
            "digest": content_digest(plan.station, (start, end), plan.items),
            "items": [i.id for i in plan.items],
            "files": {name.rsplit("/", 1)[1]: hashlib.sha256(data).hexdigest()
                      for name, data in station_files.items()},
        }
    if any(name.startswith("channels/") for name in files):
        files["channels/xmltv.dtd"] = xmltv_dtd()  # the XMLTV files name it relative to them
    files["index.json"] = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True
                                     ).encode() + b"\n"
    _write_folder(_folder(app, number), files)
    with transaction(app.sessions) as session:
        session.add(Publication(number=number, window_start=start, window_end=end, note=note,
                                stations={c: {"digest": v["digest"]} for c, v in
                                          index["stations"].items()}))
    _point_current(app, number)
    return number, changes


def rollback(app: App, number: int, now: datetime | None = None) -> int:
    """Publish again exactly what publication ``number`` held, as the next number."""
    source = _folder(app, number)
    if not (source / "index.json").is_file():
        raise NotFound(f"no publication number {number}")
    now = now or utcnow()
    new = _next_number(app)
    files = {str(p.relative_to(source)): p.read_bytes() for p in source.rglob("*") if p.is_file()}
    index = json.loads(files["index.json"])
    index |= {"number": new, "created_at": _z(now), "rollback_of": number}
    files["index.json"] = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True
                                     ).encode() + b"\n"
    _write_folder(_folder(app, new), files)
    with transaction(app.sessions) as session:
        old = session.scalar(select(Publication).where(Publication.number == number))
        session.add(Publication(
            number=new, window_start=old.window_start if old else now,
            window_end=old.window_end if old else now, note=f"rollback to {number}",
            stations={c: {"digest": v["digest"]} for c, v in index["stations"].items()},
            rollback_of=number))
    _point_current(app, new)
    return new


def list_publications(app: App) -> list[Publication]:
    """Every publication, newest first."""
    with app.sessions() as session:
        return list(session.scalars(select(Publication).order_by(Publication.number.desc())))


def _z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
