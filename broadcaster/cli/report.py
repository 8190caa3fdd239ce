"""``report`` commands: what the stations received and played."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx
from broadcaster.coverage import (
    LOCAL,
    Coverage,
    GroupCoverage,
    StationCoverage,
    coverage,
    parse_period,
    station_json,
    to_json,
)

CSV_FIELDS = ("code", "name", "group", "expected", "received", "received_at",
              "received_publication", "played", "first_played_at", "preempted", "failed",
              "skipped", "status", "last_seen_at", "offline_since")


@main.group(short_help="Reports: which stations received and played what.")
def report() -> None:
    """Reports on what the stations received and played."""


@report.command("coverage", short_help="Which stations received and played a programme.")
@click.option("--since", metavar="TIME", help="Start, local time: '2026-11-27 07:00' or a date "
              "(its midnight). Default: 24 hours before --until.")
@click.option("--until", metavar="TIME", help="End, local time; a date means the end of that "
              "day. Default: now.")
@click.option("--programme", metavar="CODE", help="Only this programme (default: everything).")
@click.option("--group", metavar="G", help="Only stations in this group or below it.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]),
              help="Output format (default: table).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts (--format json).")
@pass_ctx
def report_coverage(ctx: Context, since: str | None, until: str | None, programme: str | None,
                    group: str | None, fmt: str | None, as_json: bool) -> None:
    """Per station and per group: expected, received (publication held) and played, for the
    period [--since, --until) in Asia/Ho_Chi_Minh time."""
    if as_json and fmt not in (None, "json"):
        raise click.UsageError(f"--json and --format {fmt} ask for two formats; give one")
    fmt = "json" if as_json else fmt or "table"
    start, end = parse_period(since, until)
    result = coverage(ctx.app, start, end, programme, group)
    if fmt == "json":
        echo_json(to_json(result))
    elif fmt == "csv":
        click.echo(_csv(result), nl=False)
    else:
        for line in _table(result):
            click.echo(line)


def _csv(result: Coverage) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in result.stations:
        fields = station_json(row)
        fields["received"] = "yes" if row.received else "no"
        writer.writerow("" if fields[k] is None else fields[k] for k in CSV_FIELDS)
    return out.getvalue()


def _when(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _aligned(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [indent + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def _station_cells(row: StationCoverage) -> list[str]:
    received = f"{_when(row.received_at)} (#{row.received_publication})" if row.received \
        else "no"
    played = f"{row.played}, from {_when(row.first_played_at)}" if row.played else "no"
    if row.status == "never":
        seen = "never reported"
    else:
        seen = _when(row.last_seen_at)
        if row.offline_since:
            seen += f", offline since {_when(row.offline_since)}"
    other = ", ".join(f"{k} {n}" for k, n in row.other.items())
    return [row.code, row.group or "-", str(row.expected), received, played, other or "-", seen]


def _share(count: int, pct: float | None) -> str:
    return f"{count} ({pct:.1f}%)" if pct is not None else str(count)


def _group_cells(row: GroupCoverage) -> list[str]:
    return ["  " * row.depth + row.code, str(row.stations), str(row.expected),
            _share(row.received, row.received_pct), _share(row.played, row.played_pct),
            str(row.offline), str(row.never)]


def _table(result: Coverage) -> list[str]:
    what = f"programme {result.programme}" if result.programme else "every programme"
    where = f"group {result.group}" if result.group else "every station"
    lines = [f"Coverage of {what}, {where}, from {_when(result.since)} to {_when(result.until)} "
             f"({LOCAL.key})",
             "publications: " + (", ".join(map(str, result.publications)) or "none")]
    for number in result.unreadable:
        lines.append(f"note: publication {number} has no index.json any more (pruned?); its "
                     "items are not counted")
    if not result.stations:
        lines.append(f"no station was expected to play {what} in this period")
        return lines
    lines.append("")
    lines += _aligned([["station", "group", "items", "received", "played", "other",
                        "last seen"], *map(_station_cells, result.stations)])
    lines.append("")
    lines += _aligned(_summary_rows(result))
    return lines


def _summary_rows(result: Coverage) -> list[list[str]]:
    rows = [["group", "stations", "expected", "received", "played", "offline", "never"],
            *map(_group_cells, result.groups)]
    if result.group is None:
        rows.append(_group_cells(result.total))
    return rows
