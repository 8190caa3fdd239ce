"""``stations`` and ``groups`` commands."""

from __future__ import annotations

import json

import click

from broadcaster.cli import Context, echo_fields, echo_json, main, pass_ctx
from broadcaster.db import transaction
from broadcaster.domain.vocabulary import GroupKind, Origin, StationKind
from broadcaster.errors import InputError
from broadcaster.stations import (
    DEFAULT_TIMEZONE,
    add_group,
    add_station,
    get_group,
    get_station,
    group_chain,
    group_summary,
    list_groups,
    list_stations,
    rotate_token,
    station_summary,
)


def _aliases(values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        code, _, name = value.partition("=")
        if not code:
            raise InputError(f"--alias {value!r}: write OLDCODE or OLDCODE=Old name")
        out.append((code.strip(), name.strip()))
    return out


@main.group(short_help="Add, list and show stations; issue tokens.")
def stations() -> None:
    """Stations: commune loudspeaker systems, radio and TV channels."""


@stations.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Vietnamese name, e.g. 'Đài truyền thanh xã Tân Tiến'.")
@click.option("--kind", type=click.Choice([k.value for k in StationKind]),
              default=StationKind.LOUDSPEAKER.value, show_default=True)
@click.option("--profile", help="Output profile (default: loudspeaker, or radio for radio/tv).")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@click.option("--group", help="Group code (commune, ward, cluster...).")
@click.option("--alias", "aliases", multiple=True, metavar="OLDCODE[=Old name]",
              help="A former (pre-2025) code; repeatable.")
@pass_ctx
def stations_add(ctx: Context, code: str, name: str, kind: str, profile: str | None,
                 timezone: str, group: str | None, aliases: tuple[str, ...]) -> None:
    """Add a station."""
    profile = profile or ("loudspeaker" if kind == StationKind.LOUDSPEAKER else "radio")
    with transaction(ctx.app.sessions) as session:
        station = add_station(session, code, name, kind, profile, timezone, group,
                              _aliases(aliases), tuple(ctx.config.profiles),
                              origin=Origin.CLI.value)
        click.echo(f"station {station.code} added ({station.kind}, profile {station.profile}); "
                   f"issue its token with: broadcaster stations token {station.code} --rotate")


@stations.command("list")
@click.option("--group", help="Only stations in this group or below it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def stations_list(ctx: Context, group: str | None, as_json: bool) -> None:
    """List stations."""
    with ctx.app.sessions() as session:
        rows = [station_summary(session, s) for s in list_stations(session, group)]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no stations yet; add one with: broadcaster stations add CODE --name NAME")
    for r in rows:
        click.echo(f"{r['code']:<20} {r['kind']:<12} {r['group'] or '-':<20} {r['name']}")


@stations.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def stations_show(ctx: Context, code: str, as_json: bool) -> None:
    """Show a station (by code or former code)."""
    with ctx.app.sessions() as session:
        info = station_summary(session, get_station(session, code))
    if as_json:
        echo_json(info)
        return
    echo_fields(info, ("code", "name", "kind", "profile", "timezone", "group", "origin"))
    click.echo(f"{'groups:':<10} {' < '.join(info['groups']) or '-'}")
    click.echo(f"{'rules:':<10} {json.dumps(info['rules'], ensure_ascii=False)}")
    for alias in info["aliases"]:
        click.echo(f"{'former:':<10} {alias['code']} {alias['name']}")
    issued = info["token_issued_at"]
    click.echo(f"{'token:':<10} {'issued ' + issued if issued else 'none issued'}")


@stations.command("token")
@click.argument("code")
@click.option("--rotate", is_flag=True, help="Issue a new token; the old one stops working.")
@pass_ctx
def stations_token(ctx: Context, code: str, rotate: bool) -> None:
    """Issue a station's secret token (printed once, alone on stdout)."""
    with transaction(ctx.app.sessions) as session:
        station = get_station(session, code)
        if not rotate:
            when = station.token_issued_at
            click.echo(f"station {station.code}: token "
                       + (f"issued {when.isoformat()}" if when else "never issued")
                       + "; tokens are stored hashed and cannot be shown again; "
                         "use --rotate to issue a new one", err=True)
            return
        token = rotate_token(session, station)
    click.echo(token)


@main.group(short_help="Add, list and show groups of stations.")
def groups() -> None:
    """Groups: the province -> commune/ward -> cluster tree."""


@groups.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Vietnamese name, e.g. 'Xã Tân Tiến'.")
@click.option("--kind", type=click.Choice([k.value for k in GroupKind]),
              default=GroupKind.COMMUNE.value, show_default=True)
@click.option("--parent", help="Parent group code.")
@click.option("--hours", help="Allowed broadcast hours, e.g. 05:00-21:00.")
@click.option("--max-session-minutes", type=int, help="Longest session, in minutes.")
@click.option("--max-sessions-per-day", type=int, help="Sessions per day.")
@click.option("--alias", "aliases", multiple=True, metavar="OLDCODE[=Old name]",
              help="A former (pre-2025) code; repeatable.")
@pass_ctx
def groups_add(ctx: Context, code: str, name: str, kind: str, parent: str | None,
               hours: str | None, max_session_minutes: int | None,
               max_sessions_per_day: int | None, aliases: tuple[str, ...]) -> None:
    """Add a group."""
    rules = {k: v for k, v in {"hours": hours, "max_session_minutes": max_session_minutes,
                               "max_sessions_per_day": max_sessions_per_day}.items()
             if v is not None}
    with transaction(ctx.app.sessions) as session:
        group = add_group(session, code, name, kind, parent, rules, _aliases(aliases),
                          origin=Origin.CLI.value)
        click.echo(f"group {group.code} added under {parent or '(top)'}")


@groups.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def groups_list(ctx: Context, as_json: bool) -> None:
    """List groups as a tree."""
    with ctx.app.sessions() as session:
        ordered = list_groups(session)
        rows = [{**group_summary(session, g), "depth": len(group_chain(g)) - 1}
                for g in ordered]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        indent = "  " * r["depth"]
        click.echo(f"{indent}{r['code']:<{24 - len(indent)}} {r['kind']:<9} {r['name']}"
                   + (f"  ({len(r['stations'])} stations)" if r["stations"] else ""))


@groups.command("show")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def groups_show(ctx: Context, code: str, as_json: bool) -> None:
    """Show a group (by code or former code) with its rules and stations."""
    with ctx.app.sessions() as session:
        info = group_summary(session, get_group(session, code))
    if as_json:
        echo_json(info)
        return
    echo_fields(info, ("code", "name", "kind", "parent", "origin"))
    click.echo(f"{'rules:':<10} {json.dumps(info['effective_rules'], ensure_ascii=False)}")
    for alias in info["aliases"]:
        click.echo(f"{'former:':<10} {alias['code']} {alias['name']}")
    click.echo(f"{'stations:':<10} {', '.join(info['stations']) or '-'}")
