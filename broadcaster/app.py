"""Wiring: the one place where the configuration becomes live objects.

The shells (CLI commands, the ``serve`` daemon and its web app) build one :class:`App` and
call plain functions with its parts. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.config import Config
from broadcaster.db import make_engine, migrate, session_factory
from broadcaster.media import Ffmpeg, MediaStore, find_ffmpeg
from broadcaster.programme import Builder
from broadcaster.speech import Renderer
from broadcaster.text import LexiconFiles


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
    def lexicon(self) -> LexiconFiles:
        """The one lexicon of the process: packaged, the operator's files, the UI's readings."""
        return LexiconFiles(self.config.lexicon_paths, self.config.readings_path)

    @cached_property
    def renderer(self) -> Renderer:
        """The text-to-clip renderer."""
        return Renderer(self.config, self.sessions, self.store, self.ffmpeg, self.lexicon)

    @cached_property
    def builder(self) -> Builder:
        """The programme builder."""
        return Builder(self.renderer, self.store, self.ffmpeg, self.config.assets_dir,
                       self.config.recordings_base)

    def close(self) -> None:
        """Release database connections."""
        if "engine" in self.__dict__:
            self.engine.dispose()
