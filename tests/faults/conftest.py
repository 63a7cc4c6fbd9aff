"""The fault suite's services: ONE private PostgreSQL and ONE private Redis for the whole session
(`initdb` is the slow part), reset before each test: both running and thawed again (a test may
have stopped or frozen them), Redis emptied, and a new empty database for the test. The shared
servers on 5432 and 6379 are never touched."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import IN_CI
from tests.faults.services import PrivatePostgres, PrivateRedis, missing, private_services


@dataclass(frozen=True)
class Services:
    postgres: PrivatePostgres
    redis: PrivateRedis
    database_url: str  # this test's own database on the private server


@pytest.fixture(scope="session")
def private_servers() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    lacking = missing()
    if lacking and IN_CI:
        pytest.fail(f"{lacking}, and CI=true requires the fault suite", pytrace=False)
    if lacking:
        pytest.skip(f"{lacking}; install it to run the fault suite")
    with private_services() as servers:
        yield servers


@pytest.fixture
def services(private_servers: tuple[PrivatePostgres, PrivateRedis]) -> Iterator[Services]:
    postgres, redis = private_servers
    redis.reset()
    url = postgres.reset()
    yield Services(postgres, redis, url)
    # whatever the test did, the next one finds both running
    redis.reset()
    if not postgres.running:
        postgres.start()
    postgres.thaw()
