"""Tables. Every schema change goes through an Alembic migration in ``migrations/versions``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from broadcaster.domain.vocabulary import Origin as Origin  # its old home; callers import it here

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes, stored the same way on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: broadcaster stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _origin() -> Any:
    return mapped_column(String(20), default=Origin.FILE.value, server_default=Origin.FILE.value)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Document(Base):
    """A resolution summary or announcement text; its content lives in revisions."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    number: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    issued_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    speech: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The group whose editors may change it (and the groups above it); None: admins only.
    owner_group: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    revisions: Mapped[list[DocumentRevision]] = relationship(
        back_populates="document", order_by="DocumentRevision.number"
    )

    @property
    def current(self) -> DocumentRevision:
        """The newest revision (every stored document has at least one)."""
        return self.revisions[-1]


class DocumentRevision(Base):
    """One version of a document's text, as extracted from the file that was added."""

    __tablename__ = "document_revisions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    source_name: Mapped[str] = mapped_column(String(500))
    source_format: Mapped[str] = mapped_column(String(10))
    encoding: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="revisions")


class Clip(Base):
    """A rendered, loudness-normalised, encoded piece of audio in the media store."""

    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    ext: Mapped[str] = mapped_column(String(8))
    size_bytes: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    loudness_lufs: Mapped[float] = mapped_column(Float)
    true_peak_dbtp: Mapped[float] = mapped_column(Float)
    profile: Mapped[str] = mapped_column(String(50))
    engine: Mapped[str] = mapped_column(String(30))
    voice: Mapped[str] = mapped_column(String(200))
    rate: Mapped[float] = mapped_column(Float)
    normalizer_version: Mapped[str] = mapped_column(String(20))
    text_sha256: Mapped[str] = mapped_column(String(64))
    # Set when a later engine of the chain spoke because a better one failed; the clip is
    # re-rendered with ``preferred_engine`` when that engine is back.
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    preferred_engine: Mapped[str | None] = mapped_column(String(30), nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("clips.id", ondelete="SET NULL"), nullable=True
    )
    # What was asked for (spoken text, voice, rate, pauses, profile, chain): enough to redo it.
    request: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    document_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_revisions.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def file_name(self) -> str:
        """The clip's name in the media store: ``<sha256>.<ext>``."""
        return f"{self.sha256}.{self.ext}"


class Group(Base):
    """A node of the administrative tree: province, commune or ward, loudspeaker cluster."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # Broadcast rules: {"hours": "05:00-21:00", "max_session_minutes": 45,
    # "max_sessions_per_day": 3}; absent keys are inherited from the parent.
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = _origin()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Group | None] = relationship(remote_side="Group.id")


class Station(Base):
    """A place that plays: a commune loudspeaker system, a radio or a TV channel."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    profile: Mapped[str] = mapped_column(String(50))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="RESTRICT"), nullable=True, index=True
    )
    # sha256 of the station's secret token; the token itself is shown once and never stored.
    token_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_issued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    origin: Mapped[str] = _origin()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group | None] = relationship()


class Alias(Base):
    """A former code and name (before the 2025 reform) of a group or station."""

    __tablename__ = "aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True, index=True
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), nullable=True, index=True
    )


class Programme(Base):
    """A programme definition: title and ordered items (see broadcaster.programme)."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    origin: Mapped[str] = _origin()
    # The group whose editors may change it (and the groups above it); None: admins only.
    owner_group: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entry(Base):
    """A schedule entry: a programme (or one clip) for a station or group, once or recurring.

    Wall-clock times are in the target stations' zones: ``start_time`` (HH:MM) with an RRULE,
    or ``start_at`` (a naive local date-time) for a one-off.
    """

    __tablename__ = "entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    programme: Mapped[str | None] = mapped_column(String(64), nullable=True)
    clip_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target: Mapped[str] = mapped_column(String(64), index=True)
    start_time: Mapped[str | None] = mapped_column(String(5), nullable=True)
    start_at: Mapped[str | None] = mapped_column(String(19), nullable=True)
    rrule: Mapped[str | None] = mapped_column(String(500), nullable=True)
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    on_collision: Mapped[str] = mapped_column(String(10), default="after")
    slot_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    origin: Mapped[str] = _origin()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Publication(Base):
    """An immutable, numbered snapshot of what every station plays in a window."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(String(500), default="")
    # Per station code: {"digest": ..., "files": {"playlist.json": sha256, ...}}.
    stations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rollback_of: Mapped[int | None] = mapped_column(Integer, nullable=True)


class StationStatus(Base):
    """What a station last told us about itself (its latest heartbeat), one row per station."""

    __tablename__ = "station_status"

    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column()
    agent_version: Mapped[str] = mapped_column(String(50), default="")
    publication: Mapped[int | None] = mapped_column(Integer, nullable=True)
    digest: Mapped[str] = mapped_column(String(64), default="")
    disk_free_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    playing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Set by the daemon when the station misses its check-ins; cleared by its next report.
    offline_since: Mapped[datetime | None] = mapped_column(nullable=True)


class Holding(Base):
    """A publication a station reported holding: first and last time it said so."""

    __tablename__ = "holdings"
    __table_args__ = (UniqueConstraint("station_id", "publication"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    publication: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    first_at: Mapped[datetime] = mapped_column()
    last_at: Mapped[datetime] = mapped_column()


class Play(Base):
    """Proof of play: one item a station played (or pre-empted, failed, skipped)."""

    __tablename__ = "plays"
    __table_args__ = (UniqueConstraint("station_id", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[str] = mapped_column(String(100))    # chosen by the station, unique there
    item_id: Mapped[str] = mapped_column(String(300))
    entry_code: Mapped[str] = mapped_column(String(100), index=True)
    programme: Mapped[str] = mapped_column(String(64), default="", index=True)
    scheduled_start: Mapped[datetime] = mapped_column()
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str] = mapped_column(String(12))      # played|preempted|failed|skipped
    detail: Mapped[str] = mapped_column(String(500), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """An ad-hoc or emergency announcement: a programme and an entry made by ``announce``."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column()
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    every_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    until: Mapped[datetime | None] = mapped_column(nullable=True)
    programme: Mapped[str] = mapped_column(String(64), default="")
    entry_code: Mapped[str] = mapped_column(String(100), default="")
    clip_sha256: Mapped[str] = mapped_column(String(64), default="")
    engine: Mapped[str] = mapped_column(String(30), default="")
    publication: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Chosen by the requester (the CLI, once per command) so that a request retried after a
    # dropped connection finds the announcement it already made instead of making a second.
    request_key: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)


class User(Base):
    """An operator of the web UI: admin (everything), editor (one group and below), viewer."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(10))                 # admin|editor|viewer
    group_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Raised by sign-out, a password change or a role change: sessions signed with an older
    # value are no longer valid.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuditEvent(Base):
    """Who changed or published what, and when (written by the web UI's actions)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(String(1000), default="")
