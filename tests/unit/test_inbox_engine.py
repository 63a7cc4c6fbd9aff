"""The inbox engine's connect time-out on PostgreSQL: a server that accepts the connection and
never answers (here a socket nobody reads; a frozen PostgreSQL in
tests/faults/test_web_faults.py) fails the connect in seconds instead of holding it."""

from __future__ import annotations

import socket
import time

import pytest
import sqlalchemy as sa

from storage.inbox import db


def test_a_server_that_never_answers_fails_the_connect_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "CONNECT_TIMEOUT_SECONDS", 2)  # libpq's least
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nothing ever answers
        port = silent.getsockname()[1]
        engine = db.make_engine(f"postgresql+psycopg://u@127.0.0.1:{port}/x")
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError):
            engine.connect()
        took = time.monotonic() - started
        engine.dispose()
    assert took < 4.5
