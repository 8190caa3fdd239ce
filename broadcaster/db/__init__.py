"""Storage: SQLAlchemy 2 models, engine set-up and Alembic migrations."""

from broadcaster.db.engine import (
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
    transaction,
)
from broadcaster.db.models import (
    Alias,
    Base,
    Clip,
    Document,
    DocumentRevision,
    Entry,
    Group,
    Programme,
    Publication,
    Station,
    UTCDateTime,
    utcnow,
)

__all__ = [
    "Alias",
    "Base",
    "Clip",
    "Document",
    "DocumentRevision",
    "Entry",
    "Group",
    "Programme",
    "Publication",
    "Station",
    "UTCDateTime",
    "current_revision",
    "head_revision",
    "make_engine",
    "migrate",
    "session_factory",
    "transaction",
    "utcnow",
]
