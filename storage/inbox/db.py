"""Engines and migrations for the inbox database: SQLite by default, PostgreSQL when configured.

SQLite gets WAL (readers never block the writer), `secure_delete` (deleted envelopes are
overwritten, not left in free pages), foreign keys, a busy timeout, and `BEGIN IMMEDIATE` for
transactions opened with `writing()`, so a writer takes the lock up front instead of failing to
upgrade a stale read snapshot later (WAL cannot wait that out).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
_WRITE_OPTION = "ke_intake_write"
# The newest migration in storage/inbox/migrations/versions (a test keeps the two in step).
HEAD_REVISION = "0003"
# Any two 32-bit numbers; together with the schema they name the migration lock in PostgreSQL.
_MIGRATION_LOCK = 727_300
# A server database that accepts the connection but never answers (frozen, overloaded) fails
# the connect within this many seconds instead of holding the filing (or the start) until it
# answers. (A connection the pool cannot give fails after SQLAlchemy's pool_timeout, 30 s.)
CONNECT_TIMEOUT_SECONDS = 5


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.get_driver_name() == "psycopg" and "connect_timeout" not in parsed.query:
            kwargs.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        return sa.create_engine(url, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
    )
    sa.event.listen(engine, "connect", _sqlite_pragmas)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Leave transaction control to SQLAlchemy's "begin" event below (pysqlite's own is lazy).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "secure_delete=ON",
        "foreign_keys=ON",
        f"busy_timeout={BUSY_TIMEOUT_MS}",
        "synchronous=FULL",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn: sa.Connection) -> None:
    # Writers lock at once; readers take a WAL snapshot and never wait for the writer.
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[sa.Connection]:
    """A transaction that will write: commits on success, rolls back on any error."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE_OPTION: True})
        with conn.begin():
            yield conn


def alembic_config(connection: sa.Connection | None = None) -> Any:
    from alembic.config import Config

    here = resources.files("storage.inbox").joinpath("migrations")
    config = Config()
    config.set_main_option("script_location", str(here))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision`; safe to call at every start and from several processes."""
    if revision == "head" and _stored_revision(engine) == HEAD_REVISION:
        return  # the common case at every start: no need to load Alembic at all
    from alembic import command

    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:a, hashtext(current_schema()))"),
                {"a": _MIGRATION_LOCK},
            )
        before = _revision(conn)
        command.upgrade(alembic_config(conn), revision)
        after = _revision(conn)
    if before != after:
        log.info("inbox database migrated from %s to %s", before or "empty", after)


def _stored_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:  # a database that cannot be reached raises here
        try:
            found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            versions = list(found)
        except sa.exc.DBAPIError:
            return None  # no alembic_version table yet
    return versions[0] if len(versions) == 1 else None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return _revision(conn)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(conn: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def describe(engine: Engine) -> str:
    """The database for humans and logs, without a password."""
    return engine.url.render_as_string(hide_password=True)
