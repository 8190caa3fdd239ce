"""``programme`` commands: add, list, show and build programmes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.db import transaction
from broadcaster.domain.vocabulary import Origin
from broadcaster.fsutil import atomic_copy
from broadcaster.programme import (
    ProgrammeDef,
    get_programme,
    list_programmes,
    parse_item,
    save_programme,
)
from broadcaster.stations import get_station


@main.group(short_help="Add, list, show and build programmes.")
def programme() -> None:
    """Programmes: jingles, idents, spoken documents, text, recordings, silence, relays."""


@programme.command("add")
@click.argument("code")
@click.option("--title", required=True, help="Vietnamese title, e.g. 'Thời sự buổi sáng'.")
@click.option("--item", "items", multiple=True, required=True, metavar="KIND:VALUE",
              help="jingle:NAME, ident:TEXT, document:KEY, text:TEXT, file:PATH, silence:2s, "
                   "relay:URL|30m|FALLBACK; repeatable, in order.")
@click.option("--gap-ms", type=int, default=300, show_default=True, help="Gap between items.")
@click.option("--fade-ms", type=int, default=30, show_default=True, help="Fade at item edges.")
@pass_ctx
def programme_add(ctx: Context, code: str, title: str, items: tuple[str, ...], gap_ms: int,
                  fade_ms: int) -> None:
    """Create or replace a programme (not one the schedule files or announce made)."""
    defn = ProgrammeDef(code, title, tuple(parse_item(i) for i in items), gap_ms, fade_ms)
    with transaction(ctx.app.sessions) as session:
        _, status = save_programme(session, defn, origin=Origin.CLI.value)
    click.echo(f"programme {code} {status} ({len(defn.items)} items)")


@programme.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def programme_list(ctx: Context, as_json: bool) -> None:
    """List programmes."""
    with ctx.app.sessions() as session:
        rows = [p.to_json() for p in list_programmes(session)]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        kinds = ", ".join(i["kind"] for i in r["items"])
        click.echo(f"{r['code']:<24} {r['title']}  [{kinds}]")


@programme.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def programme_show(ctx: Context, code: str, as_json: bool) -> None:
    """Show a programme's items."""
    with ctx.app.sessions() as session:
        data = get_programme(session, code).to_json()
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['code']}: {data['title']} (gap {data['gap_ms']} ms, fade "
               f"{data['fade_ms']} ms)")
    for n, item in enumerate(data["items"], 1):
        extra = f" {item['duration_ms'] / 1000:g} s" if item["duration_ms"] else ""
        extra += f" (fallback {item['fallback']})" if item["fallback"] else ""
        click.echo(f"{n:>3}. {item['kind']:<9} {item['value']}{extra}")


@programme.command("build")
@click.argument("code")
@click.option("--station", help="Build the variant for this station (needed with an ident).")
@click.option("--profile", help="Output profile (default: the station's, else the setting).")
@click.option("--engine", help="Speech engine chain for spoken items.")
@click.option("-o", "--output", type=click.Path(), help="Copy the first audio part here.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def programme_build(ctx: Context, code: str, station: str | None, profile: str | None,
                    engine: str | None, output: str | None, as_json: bool) -> None:
    """Assemble a programme into clips (cached: unchanged parts are not rebuilt)."""
    station_name, profile_name = "", profile
    with ctx.app.sessions() as session:
        defn = get_programme(session, code)
        if station:
            st = get_station(session, station)
            station_name, profile_name = st.name, profile or st.profile
    chain = tuple(n.strip() for n in engine.split(",")) if engine else None
    built = ctx.app.builder.build(defn, ctx.config.get_profile(profile_name), station_name,
                                  chain)
    parts: list[dict[str, Any]] = []
    for part in built.parts:
        entry: dict[str, Any] = {"kind": part.kind, "duration_ms": part.duration_ms}
        if part.clip is not None:
            entry |= {"clip": part.clip.id, "sha256": part.clip.sha256,
                      "path": str(ctx.app.store.path_for(part.clip.sha256, part.clip.ext)),
                      "loudness_lufs": part.clip.loudness_lufs}
        if part.kind == "relay":
            entry |= {"url": part.url,
                      "fallback_sha256": part.fallback.sha256 if part.fallback else None}
        parts.append(entry)
    if output:
        first = next((p for p in built.parts if p.clip is not None), None)
        if first is not None and first.clip is not None:
            atomic_copy(ctx.app.store.path_for(first.clip.sha256, first.clip.ext), Path(output))
    if as_json:
        echo_json({"programme": code, "station": station,
                   "duration_ms": int(built.duration.total_seconds() * 1000), "parts": parts})
        return
    click.echo(f"programme {code}{' for ' + station if station else ''}: "
               f"{built.duration.total_seconds():.1f} s in {len(parts)} part(s)")
    for p in parts:
        if p["kind"] == "audio":
            click.echo(f"  audio  {p['duration_ms'] / 1000:8.1f} s  {p['loudness_lufs']:.1f} LUFS"
                       f"  {p['path']}")
        else:
            click.echo(f"  relay  {p['duration_ms'] / 1000:8.1f} s  {p['url']}")
