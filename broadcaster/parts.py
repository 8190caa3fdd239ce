"""The live parts the domain functions use: configuration, database, media store.

:class:`broadcaster.app.App` builds them (it is the wiring, for the shells); the functions of
publication, announcements, checks and coverage take anything that has them, typed by
:class:`Parts`, so that they never import the wiring above them.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.config import Config
from broadcaster.media import MediaStore


class Parts(Protocol):
    """Configuration, database engine and sessions, media store (``App`` has them)."""

    @property
    def config(self) -> Config:
        """The configuration (``home``, settings)."""

    @property
    def engine(self) -> Engine:
        """The database engine (its dialect picks the kind of lock)."""

    @property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory bound to :attr:`engine`."""

    @property
    def store(self) -> MediaStore:
        """The content-addressed media store."""


__all__ = ["Parts"]
