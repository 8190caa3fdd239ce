"""Log lines on stderr, plain or JSON, timestamps in UTC. Imports nothing heavy: every command
sets logging up before it knows whether it needs the rest of broadcaster."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment of each record (tests swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def setup_logging(level: str, fmt: str = "text") -> None:
    """Log lines on stderr: plain and greppable (``text``) or one JSON object each (``json``).

    JSON lines carry ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus any
    ``extra=`` fields, for log shippers.
    """
    handler = _StderrHandler()
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z", json_ensure_ascii=False))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic announces every migration step at INFO; one line from `db init` is enough.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    # APScheduler logs two lines per job run; the daemon logs one line per job that did work.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
