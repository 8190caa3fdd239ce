"""Storage: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from broadcaster.db.engine import (
    current_revision,
    make_engine,
    migrate,
    session_factory,
    transaction,
)
from broadcaster.db.models import Base, Clip, Document, DocumentRevision, UTCDateTime, utcnow

__all__ = [
    "Base",
    "Clip",
    "Document",
    "DocumentRevision",
    "UTCDateTime",
    "current_revision",
    "make_engine",
    "migrate",
    "session_factory",
    "transaction",
    "utcnow",
]
