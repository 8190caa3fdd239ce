"""``broadcaster announce``: speak, schedule and publish an announcement now or at a time.

When ``broadcaster serve`` runs on this machine for the same HOME, the command hands the
announcement to it (see :mod:`broadcaster.local_service`): the service has the speech stack
loaded and speaks at once, where this process would first spend two seconds importing it.
Otherwise, or with ``--here``, the command does the work itself; the result is the same.
This module therefore imports nothing heavy at the top.

Each command makes one request key and sends it along. A dropped connection is no proof that
the service did nothing: when the service stops answering, the command makes the announcement
itself under the same key, which first looks the key up in the database (the same HOME). An
announcement the service published is reported, not made again; one it left half-made is
withdrawn and made here (see :mod:`broadcaster.announce_recovery`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.domain.vocabulary import Priority
from broadcaster.errors import InputError
from broadcaster.local_service import ANNOUNCEMENTS, ServiceUnreachable, find
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
@click.option("--priority", type=click.Choice([p.value for p in Priority]),
              default=Priority.HIGH.value, show_default=True,
              help="emergency pre-empts what is playing and starts with the alarm tone.")
@click.option("--cancel", "cancel_id", type=int, metavar="ID",
              help="Withdraw announcement ID instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--here", is_flag=True,
              help="Do the work in this process even if the service runs on this machine.")
@pass_ctx
def announce_cmd(ctx: Context, text: str | None, file_: Path | None, target: str | None,
                 at: str | None, now_: bool, repeat: int, every: int | None, until: str | None,
                 priority: str, cancel_id: int | None, as_json: bool, here: bool) -> None:
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
        info = _cancel(ctx, cancel_id, here)
        if as_json:
            echo_json(info)
        else:
            click.echo(f"announcement {cancel_id} cancelled; publication {info['publication']}")
        return
    if bool(text) == bool(file_):
        raise click.UsageError("give the text or --file, not both")
    if not target:
        raise click.UsageError("--to GROUP|STATION is required")
    if at and now_:
        raise click.UsageError("--at and --now exclude each other")
    if file_ is not None:
        from broadcaster.documents import read_document

        text = read_document(file_, ctx.config.max_document_bytes).text
    wanted = {"text": text, "to": target, "priority": priority,
              "at": parse_when(at, "--at", now).isoformat() if at else None, "repeat": repeat,
              "every_minutes": every,
              "until": parse_when(until, "--until", now).isoformat() if until else None,
              "request_key": secrets.token_urlsafe(24)}
    info, by = _announce(ctx, wanted, now, here)
    if as_json:
        echo_json(info)
        return
    click.echo(info["id"])
    engine = info["engine"] + (" (fallback: the online engine failed)" if info["fallback"]
                               else "")
    click.echo(f"announcement {info['id']}: {priority}, {info['airings']} airing(s) from "
               f"{datetime.fromisoformat(info['starts_at']):%Y-%m-%d %H:%M:%S}, "
               f"{info['stations']} station(s), {info['duration_s']:.1f} s, spoken by {engine}; "
               f"publication {info['publication']} ({by})", err=True)


def _by_service(ctx: Context, path: str, payload: dict[str, Any], here: bool, doing: str
                ) -> tuple[dict[str, Any], str] | None:
    """Hand the work to the running service of this HOME, if there is one and it answers;
    its answer and who did it."""
    service = None if here else find(ctx.config.home)
    if service is None:
        return None
    try:
        return service.call(path, payload), f"by the service, pid {service.pid}"
    except ServiceUnreachable as exc:
        click.echo(f"broadcaster: the service did not answer ({exc}); {doing} from this "
                   "process", err=True)
        return None


def _announce(ctx: Context, wanted: dict[str, Any], now: datetime, here: bool
              ) -> tuple[dict[str, Any], str]:
    """Make the announcement through the running service or here; what it is, and by whom."""
    if (done := _by_service(ctx, ANNOUNCEMENTS, wanted, here, "announcing")) is not None:
        return done
    from broadcaster.announce import AnnouncementRequest, announce

    request = AnnouncementRequest(
        text=wanted["text"], target=wanted["to"], priority=wanted["priority"],
        at=_moment(wanted["at"]), repeat=wanted["repeat"],
        every_minutes=wanted["every_minutes"], until=_moment(wanted["until"]),
        request_key=wanted["request_key"])
    made = announce(ctx.app, request, now)
    if made.existing:  # the service made it before it stopped answering
        return made.info(), "made before the service stopped answering; not made again"
    return made.info(), "by this command"


def _cancel(ctx: Context, announcement_id: int, here: bool) -> dict[str, Any]:
    path = f"{ANNOUNCEMENTS}/{announcement_id}/cancel"
    if (done := _by_service(ctx, path, {}, here, "cancelling")) is not None:
        return done[0]
    from broadcaster.announce import cancel

    return {"cancelled": announcement_id, "publication": cancel(ctx.app, announcement_id)}


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
