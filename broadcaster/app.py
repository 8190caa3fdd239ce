"""Wiring: the one place where the configuration becomes live objects.

CLI commands (and, later, the daemon and the web app) build one :class:`App` and call plain
functions with its parts. Nothing here runs at import time.
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.config import Config
from broadcaster.db import make_engine, migrate, session_factory
from broadcaster.media import Ffmpeg, MediaStore, find_ffmpeg
from broadcaster.programme import Builder
from broadcaster.speech import Renderer
from broadcaster.text import Lexicon


@dataclass
class App:
    """Live objects built from one configuration."""

    config: Config

    @cached_property
    def engine(self) -> Engine:
        """The database engine; the schema is migrated to the latest revision on first use."""
        engine = make_engine(self.config.db_url)
        migrate(engine)
        return engine

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory bound to :attr:`engine`."""
        return session_factory(self.engine)

    @cached_property
    def store(self) -> MediaStore:
        """The content-addressed media store under HOME/media."""
        return MediaStore(self.config.media_dir)

    @cached_property
    def ffmpeg(self) -> Ffmpeg:
        """The ffmpeg wrapper."""
        return Ffmpeg(find_ffmpeg(self.config.ffmpeg))

    @cached_property
    def lexicon(self) -> Lexicon:
        """The packaged lexicon merged with the operator's files."""
        return Lexicon.load(self.config.lexicon_paths)

    @cached_property
    def renderer(self) -> Renderer:
        """The text-to-clip renderer."""
        return Renderer(self.config, self.sessions, self.store, self.ffmpeg, self.lexicon)

    @cached_property
    def builder(self) -> Builder:
        """The programme builder."""
        return Builder(self.renderer, self.store, self.ffmpeg, self.config.assets_dir)

    def close(self) -> None:
        """Release database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()


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
