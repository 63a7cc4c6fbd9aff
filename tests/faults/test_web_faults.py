"""The fault suite for the web chat: two `ke-intake web` workers as real processes, sharing
drafts in the private Redis and the inbox in the private PostgreSQL, which the tests stop, start,
freeze and thaw (tests/faults/services.py); people post the plain forms. Each test counts lost,
duplicated and opened referrals (tests/faults/tally.py) and unanswered posts (a post that got
no page: neither the next question, nor the receipt, nor a plain message), all required 0."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.load import _filed, _prepare_inbox
from storage.drafts import generate_key
from tests.faults.conftest import Services
from tests.faults.tally import tally
from tests.faults.webchat import WebPerson, Worker

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PEOPLE = ("mother_child", "nn_adult_self", "english_dnumber")  # nb, nn, en


def _env(services: Services, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    return env | {
        "KE_DATA_DIR": str(data),
        "KE_DATABASE_URL": services.database_url,
        "KE_REDIS_URL": services.redis.url,
        "KE_DRAFT_KEYS": generate_key(),
        "KE_ID_HASH_SECRET": "faults-secret-faults-secret-faults",
        "KE_ALLOW_SYNTHETIC_IDS": "true",
        "KE_WEB_SESSION_TURNS_PER_MINUTE": "1000",
        "KE_WEB_ADDRESS_TURNS_PER_MINUTE": "100000",
    }


@contextmanager
def _workers(env: dict[str, str], folder: Path, count: int = 2) -> Iterator[list[Worker]]:
    workers = [Worker(env, folder, f"w{n}") for n in range(1, count + 1)]
    try:
        for worker in workers:  # one after the other: the first may create the signing key
            worker.start()
        yield workers
    finally:
        for worker in workers:
            worker.stop()


def _unanswered(people: list[WebPerson]) -> int:
    """Answers with nothing to read: neither the conversation nor a plain message."""
    return sum(
        1 for p in people for page in p.pages if 'id="chat"' not in page and 'id="log"' not in page
    )


def _no_tracebacks(workers: list[Worker]) -> None:
    for worker in workers:
        logs = worker.log_text()
        assert "Traceback" not in logs, logs[-3000:]
        for secret in ("Kari", "Nordmann", "Storgata"):
            assert secret not in logs


def test_web_redis_and_postgres_stopped_then_started(services: Services, tmp_path: Path) -> None:
    """Both workers start while Redis and PostgreSQL are down and wait; people who write are
    told plainly, in their language, that the message was not saved; Redis comes back, goes
    again mid-conversation and comes back with every answer; the inbox is down at filing, then
    stopped while a filing is under way; once it is back, sending again files each referral
    once."""
    keys = _prepare_inbox(services.database_url)
    env = _env(services, tmp_path / "data")
    services.redis.stop()
    services.postgres.stop()
    with _workers(env, tmp_path) as workers:
        people = [WebPerson(name) for name in PEOPLE]
        for n, person in enumerate(people):
            worker = workers[n % 2]
            person.open(worker)  # the first page needs no store
            person.answer(worker)
            assert person.status == 503 and person.told("tg.unavailable"), person.html
        services.redis.start()
        for person in people:
            person.until_summary(workers)
        services.redis.stop()  # mid-conversation
        for n, person in enumerate(people):
            person.post(workers[n % 2], {"command": "summary"})
            assert person.status == 503 and person.told("tg.unavailable"), person.html
        services.redis.start()
        for n, person in enumerate(people):
            person.open(workers[(n + 1) % 2])
            assert person.step() == "summary", person.html  # every answer kept
        first, *others = people
        for n, person in enumerate(others):  # the inbox is down at filing
            person.send(workers[n % 2])
            assert person.status == 200 and person.told("filing.failed"), person.html
        services.postgres.start()
        services.postgres.freeze()  # stopped while a filing waits on it
        sending = threading.Thread(target=first.send, args=(workers[0],))
        sending.start()
        time.sleep(2.0)  # the filing is under way, stuck in the database
        services.postgres.stop("immediate")
        sending.join(60)
        assert not sending.is_alive()
        # a true page either way: not sent (the database went first) or the receipt (thawed
        # for its shutdown, the database may finish the filing first)
        assert first.status == 200 and (first.told("filing.failed") or first.receipts())
        services.postgres.start()
        for n, person in enumerate(people):  # back: sending again files
            person.send(workers[n % 2])
        inbox = _filed(services.database_url, tmp_path / "data", keys)
        counts = tally([p.receipts() for p in people], inbox)
        counts["unanswered"] = _unanswered(people)
        print(f"\nweb, Redis and PostgreSQL stopped and started: {counts}")
        assert counts == {"lost": 0, "duplicated": 0, "opened": 3, "unanswered": 0}
        _no_tracebacks(workers)


def _send_quietly(person: WebPerson, worker: Worker) -> None:
    with contextlib.suppress(httpx.HTTPError):  # the worker was killed under the request
        person.send(worker, timeout=120)


def test_web_worker_killed_mid_filing(services: Services, tmp_path: Path) -> None:
    """Two people press send on one worker while PostgreSQL is frozen; that worker is killed
    with SIGKILL while both filings hang. One person's next page, on the other worker, files
    it under the same key; the other's is filed by the killed worker's start-up sweep when it
    is started again. One receipt each, one inbox row each."""
    keys = _prepare_inbox(services.database_url)
    env = _env(services, tmp_path / "data")
    with _workers(env, tmp_path) as workers:
        killed, other = workers
        a, b = WebPerson("mother_child"), WebPerson("nn_adult_self")
        a.until_summary(workers)
        b.until_summary(workers)
        services.postgres.freeze()
        sending = [threading.Thread(target=_send_quietly, args=(p, killed)) for p in (a, b)]
        for thread in sending:
            thread.start()
        deadline = time.monotonic() + 60
        while killed.log_text().count("web: filing, the conversation kept") < 2:
            assert time.monotonic() < deadline, killed.log_text()[-3000:]
            time.sleep(0.1)
        time.sleep(0.5)  # both filings are under way, stuck in the database
        killed.kill()
        for thread in sending:
            thread.join(30)
        services.postgres.thaw()
        a.open(other)  # the next contact finishes it
        assert a.receipts(), a.html
        killed.start()  # its start-up sweep finishes b's
        deadline = time.monotonic() + 60
        while "web: sweep finished 1 of 1" not in killed.log_text():
            assert time.monotonic() < deadline, killed.log_text()[-3000:]
            time.sleep(0.2)
        b.open(killed)
        assert b.receipts(), b.html
        inbox: list[Any] = _filed(services.database_url, tmp_path / "data", keys)
        counts = tally([a.receipts(), b.receipts()], inbox)
        print(f"\nweb worker killed mid-filing: {counts}")
        assert counts == {"lost": 0, "duplicated": 0, "opened": 2}
        _no_tracebacks(workers)


def test_web_worker_without_redis_killed_keeps_every_conversation(
    services: Services, tmp_path: Path
) -> None:
    """Without Redis the worker keeps drafts in the encrypted SQLite draft file beside the
    inbox (the default): killed with SIGKILL mid-conversation and started again, each person's
    next page is the question they were at, and the referral files once."""
    keys = _prepare_inbox(services.database_url)
    env = {k: v for k, v in _env(services, tmp_path / "data").items() if k != "KE_REDIS_URL"}
    env.pop("KE_DRAFT_KEYS")  # no keys configured: generated once and kept in the data dir
    with _workers(env, tmp_path, count=1) as (worker,):
        people = [WebPerson(name) for name in PEOPLE]
        asked = []
        for person in people:
            person.open(worker)
            for _ in range(5):
                person.answer(worker)
            asked.append(person.step())
        worker.kill()
        worker.start()
        for person, step in zip(people, asked, strict=True):
            person.open(worker)
            assert person.step() == step, person.html
            person.until_summary([worker])
            person.send(worker)
        inbox = _filed(services.database_url, tmp_path / "data", keys)
        counts = tally([p.receipts() for p in people], inbox)
        counts["unanswered"] = _unanswered(people)
        print(f"\nweb worker without Redis killed mid-conversation: {counts}")
        assert counts == {"lost": 0, "duplicated": 0, "opened": 3, "unanswered": 0}
        assert "drafts in the SQLite draft file" in worker.log_text()
        _no_tracebacks([worker])


def test_web_postgres_frozen_at_the_first_open(services: Services, tmp_path: Path) -> None:
    """The worker starts while PostgreSQL is down (the inbox is not opened); the database
    comes back frozen (SIGSTOP) just before the person sends, so the worker's first open of
    the inbox meets a server that accepts the connection and never answers. The person is told
    within seconds that it was not sent and nothing is lost; after the thaw, send files once."""
    keys = _prepare_inbox(services.database_url)
    env = _env(services, tmp_path / "data")
    services.postgres.stop()
    with _workers(env, tmp_path, count=1) as (worker,):
        person = WebPerson("mother_child")
        person.until_summary([worker])
        services.postgres.start()
        services.postgres.freeze()
        started = time.monotonic()
        try:
            person.send(worker, timeout=40)
        except httpx.ReadTimeout:
            pytest.fail("no answer within 40 s while the first open hangs", pytrace=False)
        took = time.monotonic() - started
        assert person.status == 200 and person.told("filing.failed"), person.html
        services.postgres.thaw()
        person.send(worker)
        inbox = _filed(services.database_url, tmp_path / "data", keys)
        counts = tally([person.receipts()], inbox)
        counts["unanswered"] = _unanswered([person])
        print(f"\nweb, PostgreSQL frozen at the first open: told in {took:.1f} s, {counts}")
        assert took < 15
        assert counts == {"lost": 0, "duplicated": 0, "opened": 1, "unanswered": 0}
        _no_tracebacks([worker])
