"""Shared fixtures. Every test that touches the database runs on SQLite AND PostgreSQL.

PostgreSQL comes from BROADCASTER_TEST_POSTGRES_URL (default: the local server, database
``postgres``); each test run creates its own database and drops it at the end. If PostgreSQL is
unreachable the PostgreSQL half of the suite FAILS: it is never skipped silently. To run only
SQLite on a laptop without PostgreSQL, set BROADCASTER_TEST_DATABASES=sqlite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from broadcaster.app import App
from broadcaster.config import Config, load_config

PG_ADMIN_URL = os.environ.get("BROADCASTER_TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = [b.strip() for b in os.environ.get("BROADCASTER_TEST_DATABASES",
                                              "sqlite,postgresql").split(",") if b.strip()]
REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "docs" / "examples" / "nghi-quyet-tom-tat.md"


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    name = f"broadcaster_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is not usable ({exc}); start it or set "
                    "BROADCASTER_TEST_DATABASES=sqlite to run the SQLite half only")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a new SQLite file, or the session's PostgreSQL database wiped clean."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url: str = request.getfixturevalue("pg_server_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def _config_maker(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    def make(**overrides: object) -> Config:
        flags = {"home": tmp_path / "var", "database_url": database_url}
        env = {"BROADCASTER_ENGINES": "espeak",
               "BROADCASTER_CONFIG": str(tmp_path / "none.toml")}
        (tmp_path / "none.toml").touch()
        cfg = load_config(env=env, flags=flags)
        return cfg.with_overrides(**overrides) if overrides else cfg

    return make


@pytest.fixture
def make_config(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Build a Config for tests: offline engine chain, home in tmp_path, no config file."""
    return _config_maker(tmp_path, database_url)


@pytest.fixture
def make_offline_config(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Like make_config, for tests that do not exercise the database (SQLite only)."""
    return _config_maker(tmp_path, f"sqlite:///{tmp_path / 'engines.db'}")


@pytest.fixture
def offline_config(make_offline_config) -> Config:  # type: ignore[no-untyped-def]
    """A configuration for tests that need no database."""
    return make_offline_config()


@pytest.fixture
def config(make_config) -> Config:  # type: ignore[no-untyped-def]
    """The default test configuration."""
    return make_config()


@pytest.fixture
def app(config: Config) -> Iterator[App]:
    """A wired App on a migrated, empty database."""
    application = App(config)
    yield application
    application.close()


@pytest.fixture
def cli(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Run ``broadcaster ARGS`` in-process against this test's database and home folder.

    ``cli(*args, code=0)`` checks the exit code and returns click's Result (stdout and stderr
    apart); ``cli.home`` is the home folder.
    """
    from click.testing import CliRunner, Result

    from broadcaster.cli import main

    env = {"BROADCASTER_HOME": str(tmp_path / "var"), "BROADCASTER_DATABASE_URL": database_url,
           "BROADCASTER_ENGINES": "espeak", "BROADCASTER_CONFIG": ""}

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner(mix_stderr=False).invoke(main, list(args), env=env,
                                                    catch_exceptions=False)
        assert result.exit_code == code, result.stdout + result.stderr
        return result

    invoke.home = tmp_path / "var"  # type: ignore[attr-defined]
    return invoke


@pytest.fixture
def run(cli, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The CLI with the small province (tests.helpers.SCHEDULE) applied; ``run.path`` is its
    schedule file."""
    from tests.helpers import SCHEDULE

    path = tmp_path / "tinh.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")
    cli("schedule", "apply", str(path))
    cli.path = path
    return cli


@pytest.fixture
def province(run):  # type: ignore[no-untyped-def]
    """The small province applied and published for two days."""
    run("publish", "--days", "2")
    return run
