"""``db`` and ``config`` commands."""

from __future__ import annotations

import dataclasses

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.db import current_revision, make_engine, migrate
from broadcaster.settings_table import server_settings


@main.group()
def db() -> None:
    """Create, migrate and inspect the database."""


@db.command("init")
@pass_ctx
def db_init(ctx: Context) -> None:
    """Create the database or migrate it to the latest schema."""
    engine = make_engine(ctx.config.db_url)
    try:
        before = current_revision(engine)
        after = migrate(engine)
    finally:
        engine.dispose()
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"database {url} is up to date (schema {after})")
    else:
        click.echo(f"database {url} migrated from {before or 'empty'} to schema {after}")


@main.group("config")
def config_group() -> None:
    """Show the effective configuration."""


@config_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def config_show(ctx: Context, as_json: bool) -> None:
    """Print every setting with its value and where the value came from."""
    cfg = ctx.config
    rows = [{"name": s.name, "value": str(cfg.value(s.name)),
             "source": cfg.sources.get(s.name, "default"), "help": s.help}
            for s in server_settings()]
    if as_json:
        profiles = {n: dataclasses.asdict(p) for n, p in cfg.profiles.items()}
        echo_json({"settings": rows, "profiles": profiles})
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['value']!s:<40}  ({r['source']})")
    for p in cfg.profiles.values():
        click.echo(f"profile {p.name}: {p.format} {p.bitrate} {p.sample_rate} Hz "
                   f"{p.channels} ch, {p.loudness_lufs} LUFS, ceiling {p.true_peak_dbtp} dBTP, "
                   f"rate {p.rate}, pauses {p.sentence_pause_ms}/{p.paragraph_pause_ms} ms")
