"""The agent's state file (``CACHE/state.json``) and ``broadcaster agent status``.

The running agent rewrites the state file atomically when something changes (and every
:data:`STATE_EVERY_S` seconds): what plays, last contact, last error. ``status`` reads it with
the saved playlist, the media folder and the report queue, so it answers whether or not the
agent runs (the file's ``updated_at`` says how fresh it is).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcaster.agent.cache import verified_names
from broadcaster.agent.playlist import ManifestError, parse_manifest, parse_time
from broadcaster.agent.queue import iso
from broadcaster.fsutil import atomic_write_bytes
from broadcaster.localtime import DEFAULT_TIMEZONE

STATE = "state.json"
PLAYLIST = "playlist.json"
REPORTS = "reports.db"
STATE_EVERY_S = 30.0
NEXT_ITEMS = 10


def write_state(cache: Path, state: dict[str, Any]) -> None:
    """Replace ``CACHE/state.json`` atomically."""
    atomic_write_bytes(cache / STATE, (json.dumps(state, ensure_ascii=False, indent=1) + "\n"
                                 ).encode())


def read_state(cache: Path) -> dict[str, Any]:
    """The last state the agent wrote ({} when there is none)."""
    try:
        data = json.loads((cache / STATE).read_bytes())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Status:
    """What ``agent status`` shows."""

    cache: str
    station: str = ""
    server: str = ""
    publication: int | None = None
    digest: str = ""
    timezone: str = DEFAULT_TIMEZONE
    last_contact: str | None = None
    last_error: str = ""
    updated_at: str | None = None
    pid: int | None = None
    playing: dict[str, Any] | None = None
    media_ready: int = 0
    media_missing: list[str] = field(default_factory=list)
    unsent_reports: int = 0
    next_items: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""
    workers: dict[str, Any] = field(default_factory=dict)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _workers_line(workers: dict[str, Any]) -> str | None:
    """``workers  media: 2 error(s), 1 restart(s) (last: ...)`` when any went wrong."""
    troubles = []
    for name, worker in sorted(workers.items()):
        worker = _dict(worker)
        errors, restarts = worker.get("errors") or 0, worker.get("restarts") or 0
        if errors or restarts:
            last = f" (last: {worker['last_error']})" if worker.get("last_error") else ""
            troubles.append(f"{name}: {errors} error(s), {restarts} restart(s){last}")
    return "workers       " + "; ".join(troubles) if troubles else None


def _unsent(path: Path) -> int:
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def status(cache: Path, now: datetime | None = None) -> Status:
    """The agent's status from the files in ``cache``."""
    now = now or datetime.now(UTC)
    state = read_state(cache)
    result = Status(str(cache), station=state.get("station", ""), server=state.get("server", ""),
                    last_contact=state.get("last_contact"), last_error=state.get("last_error", ""),
                    updated_at=state.get("updated_at"), pid=state.get("pid"),
                    playing=state.get("playing"), unsent_reports=_unsent(cache / REPORTS),
                    workers=_dict(state.get("workers")))
    try:
        manifest = parse_manifest((cache / PLAYLIST).read_bytes())
    except FileNotFoundError:
        result.problem = "no playlist has been received yet"
        return result
    except ManifestError as exc:
        result.problem = f"the saved playlist cannot be read: {exc}"
        return result
    result.publication, result.digest = manifest.publication, manifest.digest
    result.station = result.station or manifest.station
    result.timezone = manifest.timezone
    media_dir = cache / "media"
    verified = verified_names(media_dir)
    upcoming = [i for i in manifest.items if i.end > now]
    needed = {i.media.sha256: i.media.name for i in upcoming}
    ready = {sha for sha, name in needed.items() if name in verified}
    result.media_ready = len(ready)
    result.media_missing = sorted(needed[sha] for sha in needed.keys() - ready)
    result.next_items = [{"id": i.id, "title": i.title, "start": iso(i.start),
                          "end": iso(i.end), "priority": i.priority,
                          "relay": bool(i.relay_url),
                          "media": "ready" if i.media.sha256 in ready else "missing"}
                         for i in upcoming[:NEXT_ITEMS]]
    return result


def _local(text: str | None, zone: ZoneInfo) -> str:
    if not text:
        return "never"
    try:
        return parse_time(text, "time").astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    except ManifestError:
        return f"{str(text)[:40]!r} (not a time)"


def format_status(st: Status, now: datetime | None = None) -> str:
    """``agent status`` as lines for a terminal (times in the station's zone)."""
    now = now or datetime.now(UTC)
    try:
        zone = ZoneInfo(st.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        zone = ZoneInfo("UTC")
    lines = [f"station       {st.station or '?'}  {st.server}",
             f"cache         {st.cache}"]
    if st.problem:
        lines.append(f"playlist      {st.problem}")
    else:
        lines.append(f"publication   {st.publication}  (digest {st.digest[:12]})")
    ago = ""
    if st.last_contact:
        try:
            seconds = (now - parse_time(st.last_contact, "last_contact")).total_seconds()
            ago = f"  ({seconds:.0f} s ago)"
        except ManifestError:
            ago = ""
    lines.append(f"last contact  {_local(st.last_contact, zone)}{ago}")
    if st.last_error:
        lines.append(f"last error    {st.last_error}")
    if st.playing:
        lines.append(f"playing       {st.playing.get('item')}  {st.playing.get('title', '')}  "
                     f"since {_local(st.playing.get('started_at'), zone)} "
                     f"({st.playing.get('source', 'media')})")
    else:
        lines.append("playing       nothing")
    lines.append(f"media         {st.media_ready} ready, {len(st.media_missing)} missing"
                 + (": " + ", ".join(st.media_missing) if st.media_missing else ""))
    lines.append(f"reports       {st.unsent_reports} unsent")
    if (workers := _workers_line(st.workers)) is not None:
        lines.append(workers)
    lines.append(f"state written {_local(st.updated_at, zone)}"
                 + (f" by pid {st.pid}" if st.pid else ""))
    if st.next_items:
        lines.append(f"next items ({zone.key}):")
        for item in st.next_items:
            start = parse_time(item["start"], "start").astimezone(zone)
            end = parse_time(item["end"], "end").astimezone(zone)
            lines.append(f"  {start:%m-%d %H:%M:%S}-{end:%H:%M:%S}  {item['priority']:<9} "
                         f"{item['media']:<7}  {item['title']}  [{item['id']}]")
    return "\n".join(lines)
