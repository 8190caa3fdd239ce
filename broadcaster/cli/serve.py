"""``broadcaster serve``: the daemon (HTTP for stations, and the scheduler in one process)."""

from __future__ import annotations

import click

from broadcaster.cli import Context, main, pass_ctx


@main.command("serve", short_help="Run the service: station HTTP API and scheduler.")
@click.option("--host", help="Listen address (default: the 'host' setting, 127.0.0.1).")
@click.option("--port", type=int, help="Listen port (default: the 'port' setting, 8080).")
@click.option("--no-scheduler", is_flag=True,
              help="Serve HTTP only; never run the scheduler jobs in this process.")
@pass_ctx
def serve_cmd(ctx: Context, host: str | None, port: int | None, no_scheduler: bool) -> None:
    """Serve stations over HTTP and run the scheduled jobs until SIGTERM.

    With PostgreSQL several processes may serve behind one proxy: one of them (the holder of
    the scheduler lock) runs the jobs, and another takes over when it stops.
    """
    from broadcaster.service import serve  # the web stack loads only for this command

    config = ctx.config
    app = ctx.app
    app.engine  # noqa: B018  (migrate before the first request, and fail early if it cannot)
    click.echo(f"broadcaster serving {config.home.resolve()} on "
               f"http://{host or config.host}:{port if port is not None else config.port}",
               err=True)
    serve(app, host or config.host, port if port is not None else config.port,
          scheduler=not no_scheduler)
