"""``broadcaster demo``: the example province, ready to serve (what ``make run`` does first)."""

from __future__ import annotations

from datetime import timedelta

import click

from broadcaster.cli import Context, main, pass_ctx
from broadcaster.cli.speech import EXAMPLE, _report, resolve_input, speak
from broadcaster.db import transaction
from broadcaster.documents import add_document, read_document
from broadcaster.fsutil import atomic_copy, atomic_write_bytes, shipped_path
from broadcaster.publish.publication import publish
from broadcaster.schedule import load_schedule
from broadcaster.schedule.sync import apply_spec
from broadcaster.stations import get_station, rotate_token

# The example province, a package copy of schedules/binh-son.yaml (tests/test_demo_data.py
# keeps the two identical), so the demo runs from an install without the repository.
PROVINCE = ("demo", "binh-son.yaml")
DEMO_STATION = "XUANLOC-01"


@main.command("demo", short_help="Set up the example province offline, ready to serve.")
@click.option("--engine", default="espeak", show_default=True, help="Engine or chain.")
@click.option("--speak-only", is_flag=True, help="Only speak the example summary.")
@pass_ctx
def demo_cmd(ctx: Context, engine: str, speak_only: bool) -> None:
    """Speak the example summary offline, load the example province, publish it and print how
    to pull a station's playlist once ``broadcaster serve`` runs."""
    example, province = shipped_path(*EXAMPLE), shipped_path(*PROVINCE)
    source = resolve_input(ctx, str(example))
    click.echo(f"speaking {example.name} ({len(source.text):,} characters) with {engine} ...")
    result = speak(ctx, source, engine=engine, profile=None, voice=None, rate=None,
                   sentence_pause=None, paragraph_pause=None, dialect=None)
    out = ctx.config.home / "demo" / f"{example.stem}.{result.clip.ext}"
    atomic_copy(result.path, out)
    _report(result, out.resolve(), as_json=False)
    if speak_only:
        return
    app = ctx.app
    with transaction(app.sessions) as session:
        add_document(session, read_document(example, ctx.config.max_document_bytes))
        apply_spec(session, load_schedule([province]), tuple(ctx.config.profiles))
    click.echo(f"loaded the example province (schedules/{province.name}); publishing "
               "(the first time builds every programme) ...")
    number, changes = publish(app, window=timedelta(hours=ctx.config.publish_window_hours),
                              note="demo")
    with transaction(app.sessions) as session:
        token = rotate_token(session, get_station(session, DEMO_STATION))
    token_file = ctx.config.home / "demo" / f"{DEMO_STATION}.token"
    atomic_write_bytes(token_file, token.encode() + b"\n", private=True)
    base = f"http://{ctx.config.host}:{ctx.config.port}"
    playlist = f"{base}/api/v1/stations/{DEMO_STATION}/playlist"
    click.echo(f"publication {number}: {len(changes)} stations\n"
               f"\nstation {DEMO_STATION}'s token is in {token_file}. Once the service runs:\n"
               f"  curl -i -H \"Authorization: Bearer $(cat {token_file})\" {playlist}.json\n"
               f"  mpv \"{playlist}.m3u8?token=$(cat {token_file})\"")
