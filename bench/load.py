"""The load test: many simulated people at once, each completing a referral through the Telegram
bot (`ke-intake telegram`, a real process, long polling) against a local Bot API server over
HTTP, with drafts in Redis and the inbox in a fresh PostgreSQL schema, and random think times.

Checks: every person who got a receipt is in the inbox exactly once under that reference, no
referral was filed twice, nobody is lost. Reports per-turn latency (person's action -> the bot's
last call of its answer) p50/p99 and the bot process's peak memory (VmHWM).

The size is set by `people` (KE_BENCH_LOAD_PEOPLE overrides) and bounded by `budget` seconds:
whoever has not finished by then is stopped and reported as unfinished, not hidden."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.crowd import TOKEN, Crowd
from bench.harness import Figure
from bench.people import Person, Stuck
from bench.procs import clean_env, free_port, peak_rss_kib
from bench.services import REDIS_URL, postgres_schema, redis_prefix
from tests.botapi.server import BotAPIServer

REFERENCE = re.compile(r"KE-[0-9A-Z]{4}-[0-9A-Z]{4}")
KOMMUNE = "0301"  # the scripted person answers "Oslo"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _prepare_inbox(url: str) -> Any:
    """Migrate the fresh schema and register the KE's public key, as `ke-intake keys add`
    would before going live; returns the KE private key."""
    from bench.crypto_setup import Keys
    from storage.inbox import SqlInbox
    from storage.inbox.db import make_engine, upgrade

    keys = Keys.fresh()
    engine = make_engine(url)
    try:
        upgrade(engine)
        inbox = SqlInbox(engine, idempotency_secret=b"bench")
        inbox.add_recipient_key(
            KOMMUNE, keys.recipient.key_id, keys.ke_public_raw(), dt.datetime.now(dt.UTC)
        )
    finally:
        engine.dispose()
    return keys


def _filed(url: str, data_dir: Path, keys: Any) -> list[tuple[str, str, bool]]:
    """(reference, channel, opens with the KE key and the bot's verify key) per inbox row."""
    from bot.bootstrap import signing_key_path
    from bot.settings import Settings
    from storage.crypto.envelope import SealedEnvelopeError, open_envelope
    from storage.crypto.keys import load_verify_key, verify_keys_for
    from storage.inbox import SqlInbox
    from storage.inbox.db import make_engine

    settings = Settings(_env_file=None, data_dir=data_dir)
    verify = verify_keys_for(load_verify_key(signing_key_path(settings).with_suffix(".pub")))
    engine = make_engine(url)
    rows = []
    try:
        inbox = SqlInbox(engine, idempotency_secret=b"bench")
        for record in inbox.list():
            try:
                header, _ = open_envelope(
                    inbox.envelope(record.reference),
                    private_key=keys.ke_private,
                    verify_keys=verify,
                )
                opened = header.recipient == KOMMUNE
            except SealedEnvelopeError:
                opened = False
            rows.append((record.reference, record.channel, opened))
    finally:
        engine.dispose()
    return rows


async def _run_crowd(
    url: str,
    prefix: str,
    tmp: Path,
    *,
    people: int,
    think: tuple[float, float],
    ramp: float,
    budget: float,
    seed: int,
) -> dict[str, Any]:
    from storage.drafts import generate_key

    crowd = Crowd()
    server = BotAPIServer(crowd, free_port(), access_log=False)
    await server.start()
    env = clean_env(
        KE_TELEGRAM_TOKEN=TOKEN,
        KE_TELEGRAM_API_BASE=server.base_url,
        KE_DATA_DIR=str(tmp / "data"),
        KE_DATABASE_URL=url,
        KE_REDIS_URL=REDIS_URL,
        KE_DRAFT_KEYS=generate_key(),
        KE_ID_HASH_SECRET="bench-secret-bench-secret-bench-secret",
        KE_ALLOW_SYNTHETIC_IDS="true",
        KE_TELEGRAM_FLOOD_LIMIT="1000",
    )
    rng = random.Random(seed)
    today = dt.datetime.now(dt.UTC).date()
    crowd_people = [
        Person(crowd.chat(800_000_000 + n), today, random.Random(rng.random()), think)
        for n in range(people)
    ]
    log = (tmp / "bot.log").open("wb")
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.bot_process", prefix, env=env, stdout=log, stderr=log
    )
    peak_kib = None
    try:
        for _ in range(600):  # up once it polls
            if crowd.polls or bot.returncode is not None:
                break
            await asyncio.sleep(0.05)
        if bot.returncode is not None:
            raise RuntimeError(f"the bot exited with {bot.returncode}: see {tmp / 'bot.log'}")

        async def one(person: Person, delay: float) -> None:
            await asyncio.sleep(delay)
            await person.complete_referral()

        started = time.perf_counter()
        tasks = [asyncio.create_task(one(p, rng.uniform(0, ramp))) for p in crowd_people]
        done, pending = await asyncio.wait(tasks, timeout=budget)
        elapsed = time.perf_counter() - started
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.sleep(1.0)  # let filings in flight land before counting
        peak_kib = peak_rss_kib(bot.pid)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(bot.wait(), 30)
        except TimeoutError:
            bot.kill()
            code = await bot.wait()
        log.close()
        await server.stop()
    errors = [t.exception() for t in done if t.exception() is not None]
    return {
        "people": crowd_people,
        "elapsed": elapsed,
        "peak_kib": peak_kib,
        "exit_code": code,
        "unfinished": len(pending),
        "errors": [f"{type(e).__name__}: {e}" for e in errors],
        "stuck": sum(isinstance(e, Stuck) for e in errors),
    }


def run(
    *,
    people: int = 500,
    think: tuple[float, float] = (0.5, 2.5),
    ramp: float = 60.0,
    budget: float = 300.0,
    seed: int = 7,
) -> list[Figure]:
    # 500 people finish in about 4.5 minutes on a quiet 2-core machine; the budget keeps the
    # whole `make bench` under 10 minutes on a busy one (the unfinished are then reported).
    # Smaller or longer runs: KE_BENCH_LOAD_PEOPLE=100 KE_BENCH_LOAD_BUDGET=200 ...
    people = int(os.environ.get("KE_BENCH_LOAD_PEOPLE", people))
    budget = float(os.environ.get("KE_BENCH_LOAD_BUDGET", budget))
    ramp = float(os.environ.get("KE_BENCH_LOAD_RAMP", ramp))
    with (
        postgres_schema() as url,
        redis_prefix() as prefix,
        tempfile.TemporaryDirectory(prefix="ke-bench-load-") as folder,
    ):
        keys = _prepare_inbox(url)
        result = asyncio.run(
            _run_crowd(
                url,
                prefix,
                Path(folder),
                people=people,
                think=think,
                ramp=ramp,
                budget=budget,
                seed=seed,
            )
        )
        filed = _filed(url, Path(folder) / "data", keys)
        if result["exit_code"] != 0 or result["errors"] or result["unfinished"]:
            _show_problems(Path(folder) / "bot.log")
            shutil.copy(
                Path(folder) / "bot.log", Path(tempfile.gettempdir()) / "ke-bench-load-bot.log"
            )
    return _figures(result, filed, people, think)


def _show_problems(log: Path) -> None:
    """The bot's warnings and errors (the bot logs no personal data), counted by kind."""
    lines = log.read_text("utf-8", errors="replace").splitlines()
    kinds: dict[str, int] = {}
    for line in lines:
        if " WARNING " in line or " ERROR " in line or "Traceback" in line or "stale" in line:
            kind = re.sub(r"\d+", "N", re.sub(r"^\S+ \S+ ", "", line))[:160]
            kinds[kind] = kinds.get(kind, 0) + 1
    exceptions = [line for line in lines if re.match(r"^\w+(\.\w+)*(Error|Exception)\b", line)]
    for line in exceptions:
        kind = "raised: " + line[:160]
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"   load: bot log has {len(lines)} lines; warnings and errors:", file=sys.stderr)
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:15]:
        print(f"   {n:6d} x {kind}", file=sys.stderr)


def _figures(
    result: dict[str, Any], filed: list[Any], people: int, think: tuple[float, float]
) -> list[Figure]:
    crowd: list[Person] = result["people"]
    receipts = [m.group(0) for p in crowd if p.receipt and (m := REFERENCE.search(p.receipt))]
    stored = [reference for reference, _, _ in filed]
    once = (
        len(stored) == len(set(stored)) == len(receipts)
        and set(stored) == set(receipts)
        and all(channel == "telegram" and opened for _, channel, opened in filed)
    )
    latencies = [x for p in crowd for x in p.latencies]
    turns = len(latencies)
    p50 = _percentile(latencies, 0.50) * 1000 if latencies else float("nan")
    p99 = _percentile(latencies, 0.99) * 1000 if latencies else float("nan")
    rate = turns / result["elapsed"] if result["elapsed"] else 0.0
    problems = []
    if result["unfinished"]:
        problems.append(f"{result['unfinished']} unfinished at the time budget")
    if result["errors"]:
        problems.append(f"{len(result['errors'])} failed ({result['errors'][0]})")
    summary = (
        f"{people} people ({think[0]:g}-{think[1]:g} s think), {turns} turns in "
        f"{result['elapsed']:.0f} s ({rate:.0f} turns/s); "
        + ("; ".join(problems) if problems else "all finished")
    )
    peak = (result["peak_kib"] or 0) / 1024
    return [
        Figure(
            name="load: referrals filed exactly once",
            unit="referrals",
            ours=float(len(set(stored) & set(receipts))),
            baseline=float(people),
            target="all filed, each once",
            met=once and len(receipts) == people,
            note=summary + f"; inbox rows {len(stored)}, receipts {len(receipts)}",
        ),
        Figure(
            name="load: per-turn latency p50",
            unit="ms",
            ours=p50,
            target="report",
            note=f"{turns} turns: action -> last Bot API call of the bot's answer",
        ),
        Figure(name="load: per-turn latency p99", unit="ms", ours=p99, target="report"),
        Figure(
            name="load: bot process peak RSS",
            unit="MiB",
            ours=peak,
            target="report",
            note="VmHWM of the `ke-intake telegram` process (Redis drafts, PostgreSQL inbox)",
        ),
    ]
