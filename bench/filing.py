"""Filing throughput: validate + seal + store with 8 concurrent writers, against the floor of
storing as many same-size random blobs without validating or sealing, same database, same run.

Four contenders, interleaved round by round:
- ours: `intake.filing.file_referral` into `SqlInbox` with `EnvelopeSealer`, given the
  `Referral` model the dialogue hands over at the summary (what every channel files: judged by
  the rules under the filing's policy, sealed, stored);
- json: the same with the referral as JSON data (the `file` command's path: full validation);
- inbox only: random blobs through `SqlInbox.file` (audit chain, idempotency, no seal): shows
  how the cost splits between crypto/validation and the inbox's bookkeeping;
- floor: one plain INSERT of a random blob per transaction into a bare table.

And, in the same rounds, the CPU of one filing at a time (the dialogue's model), as a web worker
files: one referral every few minutes, each its own batch. "keys read" forgets the inbox's
recipient-key cache first (it holds KEY_CACHE_SECONDS, 1 s), as between most real filings;
"keys cached" is a filing right after another, as in the saturated web benchmarks.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from itertools import count
from typing import Any

import sqlalchemy as sa

from bench.crypto_setup import KOMMUNE, Keys, example_referral, policy
from bench.harness import Figure, interleaved, median, rate, ratio_figure
from bench.services import postgres_schema, sqlite_url
from intake.filing import Filing, file_referral, validated
from intake.model import Referral
from intake.reference import RANDOM_BYTES, make_reference
from storage.crypto.body import pack_body
from storage.crypto.sealer import EnvelopeSealer
from storage.inbox import SqlInbox
from storage.inbox.db import make_engine, upgrade

WRITERS = 8
MIN_RATIO = 0.5
SERIAL = 40  # filings one after the other per round for the CPU figure
_floor = sa.Table(
    "bench_floor",
    sa.MetaData(),
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("blob", sa.LargeBinary, nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _reference() -> str:
    return make_reference(secrets.token_bytes(RANDOM_BYTES))


def _parallel(n: int, one: Callable[[int], object]) -> Callable[[], None]:
    def run() -> None:
        with ThreadPoolExecutor(WRITERS) as pool:
            for _ in pool.map(one, range(n)):
                pass

    return run


def measure(url: str, *, filings: int, rounds: int) -> dict[str, list[float]]:
    engine = make_engine(url, pool_size=WRITERS, max_overflow=0)
    try:
        upgrade(engine)
        _floor.create(engine)
        keys = Keys.fresh()
        inbox = SqlInbox(engine, idempotency_secret=b"bench", verify_keys=keys.verify_keys)
        recipient = keys.recipient
        inbox.add_recipient_key(KOMMUNE, recipient.key_id, keys.ke_public_raw(), _now())
        sealer = EnvelopeSealer(inbox.recipient_keys, keys.signing)
        data, rules = example_referral(), policy()
        # What the dialogue's summary hands to the filing (validated there, under the policy).
        model = validated(data, rules)
        serial = count()

        def filing_of(referral: Referral | dict[str, Any]) -> object:
            return file_referral(
                referral,
                policy=rules,
                channel="telegram",
                language="nb",
                idempotency_key=f"bench-{next(serial)}",
                inbox=inbox,
                sealer=sealer,
                pack_body=pack_body,
                clock=_now,
                new_id=uuid.uuid4,
                new_reference=_reference,
            )

        def ours(_: int) -> object:
            return filing_of(model)

        def json_data(_: int) -> object:
            return filing_of(data)

        ours(0)
        size = len(inbox.envelope(inbox.list()[0].reference))

        def inbox_only(_: int) -> object:
            return inbox.file(
                Filing(
                    envelope=os.urandom(size),
                    referral_id=uuid.uuid4(),
                    reference=_reference(),
                    recipient=KOMMUNE,
                    channel="telegram",
                    received_at=_now(),
                    key_ids=(recipient.key_id,),
                    idempotency_key=f"bench-{next(serial)}",
                    actor="intake:telegram",
                )
            )

        def floor(_: int) -> None:
            with engine.begin() as conn:
                conn.execute(_floor.insert().values(id=uuid.uuid4(), blob=os.urandom(size)))

        def one_at_a_time(read_keys: bool) -> float:
            """Microseconds of this thread's CPU per filing (a lone filing is written by its
            caller's thread: no other thread works for it)."""
            spent = 0.0
            for _ in range(SERIAL):
                if read_keys:
                    inbox._forget_keys()
                start = time.thread_time()
                ours(0)
                spent += time.thread_time() - start
            return spent / SERIAL * 1e6

        contenders: dict[str, Callable[[int], object]] = {
            "ours": ours,
            "json": json_data,
            "inbox": inbox_only,
            "floor": floor,
        }
        samples = interleaved(
            rounds,
            {
                **{
                    name: partial(rate, filings, _parallel(filings, fn))
                    for name, fn in contenders.items()
                },
                "keys read": partial(one_at_a_time, True),
                "keys cached": partial(one_at_a_time, False),
            },
        )
        stored = len(inbox.list())
        expected = 1 + 3 * filings * rounds + 2 * SERIAL * rounds
        if stored != expected:
            raise AssertionError(f"inbox holds {stored} filings, expected {expected}")
        return samples
    finally:
        engine.dispose()


def run(
    *, filings: int = 120, rounds: int = 5, backends: tuple[str, ...] = ("sqlite", "postgres")
) -> list[Figure]:
    figures = []
    for backend in backends:
        source = sqlite_url() if backend == "sqlite" else postgres_schema()
        with source as url:
            samples = measure(url, filings=filings, rounds=rounds)
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        figures.append(
            Figure(
                name=f"filing {label}: CPU per filing, one at a time",
                unit="us CPU",
                ours=median(samples["keys read"]),
                note=f"{SERIAL} filings x {rounds} rounds, validate (rules) + seal + store, "
                f"each its own transaction, the recipient-key cache run out (as between most "
                f"real filings); right after another filing (keys cached) "
                f"{median(samples['keys cached']):.0f} us; load {os.getloadavg()[0]:.1f}",
            )
        )
        figures.append(
            ratio_figure(
                f"filing {label}, {WRITERS} writers (vs bare blob insert)",
                "filings/s",
                samples,
                ours="ours",
                baseline="floor",
                min_ratio=MIN_RATIO,
                note=f"{filings} filings x {rounds} rounds, the dialogue's model; from JSON "
                f"(full validation) {median(samples['json']):.0f}/s "
                f"({median(samples['json']) / median(samples['floor']):.2f}); inbox.file alone "
                f"(no validate/seal) {median(samples['inbox']):.0f}/s",
            )
        )
    return figures
