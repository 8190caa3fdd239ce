"""``broadcaster check``: one consistency check over publications, media and announcements."""

from __future__ import annotations

import click

from broadcaster.cli import Context, echo_json, main, pass_ctx


@main.command("check", short_help="Check that nothing is half-made, lost or doubled.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@pass_ctx
def check_cmd(ctx: Context, as_json: bool) -> None:
    """Check every publication (complete, files hashing as recorded, `current` sound), every
    media file in use (present, hashing to its name) and every announcement (none half-made,
    none doubled); one line per problem, then a summary. Exits 1 when anything is wrong.
    """
    from broadcaster.check import check

    report = check(ctx.app)
    if as_json:
        echo_json(report.info())
    else:
        for problem in report.problems:
            click.echo(problem.line())
        click.echo(report.summary())
    if not report.ok:
        click.get_current_context().exit(1)
