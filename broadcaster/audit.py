"""The audit log: who changed or published what, and when."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from broadcaster.db.engine import transaction
from broadcaster.db.models import AuditEvent


def record(session: Session, user: str, action: str, subject: str = "",
           detail: str = "") -> None:
    """Add one line to the audit log (in the caller's transaction)."""
    session.add(AuditEvent(user_name=user, action=action, subject=subject[:200],
                           detail=detail[:1000]))


def log_event(sessions: sessionmaker[Session], user: str, action: str, subject: str = "",
              detail: str = "") -> None:
    """Add one line to the audit log, in a transaction of its own."""
    with transaction(sessions) as session:
        record(session, user, action, subject, detail)


def recent(session: Session, limit: int = 200) -> list[AuditEvent]:
    """The latest events, newest first."""
    return list(session.scalars(select(AuditEvent)
                                .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                                .limit(limit)))
