"""Alembic environment for the inbox. The application hands in an open connection
(storage.inbox.db.upgrade); run by hand, it builds an engine from KE_DATABASE_URL or alembic.ini."""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from storage.inbox.db import make_engine
from storage.inbox.schema import metadata

config = context.config


def _run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:
    url = os.environ.get("KE_DATABASE_URL") or config.get_main_option("sqlalchemy.url")
    engine = make_engine(str(url))
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
