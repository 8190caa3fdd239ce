"""Database: migrations from empty, UTC round trip, WAL on SQLite; on both backends."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, select

from broadcaster.db import (
    Document,
    DocumentRevision,
    current_revision,
    head_revision,
    make_engine,
    migrate,
    session_factory,
    transaction,
)
from broadcaster.errors import ConfigError


def test_migrate_from_empty_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    head = migrate(engine)
    assert head == head_revision() == "0007"
    assert migrate(engine) == head
    tables = set(inspect(engine).get_table_names())
    assert {"documents", "document_revisions", "clips", "groups", "stations", "aliases", "programmes", "entries", "publications",
            "alembic_version"} <= tables
    engine.dispose()


def test_migrations_run_down_and_up(database_url: str) -> None:
    from alembic import command

    from broadcaster.db.engine import _alembic_config

    engine = make_engine(database_url)
    migrate(engine)
    with engine.begin() as conn:
        cfg = _alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert migrate(engine) == head_revision()
    engine.dispose()


def test_aware_utc_round_trip(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    sessions = session_factory(engine)
    hanoi = timezone(timedelta(hours=7))
    when = datetime(2025, 9, 2, 7, 30, tzinfo=hanoi)
    with transaction(sessions) as s:
        doc = Document(key="k", created_at=when, updated_at=when)
        doc.revisions.append(DocumentRevision(number=1, sha256="0" * 64, text="x",
                                              source_name="x.txt", source_format="txt",
                                              encoding="utf-8", size_bytes=1))
        s.add(doc)
    with sessions() as s:
        got = s.scalar(select(Document))
        assert got is not None
        assert got.created_at == when
        assert got.created_at.utcoffset() == timedelta(0)
        assert got.created_at.hour == 0
    with pytest.raises(Exception, match="naive datetime"), transaction(sessions) as s:
        s.add(Document(key="naive", created_at=datetime(2025, 1, 1),
                       updated_at=datetime(2025, 1, 1)))
    engine.dispose()


def test_sqlite_uses_wal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'x' / 'w.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_unsupported_url() -> None:
    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        make_engine("mysql://x/y")


def test_unreachable_database_is_clear() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match="cannot open the database"):
        migrate(engine)
