"""Rasa actions: turn requests per second through our action server over HTTP
(`ke-intake rasa-actions`, a real process, with its token check and body guards) against a bare
rasa-sdk action that returns no events (bench/rasa_bare.py, served the same way), with the same
client in the same run.

The requests are Rasa 3.6's own `action_referral_turn` calls (tests/rasa_calls.py), one per
message, recorded while the scripted people of tests/conversations go through the dialogue; the
baseline gets the very same bodies with `next_action` pointed at the bare action, so both parse
the same JSON."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import Figure, interleaved, ratio_figure
from bench.procs import VENV_BIN, child, clean_env, free_port, wait_http
from bench.rasa_bare import BARE_ACTION

MIN_RATIO = 0.5
TOKEN = "bench-action-token-0123456789"
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
# Needs a document upload, which a Rasa text channel cannot send.
NO_RASA = frozenset({"attorney_son"})
CONCURRENCY = 8


def _record(url: str, people: Sequence[str]) -> list[dict[str, Any]]:
    """The validation calls of complete form conversations, as Rasa would send them."""
    import urllib.request

    from tests import rasa_calls
    from tests.conversations import answer_for, load
    from tests.conversations.drive import TODAY

    calls: list[dict[str, Any]] = []

    def post(body: dict[str, Any]) -> tuple[int, Any]:
        calls.append(body)
        request = urllib.request.Request(  # noqa: S310 (a local URL we built)
            url, json.dumps(body).encode(), HEADERS
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())

    for name in people:
        script = load(name, TODAY)
        skip = "skip" if script.language == "en" else "hopp over"

        def answer(step: str, script: Any = script, skip: str = skip) -> str:
            value = answer_for(script, step, True)
            return skip if value in (None, "{upload}") else value

        try:
            rasa_calls.converse(post, answer, sender=f"bench-{name}", language=script.language)
        except AssertionError as exc:  # a script this channel cannot finish still gave its calls
            print(f"   rasa: {name} stopped early ({exc})", file=sys.stderr)
    return calls


async def _blast(url: str, bodies: Sequence[bytes], count: int) -> float:
    import aiohttp

    next_index = iter(range(count))
    failures = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for i in next_index:
            async with session.post(url, data=bodies[i % len(bodies)], headers=HEADERS) as answer:
                await answer.read()
                failures += answer.status != 200

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - start
    if failures:
        raise AssertionError(f"{failures} of {count} requests failed")
    return count / elapsed


def run(
    *, requests: int = 150, rounds: int = 5, people: Sequence[str] | None = None
) -> list[Figure]:
    from tests.conversations import PEOPLE

    ours_port, bare_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="ke-bench-rasa-") as folder:
        tmp = Path(folder)
        env = clean_env(KE_DATA_DIR=str(tmp / "data"), KE_RASA_ACTION_TOKEN=TOKEN)
        ours_argv = [
            str(VENV_BIN / "ke-intake"),
            "rasa-actions",
            "--demo",
            "--port",
            str(ours_port),
            "--log-level",
            "WARNING",
        ]
        bare_argv = [sys.executable, "-m", "bench.rasa_bare", str(bare_port)]
        with (
            child(ours_argv, env=env, log=tmp / "ours.log") as ours,
            child(bare_argv, env=env, log=tmp / "bare.log") as bare,
        ):
            wait_http(f"http://127.0.0.1:{ours_port}/health", process=ours)
            wait_http(f"http://127.0.0.1:{bare_port}/health", process=bare)
            ours_url = f"http://127.0.0.1:{ours_port}/webhook"
            bare_url = f"http://127.0.0.1:{bare_port}/webhook"
            calls = _record(ours_url, people or tuple(p for p in PEOPLE if p not in NO_RASA))
            if not calls:
                raise AssertionError("no turn calls were recorded")
            ours_bodies = [json.dumps(c).encode() for c in calls]
            bare_bodies = [json.dumps(c | {"next_action": BARE_ACTION}).encode() for c in calls]
            asyncio.run(_blast(ours_url, ours_bodies, min(40, requests)))  # warm up both
            asyncio.run(_blast(bare_url, bare_bodies, min(40, requests)))
            samples = interleaved(
                rounds,
                {
                    "ours": lambda: asyncio.run(_blast(ours_url, ours_bodies, requests)),
                    "bare": lambda: asyncio.run(_blast(bare_url, bare_bodies, requests)),
                },
            )
    size = sum(map(len, ours_bodies)) // len(ours_bodies)
    return [
        ratio_figure(
            "rasa turn over HTTP (vs bare rasa-sdk action)",
            "requests/s",
            samples,
            ours="ours",
            baseline="bare",
            min_ratio=MIN_RATIO,
            note=f"{len(calls)} recorded action_referral_turn calls (mean {size:,} bytes) "
            f"cycled, {requests} requests x {rounds} rounds, {CONCURRENCY} connections",
        )
    ]
