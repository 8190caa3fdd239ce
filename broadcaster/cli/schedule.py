"""``schedule``, ``publish`` and ``publications`` commands."""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.db import transaction
from broadcaster.domain.vocabulary import CollisionPolicy, Origin, Priority
from broadcaster.errors import InputError
from broadcaster.fsutil import atomic_write_bytes
from broadcaster.publish.prune import clean_temp
from broadcaster.publish.publication import (
    current_number,
    diff,
    list_publications,
    publish,
)
from broadcaster.publish.publication import rollback as roll
from broadcaster.schedule.plan import Planner, plan_all
from broadcaster.schedule.spec import EntrySpec
from broadcaster.schedule.sync import apply_spec, export_spec, remove_entry, save_entry
from broadcaster.schedule.yamlfile import dump_schedule, load_schedule, validate
from broadcaster.stations import get_station, group_chain


@main.group(short_help="Validate, apply, export and show schedules.")
def schedule() -> None:
    """Schedules: the declarative files in schedules/ and what each station plays."""


@schedule.command("validate", short_help="Check files: every problem, with its line.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def schedule_validate(files: tuple[Path, ...]) -> None:
    """Check schedule files; print every problem with file, line and field."""

    problems = validate(list(files))
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo(f"{', '.join(str(f) for f in files)}: valid")


@schedule.command("apply", short_help="Make the database match the files.")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--diff", "dry_run", is_flag=True,
              help="Only show what it would do; change nothing.")
@click.option("--adopt", is_flag=True, help="Let the files own the rows they name that were "
              "made elsewhere (the command line, the web UI, announce).")
@pass_ctx
def schedule_apply(ctx: Context, files: tuple[Path, ...], dry_run: bool, adopt: bool) -> None:
    """Make the rows the files own match the files (adds, changes and removes; idempotent).

    Rows made with the command line, in the web UI or by announce are never changed or
    removed; a file that names one is refused unless --adopt is given."""

    spec = load_schedule(list(files))
    if dry_run:
        with ctx.app.sessions() as session:
            report = apply_spec(session, spec, tuple(ctx.config.profiles), adopt=adopt)
            session.rollback()
    else:
        with transaction(ctx.app.sessions) as session:
            report = apply_spec(session, spec, tuple(ctx.config.profiles), adopt=adopt)
    prefix = "would " if dry_run else ""
    for verb, lines in (("adopt" if dry_run else "adopted", report.adopted),
                        ("add" if dry_run else "added", report.added),
                        ("change" if dry_run else "changed", report.changed),
                        ("remove" if dry_run else "removed", report.removed)):
        for line in lines:
            click.echo(f"{prefix}{verb:<8} {line}")
    adopted = f", {len(report.adopted)} adopted" if report.adopted else ""
    if report.unchanged:
        click.echo("nothing to change: the database already matches")
    else:
        click.echo(f"{len(report.added)} added, {len(report.changed)} changed, "
                   f"{len(report.removed)} removed{adopted}"
                   + (" (dry run: nothing was changed)" if dry_run else ""))


@schedule.command("export", short_help="Write the schedule back as YAML.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file.")
@click.option("--all", "everything", is_flag=True, help="Every row, also those made with the "
              "command line, in the web UI or by announce (apply it back with --adopt).")
@pass_ctx
def schedule_export(ctx: Context, output: Path | None, everything: bool) -> None:
    """Write the rows the schedule files own as YAML (the format schedule apply reads)."""

    with ctx.app.sessions() as session:
        text = dump_schedule(export_spec(session, None if everything else (Origin.FILE.value,)))
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write_bytes(output, text.encode())
        click.echo(f"written {output}")


@schedule.command("add", short_help="Add or change one entry.")
@click.argument("entry_id")
@click.option("--programme", help="Programme code.")
@click.option("--clip", help="Instead of a programme: a clip's sha256.")
@click.option("--target", required=True, help="Station or group code.")
@click.option("--start", help="HH:MM (with --rrule) or YYYY-MM-DDTHH:MM (one-off); leave out "
              "for a normal/high bulletin.")
@click.option("--rrule", help="RFC 5545 rule, e.g. FREQ=WEEKLY;BYDAY=MO,TH.")
@click.option("--from", "valid_from", type=click.DateTime(["%Y-%m-%d"]), help="Valid from.")
@click.option("--until", "valid_until", type=click.DateTime(["%Y-%m-%d"]), help="Valid until.")
@click.option("--except", "exdates", multiple=True, type=click.DateTime(["%Y-%m-%d"]),
              help="A date it does not play; repeatable.")
@click.option("--priority", type=click.Choice([p.value for p in Priority]),
              default=Priority.NORMAL.value, show_default=True)
@click.option("--on-collision", type=click.Choice([p.value for p in CollisionPolicy]),
              default=CollisionPolicy.AFTER.value, show_default=True)
@click.option("--slot-minutes", type=int, help="The slot's length.")
@pass_ctx
def schedule_add(ctx: Context, entry_id: str, programme: str | None, clip: str | None,
                 target: str, start: str | None, rrule: str | None,
                 valid_from: datetime | None, valid_until: datetime | None,
                 exdates: tuple[datetime, ...], priority: str, on_collision: str,
                 slot_minutes: int | None) -> None:
    """Add or change one schedule entry (the same fields as in the YAML files)."""

    if bool(programme) == bool(clip):
        raise InputError("give either --programme or --clip")
    start_time = start_at = None
    if start:
        try:
            if "T" in start:
                start_at = datetime.fromisoformat(start)
            else:
                start_time = time.fromisoformat(start)
        except ValueError:
            raise InputError(f"--start {start!r} is not HH:MM or YYYY-MM-DDTHH:MM") from None
    spec = EntrySpec(entry_id, programme, clip, target, start_time, start_at,
                     rrule.upper().removeprefix("RRULE:") if rrule else None,
                     valid_from.date() if valid_from else None,
                     valid_until.date() if valid_until else None,
                     tuple(d.date() for d in exdates), priority,  # type: ignore[arg-type]
                     on_collision, slot_minutes)  # type: ignore[arg-type]
    with transaction(ctx.app.sessions) as session:
        status = save_entry(session, spec, origin=Origin.CLI.value)
    click.echo(f"entry {entry_id} {status}; publish to send it to the stations")


@schedule.command("remove")
@click.argument("entry_id")
@pass_ctx
def schedule_remove(ctx: Context, entry_id: str) -> None:
    """Remove one schedule entry."""

    with transaction(ctx.app.sessions) as session:
        made = remove_entry(session, entry_id, origin=Origin.CLI.value)
    click.echo(f"entry {entry_id} removed; publish to send the change to the stations")
    if made == Origin.FILE.value:
        click.echo(f"note: entry {entry_id} was made by the schedule files: the next schedule "
                   "apply adds it again unless you remove it from the file", err=True)


def _local(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M:%S")


@schedule.command("show", short_help="A station's resolved day.")
@click.option("--station", "code", required=True, help="Station code.")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), help="Local date "
              "(default: today in the station's zone).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def schedule_show(ctx: Context, code: str, day: datetime | None, as_json: bool) -> None:
    """Print a station's resolved day: items, conflicts and rule problems."""

    with ctx.app.sessions() as session:
        station = get_station(session, code)

        group_chain(station.group)
    tz = ZoneInfo(station.timezone)
    local_day: date = day.date() if day else datetime.now(tz).date()
    start = datetime.combine(local_day, datetime.min.time(), tz)
    plan = Planner(ctx.app).plan(station, start, start + timedelta(days=1))
    rows: list[dict[str, Any]] = [{
        "start": i.start.astimezone(tz).isoformat(), "end": i.end.astimezone(tz).isoformat(),
        "priority": i.priority, "entry": i.rule_id, "programme": i.programme,
        "title": plan.titles.get(i.rule_id, i.programme), "part": i.part,
        "offset_s": i.offset.total_seconds(), "over_slot": i.over_slot,
    } for i in plan.resolution.items]
    conflicts = [{"time": c.time.astimezone(tz).isoformat(), "winner": c.winner,
                  "loser": c.loser, "resolution": c.resolution, "note": c.note}
                 for c in plan.resolution.conflicts]
    violations = [{"rule": v.rule, "entry": v.rule_id, "message": v.message}
                  for v in plan.violations]
    if as_json:
        echo_json({"station": station.code, "date": local_day.isoformat(),
                   "timezone": station.timezone, "items": rows, "conflicts": conflicts,
                   "violations": violations})
        return
    click.echo(f"{station.code} {station.name} — {local_day:%Y-%m-%d} ({station.timezone})")
    if not rows:
        click.echo("  nothing scheduled")
    for i in plan.resolution.items:
        flags = f" part {i.part} from {i.offset.total_seconds():.0f} s" if i.part > 1 else ""
        flags += "  ! longer than its slot" if i.over_slot else ""
        click.echo(f"  {_local(i.start, tz)}-{_local(i.end, tz)}  {i.priority:<9} "
                   f"{plan.titles.get(i.rule_id, i.programme)}  [{i.rule_id}]{flags}")
    for c in conflicts:
        click.echo(f"  conflict {c['resolution']}: {c['note']}")
    for v in violations:
        click.echo(f"  rule {v['rule']}: {v['message']}")


@main.command("publish", short_help="Publish the next window for every station.")
@click.option("--days", type=float,
              help="Window length in days (default: the 'publish_window_hours' setting, 48 h).")
@click.option("--diff", "show_diff", is_flag=True, help="Only show what would change for whom.")
@click.option("--rollback", type=int, metavar="N", help="Publish publication N again.")
@click.option("--note", default="", help="A note stored with the publication.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def publish_cmd(ctx: Context, days: float | None, show_diff: bool, rollback: int | None,
                note: str, as_json: bool) -> None:
    """Resolve the window into an immutable, numbered publication (or --diff, --rollback)."""

    app = ctx.app
    if not show_diff:  # what a killed publisher left: folders under the lock, media here
        clean_temp(app)
    if rollback is not None:
        number = roll(app, rollback)
        if as_json:
            echo_json({"publication": number, "rollback_of": rollback})
        else:
            click.echo(f"publication {number} published (the content of publication "
                       f"{rollback})")
        return
    window = timedelta(days=days) if days else timedelta(hours=ctx.config.publish_window_hours)
    if show_diff:
        now = datetime.now().astimezone()
        changes = diff(app, plan_all(app, now, now + window))
        _echo_changes(changes, None, as_json)
        return
    number, changes = publish(app, window=window, note=note)
    _echo_changes(changes, number, as_json)


def _echo_changes(changes: list[Any], number: int | None, as_json: bool) -> None:
    """What changed for whom, and the publication made (none for --diff)."""
    if as_json:
        echo_json({"publication": number, "changes": [
            {"code": c.code, "status": c.status, "added": list(c.added),
             "removed": list(c.removed)} for c in changes]})
        return
    for change in changes:
        detail = ""
        if change.added or change.removed:
            detail = f" (+{len(change.added)} -{len(change.removed)} items)"
        click.echo(f"{change.status:<10} {change.code}{detail}")
    if number is not None:
        click.echo(f"publication {number} published")


@main.command("publications", short_help="List publications.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def publications_cmd(ctx: Context, as_json: bool) -> None:
    """List publications, newest first; the one in force is marked."""

    current = current_number(ctx.app)
    rows: list[dict[str, Any]] = [{"number": p.number, "created_at": p.created_at.isoformat(),
             "window_start": p.window_start.isoformat(), "window_end": p.window_end.isoformat(),
             "stations": len(p.stations), "note": p.note, "rollback_of": p.rollback_of,
             "current": p.number == current} for p in list_publications(ctx.app)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no publications yet; make one with: broadcaster publish")
    for r in rows:
        mark = "*" if r["current"] else " "
        click.echo(f"{mark} {r['number']:>5}  {r['created_at'][:19]}  {r['stations']:>4} stations"
                   f"  {r['note']}")
