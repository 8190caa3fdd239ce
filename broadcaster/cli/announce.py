"""``broadcaster announce``: speak, schedule and publish an announcement now or at a time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click

from broadcaster.announce import PRIORITIES, AnnouncementRequest, announce, cancel
from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.documents import read_document
from broadcaster.errors import InputError
from broadcaster.localtime import LOCAL, parse_time


def parse_when(value: str, option: str, now: datetime) -> datetime:
    """A local (Asia/Ho_Chi_Minh) time: ``HH:MM`` (next such moment) or ``YYYY-MM-DD HH:MM``."""
    text = value.strip()
    try:
        if len(text) <= 8 and ":" in text:
            clock = time.fromisoformat(text)
            local_now = now.astimezone(LOCAL)
            moment = datetime.combine(local_now.date(), clock, LOCAL)
            if moment < local_now - timedelta(minutes=1):
                moment += timedelta(days=1)
            return moment.astimezone(UTC)
        return parse_time(text, option)
    except (ValueError, InputError):
        raise InputError(f"{option} {value!r}: write HH:MM or YYYY-MM-DD HH:MM "
                         "(Vietnam time)") from None


@main.command("announce", short_help="Speak and publish an announcement now or at a time.")
@click.argument("text", required=False)
@click.option("--file", "file_", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the text from a .txt, .md or .docx file.")
@click.option("--to", "target", metavar="GROUP|STATION", help="Who hears it.")
@click.option("--at", "at", metavar="TIME", help="When: HH:MM or 'YYYY-MM-DD HH:MM' (local).")
@click.option("--now", "now_", is_flag=True, help="At once (the default).")
@click.option("--repeat", type=int, default=1, show_default=True,
              help="How many airings in all.")
@click.option("--every", type=int, metavar="MIN", help="Minutes between airings.")
@click.option("--until", metavar="TIME", help="No airing after this time (local).")
@click.option("--priority", type=click.Choice(PRIORITIES), default="high", show_default=True,
              help="emergency pre-empts what is playing and starts with the alarm tone.")
@click.option("--cancel", "cancel_id", type=int, metavar="ID",
              help="Withdraw announcement ID instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def announce_cmd(ctx: Context, text: str | None, file_: Path | None, target: str | None,
                 at: str | None, now_: bool, repeat: int, every: int | None, until: str | None,
                 priority: str, cancel_id: int | None, as_json: bool) -> None:
    """Speak TEXT (or --file), schedule it for --to and publish it; prints its id.

    \b
    broadcaster announce "Mất điện từ 8 giờ đến 11 giờ." --to BS-TANTIEN --at 07:30
    broadcaster announce --file lu.txt --to BS --now --priority emergency --repeat 3 --every 10
    broadcaster announce --cancel 12
    """
    now = datetime.now(UTC)
    if cancel_id is not None:
        if text or file_ or target:
            raise click.UsageError("--cancel takes only the announcement id")
        number = cancel(ctx.app, cancel_id, now)
        if as_json:
            echo_json({"cancelled": cancel_id, "publication": number})
        else:
            click.echo(f"announcement {cancel_id} cancelled; publication {number}")
        return
    if bool(text) == bool(file_):
        raise click.UsageError("give the text or --file, not both")
    if not target:
        raise click.UsageError("--to GROUP|STATION is required")
    if at and now_:
        raise click.UsageError("--at and --now exclude each other")
    body = text or read_document(file_, ctx.config.max_document_bytes).text  # type: ignore[arg-type]
    request = AnnouncementRequest(
        text=body, target=target, priority=priority,
        at=parse_when(at, "--at", now) if at else None, repeat=repeat, every_minutes=every,
        until=parse_when(until, "--until", now) if until else None)
    made = announce(ctx.app, request, now)
    info = {"id": made.id, "programme": made.programme,
            "starts_at": made.starts_at.astimezone(LOCAL).isoformat(), "airings": made.airings,
            "stations": len(made.stations), "publication": made.publication,
            "engine": made.engine, "fallback": made.fallback,
            "duration_s": round(made.duration_ms / 1000, 1)}
    if as_json:
        echo_json(info)
        return
    click.echo(made.id)
    engine = made.engine + (" (fallback: the online engine failed)" if made.fallback else "")
    click.echo(f"announcement {made.id}: {priority}, {made.airings} airing(s) from "
               f"{made.starts_at.astimezone(LOCAL):%Y-%m-%d %H:%M:%S}, "
               f"{len(made.stations)} station(s), {made.duration_ms / 1000:.1f} s, spoken by "
               f"{engine}; publication {made.publication}", err=True)
