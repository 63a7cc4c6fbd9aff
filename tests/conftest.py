"""Shared fixtures: the real PostgreSQL and Redis of this machine, skipped with a reason when
absent, and required (a failure, not a skip) when CI=true; and a guard that fails any test during
which a text was missing from a catalogue (`intake.texts`)."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest

from tests.services import postgres_schema, reachable

POSTGRES_ADMIN_URL = os.environ.get(
    "KE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("KE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _require(service: str, host: str, port: int) -> None:
    if reachable(host, port):
        return
    reason = f"{service} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{reason}, and CI=true requires it", pytrace=False)
    pytest.skip(f"{reason}; start it to run this test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty schema in the `test` database, dropped afterwards."""
    _require("PostgreSQL", "127.0.0.1", 5432)
    with postgres_schema(POSTGRES_ADMIN_URL, "ke_test") as url:
        yield url


@pytest.fixture
def redis_url() -> str:
    _require("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """A unique key prefix so parallel tests never see each other's keys."""
    return f"ke-test:{uuid.uuid4().hex[:12]}:"


class _TextMisses(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.misses: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.misses.append(record.getMessage())


@pytest.fixture(autouse=True)
def _texts_complete() -> Iterator[_TextMisses]:
    """A text looked up but missing (or lacking a parameter) fails the test that looked it up;
    production logs the miss and shows bokmål. A test about misses takes `missing_texts`."""
    watcher = _TextMisses()
    logger = logging.getLogger("intake.texts")
    logger.addHandler(watcher)
    try:
        yield watcher
    finally:
        logger.removeHandler(watcher)
    if watcher.misses:
        pytest.fail("texts missing: " + "; ".join(watcher.misses), pytrace=False)


@pytest.fixture
def missing_texts(_texts_complete: _TextMisses) -> Iterator[list[str]]:
    """The misses logged during the test, which then does not fail for them."""
    yield _texts_complete.misses
    _texts_complete.misses.clear()
