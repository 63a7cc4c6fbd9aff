"""The web chat: turns per second of one worker against a bare Starlette handler returning a
page of the same size, per-turn latency for 200 concurrent sessions below saturation, and two
workers on one Redis and one PostgreSQL.

1. Throughput over HTTP: `ke-intake web --demo` and `bench/web_bare.py` as processes on the same
   uvicorn (httptools, uvloop), driven by the same raw-socket client with 8 keep-alive
   connections posting urlencoded as chat.js does; turns per second of wall time and per
   CPU-second of each worker process (the latter is what the worker itself spends, the fairer
   figure on a shared machine). Interleaved rounds; medians.
2. Throughput in process: requests go straight into the ASGI apps (no sockets), so the figure
   is the server's own cost per turn without uvicorn's. Ours is the whole `bot.web` app
   (security middleware, CSRF, rate counters, form parsing, the engine on the channel runtime,
   encrypted in-memory drafts, rendering of the conversation fragment that chat.js asks for);
   the scripted people of tests/conversations complete referrals, filed to a recording filer.
3. Latency: `ke-intake web` as a process; 200 sessions each start a referral and answer with
   think times of 2-4 s (the offered load is printed next to the saturated rate); per-turn time
   from sending the POST to the whole response read, with and without the filing turns.
4. Two workers: each person's turns alternate between two `ke-intake web` processes sharing one
   Redis (drafts, counters) and one PostgreSQL inbox, against one worker on the same services.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import web_bare
from bench.harness import Figure, interleaved, median, ratio_figure

MIN_RATIO = 0.3
P99_TARGET_MS = 50.0
STEP = re.compile(r'data-step="([^"]+)"')
OPTIONAL = re.compile(r'data-optional="(true|false)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PEOPLE = ("nn_adult_self", "mother_child", "english_dnumber", "provider_elderly")


def _today() -> dt.date:
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


def _urlencoded(fields: dict[str, str]) -> tuple[bytes, bytes]:
    """A turn's body as chat.js posts it when the question takes no file."""
    return urlencode(fields).encode(), b"application/x-www-form-urlencoded"


async def _asgi(
    app: Any,
    method: str,
    path: str,
    *,
    cookie: str = "",
    fields: dict[str, str] | None = None,
    since: str = "",
) -> tuple[int, dict[str, str], bytes]:
    """One request straight into an ASGI app."""
    body, ctype = _urlencoded(fields) if fields is not None else (b"", b"")
    path, _, query = path.partition("?")
    headers = [(b"host", b"bench"), (b"x-ke-partial", b"1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if since:
        headers.append((b"x-ke-since", since.encode()))
    if fields is not None:
        headers += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 443),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, out_headers, chunks = 0, {}, []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", []):
                out_headers.setdefault(name.decode().lower(), value.decode())
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


def _ours_app() -> tuple[Any, Any]:
    from bot.settings import Settings
    from bot.web.app import create_app
    from bot.web.build import build_web
    from tests.filers import RecordingFiler

    filer = RecordingFiler()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        allow_synthetic_ids=True,
        id_hash_secret="bench-secret-bench-secret-bench!",
        draft_store="memory",
        web_session_turns_per_minute=10**9,
        web_address_turns_per_minute=10**9,
    )
    return create_app(build_web(settings, filer)), filer


async def _referral(app: Any, name: str, sizes: list[int]) -> tuple[int, float]:
    """One scripted person through the app; returns (turns, seconds spent in the app)."""
    from tests.conversations import answer_for, load

    script = load(name, _today())
    lang = script.language
    role = "&role=provider" if script.preset == "provider" else ""
    _, _, page = await _asgi(app, "GET", f"/?lang={lang}{role}")
    html = page.decode()
    cookie, since, first = "", "", True
    turns, busy = 0, 0.0
    for _ in range(200):
        found = STEP.search(html)
        if found is None:
            break
        step = found.group(1)
        optional = (OPTIONAL.search(html) or ["", "false"])[1] == "true"
        answer = answer_for(script, step, optional) or ""
        fields = {"csrf": CSRF.findall(html)[-1], "text": answer}
        if first:
            fields |= {"first": "1", "lang": lang}
            if script.preset:
                fields["role"] = script.preset
        start = time.process_time()
        status, headers, body = await _asgi(
            app, "POST", "/turn", cookie=cookie, fields=fields, since=since
        )
        busy += time.process_time() - start
        if status != 200:
            raise AssertionError(f"{name}: {step}: status {status}")
        if "set-cookie" in headers:
            cookie = headers["set-cookie"].split(";")[0]
        first, html = False, body.decode()
        ids = re.findall(r'data-id="(\d+)"', html)
        since = ids[-1] if ids else since
        sizes.append(len(body))
        turns += 1
    if "KE-" not in html:
        raise AssertionError(f"{name}: no receipt")
    return turns, busy


async def _bare(app: Any, count: int) -> float:
    busy = 0.0
    for _ in range(count):
        fields = {"csrf": "x" * 32, "text": "Kari Nordmann"}
        start = time.process_time()
        await _asgi(app, "POST", "/turn", cookie="__Host-ke-session=" + "x" * 43, fields=fields)
        busy += time.process_time() - start
    return busy


def throughput(rounds: int = 5, people: tuple[str, ...] = PEOPLE) -> Figure:
    app, filer = _ours_app()
    sizes: list[int] = []
    done: list[int] = []

    def ours() -> float:
        turns, busy = 0, 0.0
        for name in people:
            t, b = asyncio.run(_referral(app, name, sizes))
            turns, busy = turns + t, busy + b
        done.append(turns)
        return turns / busy

    ours()  # warm up: templates compiled, flow loaded
    bare = web_bare.app(int(statistics.median(sizes)))

    def baseline() -> float:
        count = done[-1]
        return count / asyncio.run(_bare(bare, count))

    samples = interleaved(rounds, {"ours": ours, "bare": baseline})
    if len(filer.filed) < len(people) * (rounds + 1):
        raise AssertionError("not every scripted person filed")
    return ratio_figure(
        "web turns per CPU-second in process, server cost only (vs bare Starlette route)",
        "turns/cpu-s",
        samples,
        ours="ours",
        baseline="bare",
        min_ratio=MIN_RATIO,
        note=f"{len(people)} complete referrals ({done[-1]} POSTs) per round x {rounds} rounds, "
        f"in-process ASGI, CPU time of this process per request, median page "
        f"{int(statistics.median(sizes))} B",
    )


# -- throughput over HTTP: one uvicorn worker each ---------------------------------------------


async def _exchange(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    path: str,
    fields: dict[str, str],
    cookie: str,
    since: str,
) -> tuple[int, dict[str, str], bytes]:
    """One keep-alive HTTP/1.1 POST on a raw socket: the lightest client we can write, so the
    servers, not the client, set the pace."""
    body, ctype = _urlencoded(fields)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nX-KE-Partial: 1\r\n"
        f"Content-Type: {ctype.decode()}\r\nContent-Length: {len(body)}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + (f"X-KE-Since: {since}\r\n" if since else "")
        + "\r\n"
    )
    writer.write(head.encode() + body)
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers.setdefault(name.strip().lower(), value.strip())
    content = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, content


async def _http_referrals(ports: list[int], names: list[str], record: list[int]) -> int:
    """Scripted people through real workers, one keep-alive connection to each; turn n of a
    person goes to `ports[n % len(ports)]` (a round-robin balancer). Returns POSTs made."""
    import urllib.request

    from tests.conversations import answer_for, load

    links = [await asyncio.open_connection("127.0.0.1", port) for port in ports]
    posts = 0
    try:
        for name in names:
            script = load(name, _today())
            role = "&role=provider" if script.preset == "provider" else ""
            url = f"http://127.0.0.1:{ports[0]}/?lang={script.language}{role}"
            html = await asyncio.to_thread(lambda u=url: urllib.request.urlopen(u).read().decode())  # noqa: S310
            cookie, since, first = "", "", True
            while (found := STEP.search(html)) is not None:
                optional = (OPTIONAL.search(html) or ["", "false"])[1] == "true"
                answer = answer_for(script, found.group(1), optional) or ""
                fields = {"csrf": CSRF.findall(html)[-1], "text": answer}
                if first:
                    fields |= {"first": "1", "lang": script.language, "role": script.preset or ""}
                reader, writer = links[posts % len(links)]
                status, headers, content = await _exchange(
                    reader, writer, "/turn", fields, cookie, since
                )
                if status != 200 or headers.get("x-ke-partial") != "1":
                    raise AssertionError(f"{name}: status {status}, not the conversation")
                if "set-cookie" in headers:
                    cookie = headers["set-cookie"].split(";")[0]
                html, first = content.decode(), False
                ids = re.findall(r'data-id="(\d+)"', html)
                since = ids[-1] if ids else since
                record.append(len(content))
                posts += 1
            if "KE-" not in html:
                raise AssertionError(f"{name}: no receipt")
    finally:
        for _, writer in links:
            writer.close()
    return posts


async def _http_bare(port: int, posts: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(posts):
            fields = {"csrf": "x" * 32, "text": "Kari Nordmann"}
            await _exchange(reader, writer, "/turn", fields, "__Host-ke-session=" + "x" * 43, "7")
    finally:
        writer.close()


def _server() -> str:
    """The HTTP server both workers run on: uvicorn's own choice ("auto"), which is httptools
    and uvloop when they are installed (they are dependencies); checked, so the note is true."""
    from importlib.metadata import version

    import httptools  # noqa: F401
    import uvloop  # noqa: F401

    return (
        f"uvicorn {version('uvicorn')} with httptools {version('httptools')} and "
        f"uvloop {version('uvloop')}, one process each"
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc): a worker's own cost, whatever
    else the machine runs."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(f"http://127.0.0.1:{port}")
    return process


def _stop(*processes: subprocess.Popen[bytes]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(15)


def _env(tmp: str, **extra: str) -> dict[str, str]:
    from bench.procs import clean_env

    return clean_env() | {
        "KE_DATA_DIR": str(Path(tmp) / "data"),
        "KE_ID_HASH_SECRET": "bench-secret-bench-secret-bench!",
        # one worker's own cost: drafts in memory unless the run shares them in Redis
        "KE_DRAFT_STORE": "redis" if "KE_REDIS_URL" in extra else "memory",
        "KE_WEB_SESSION_TURNS_PER_MINUTE": "100000",
        "KE_WEB_ADDRESS_TURNS_PER_MINUTE": "10000000",
        **extra,
    }


KE_INTAKE = str(Path(sys.executable).with_name("ke-intake"))


def _groups(connections: int, per: int = 2) -> list[list[str]]:
    return [[PEOPLE[(c + k) % 3] for k in range(per)] for c in range(connections)]


STORES = ("redis", "sqlite", "memory")
STORE_NAMES = {
    "redis": "Redis drafts",  # several workers: issue 12's scale set-up
    "sqlite": "SQLite draft file",  # one worker's default without Redis
    "memory": "drafts in memory",  # the worker's own cost (tests only)
}


def _ours_worker(store: str, tmp: str, port: int, prefix: str) -> subprocess.Popen[bytes]:
    """`ke-intake web --demo` with its drafts in `store`; with Redis through
    `bench/web_process.py` (its keys under the run's prefix, deleted afterwards)."""
    from bench.services import REDIS_URL
    from storage.drafts import generate_key

    folder = str(Path(tmp) / store)
    if store == "redis":
        env = _env(folder, KE_REDIS_URL=REDIS_URL, KE_DRAFT_KEYS=generate_key())
        args = [sys.executable, "-m", "bench.web_process", prefix, str(port)]
    else:
        env = _env(folder) | {"KE_DRAFT_STORE": store}
        args = [KE_INTAKE, "web", "--demo", "--port", str(port)]
    return _worker(args, env, port)


def http_throughput(
    rounds: int = 3, connections: int = 8, stores: tuple[str, ...] = STORES
) -> list[Figure]:
    """Turns per CPU-second of one `ke-intake web` worker per draft store against one bare
    Starlette worker, all on the same uvicorn, each saturated in turn by `connections`
    keep-alive connections of the same client, interleaved (rotating who goes first); and the
    turns/s of wall time of the first store's worker against the bare one's. CPU time is what
    each worker process itself spends, so the other load on a shared machine counts less."""
    from bench.procs import free_port
    from bench.services import ServiceMissing, redis_prefix

    if "redis" in stores:
        try:
            with redis_prefix():
                pass
        except ServiceMissing:
            stores = tuple(s for s in stores if s != "redis")
    sizes: list[int] = []
    posts_per_round: list[int] = []
    cpu: dict[str, list[float]] = {name: [] for name in (*stores, "bare")}
    wall: dict[str, list[float]] = {name: [] for name in (*stores, "bare")}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        prefix = stack.enter_context(redis_prefix()) if "redis" in stores else ""
        workers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
        stack.callback(lambda: _stop(*(process for process, _ in workers.values())))
        for store in stores:
            port = free_port()
            workers[store] = (_ours_worker(store, tmp, port, prefix), port)

        def ours(store: str) -> Callable[[], float]:
            process, port = workers[store]

            def run() -> float:
                async def go() -> int:
                    groups = _groups(connections)
                    counts = await asyncio.gather(
                        *(_http_referrals([port], g, sizes) for g in groups)
                    )
                    return sum(counts)

                used, start = _cpu_seconds(process.pid), time.perf_counter()
                posts = asyncio.run(go())
                elapsed = time.perf_counter() - start
                cpu[store].append(posts / max(_cpu_seconds(process.pid) - used, 0.01))
                wall[store].append(posts / elapsed)
                posts_per_round.append(posts)
                return posts / elapsed

            return run

        for store in stores:  # warm up (imports, compiled templates, kept pages), learn the size
            ours(store)()
        size = int(statistics.median(sizes))
        bare_port = free_port()
        args = [sys.executable, "-m", "bench.web_bare", str(bare_port), str(size)]
        bare = _worker(args, _env(tmp), bare_port)
        workers["bare"] = (bare, bare_port)

        def run_bare() -> float:
            # four times our POSTs: enough CPU time for /proc's 10 ms ticks to count
            share = [4 * posts_per_round[-1] // connections] * connections

            async def go() -> None:
                await asyncio.gather(*(_http_bare(bare_port, n) for n in share))

            used, start = _cpu_seconds(bare.pid), time.perf_counter()
            asyncio.run(go())
            elapsed = time.perf_counter() - start
            cpu["bare"].append(sum(share) / max(_cpu_seconds(bare.pid) - used, 0.01))
            wall["bare"].append(sum(share) / elapsed)
            return sum(share) / elapsed

        run_bare()  # warm up
        for samples in (*cpu.values(), *wall.values()):
            samples.clear()
        interleaved(rounds, {**{store: ours(store) for store in stores}, "bare": run_bare})
    note = (
        f"{connections} keep-alive connections, {posts_per_round[-1]} POSTs per round "
        f"(complete referrals, filed into the demo SQLite inbox, posted urlencoded as chat.js "
        f"does) x {rounds} rounds, each worker in turn, median page {size} B (the bare worker's "
        f"page: the same size); {_server()}; client on the same machine; load average "
        f"{os.getloadavg()[0]:.1f} at the end"
    )
    figures = [
        ratio_figure(
            f"web turns/s, one worker, {STORE_NAMES[stores[0]]} (vs bare Starlette worker)",
            "turns/s",
            wall,
            ours=stores[0],
            baseline="bare",
            min_ratio=MIN_RATIO,
            note=note,
        )
    ]
    for store in stores:
        figures.append(
            ratio_figure(
                f"web turns per CPU-second, one worker, {STORE_NAMES[store]} (vs bare)",
                "turns/cpu-s",
                cpu,
                ours=store,
                baseline="bare",
                min_ratio=MIN_RATIO,
                note="the same rounds; CPU time (user + system) of each worker process from /proc",
            )
        )
    return figures


# -- two workers on one Redis and one PostgreSQL -----------------------------------------------


def two_workers(rounds: int = 3, connections: int = 8) -> Figure:
    """Turns/s of two `ke-intake web` workers behind a round-robin balancer (each person's turns
    alternate between them), drafts in one Redis and the inbox in one PostgreSQL, against one
    worker on the same Redis and PostgreSQL. Every referral must arrive in the inbox."""
    from bench.procs import free_port
    from bench.services import REDIS_URL, postgres_schema, redis_prefix
    from storage.drafts import generate_key

    counted: list[int] = []
    sizes: list[int] = []
    with (
        postgres_schema() as url,
        redis_prefix() as prefix,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = _env(tmp, KE_REDIS_URL=REDIS_URL, KE_DATABASE_URL=url, KE_DRAFT_TTL_HOURS="1")
        env["KE_DRAFT_KEYS"] = generate_key()
        ports = [free_port(), free_port()]
        workers = []
        try:
            for port in ports:  # one after the other: the first creates the signing key
                args = [sys.executable, "-m", "bench.web_process", prefix, str(port)]
                workers.append(_worker(args, env, port))

            def run(using: list[int]) -> float:
                async def go() -> int:
                    counts = await asyncio.gather(
                        *(_http_referrals(using, g, sizes) for g in _groups(connections))
                    )
                    return sum(counts)

                start = time.perf_counter()
                posts = asyncio.run(go())
                counted.append(connections * 2)
                return posts / (time.perf_counter() - start)

            run(ports)  # warm up both
            samples = interleaved(
                rounds, {"two": lambda: run(ports), "one": lambda: run(ports[:1])}
            )
        finally:
            _stop(*workers)
        filed = _inbox_count(url, Path(tmp) / "data")
    if filed != sum(counted):
        raise AssertionError(f"{sum(counted)} referrals completed, {filed} in the inbox")
    return Figure(
        "web turns/s, two workers on one Redis + PostgreSQL (vs one worker on the same)",
        "turns/s",
        median(samples["two"]),
        baseline=median(samples["one"]),
        note=f"{connections} clients with a keep-alive connection to each worker; a person's "
        f"turns alternate between the workers; {filed} referrals, each found in the PostgreSQL "
        f"inbox; {os.cpu_count()} cores shared with the client and the services",
        samples={"ours": samples["two"], "baseline": samples["one"]},
    )


def _inbox_count(database_url: str, data_dir: Path) -> int:
    from bot.bootstrap import App
    from bot.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, database_url=database_url)  # type: ignore[call-arg]
    app = App.from_settings(settings, intake_side=False)
    try:
        return len(app.inbox.list())
    finally:
        app.close()


# -- latency under 200 sessions ----------------------------------------------------------------


async def _session(
    port: int,
    name: str,
    latencies: list[tuple[float, bool]],
    stop: float,
    rng: random.Random,
) -> None:
    """One person on their own keep-alive connection, posting as chat.js does (urlencoded, the
    fragment with only the transcript entries after the last one shown)."""
    import urllib.request

    from tests.conversations import answer_for, load

    script = load(name, _today())
    url = f"http://127.0.0.1:{port}/?lang={script.language}"
    html = await asyncio.to_thread(lambda: urllib.request.urlopen(url).read().decode())
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    cookie, since, first = "", "", True
    try:
        while time.monotonic() < stop and (found := STEP.search(html)) is not None:
            await asyncio.sleep(rng.uniform(2.0, 4.0))
            optional = (OPTIONAL.search(html) or ["", "false"])[1] == "true"
            answer = answer_for(script, found.group(1), optional) or ""
            fields = {"csrf": CSRF.findall(html)[-1], "text": answer}
            if first:
                fields |= {"first": "1", "lang": script.language}
            start = time.perf_counter()
            status, headers, content = await _exchange(
                reader, writer, "/turn", fields, cookie, since
            )
            filed = found.group(1) == "summary" and b"KE-" in content
            latencies.append((time.perf_counter() - start, filed))
            if status != 200:
                raise AssertionError(f"{name}: status {status}")
            if "set-cookie" in headers:
                cookie = headers["set-cookie"].split(";")[0]
            html, first = content.decode(), False
            ids = re.findall(r'data-id="(\d+)"', html)
            since = ids[-1] if ids else since
    finally:
        writer.close()


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else 0.0


def latency(
    sessions: int = 200,
    seconds: float = 120.0,
    capacity: float | None = None,
    ramp: float = 10.0,
    store: str = "redis",
) -> list[Figure]:
    """Per-turn latency of one `ke-intake web` worker (drafts in `store`, memory when Redis is
    not there) under `sessions` people who think 2-4 s between turns, starting over `ramp`
    seconds, after one referral per scripted person has warmed the worker up (imports,
    compiled templates, kept pages: a start-up cost, not a turn's); `capacity` (turns/s the
    worker reached saturated) puts the offered load in proportion. The client runs on uvloop
    and measures its own event-loop lag, which is part of every latency it reports."""
    import uvloop

    from bench.procs import free_port
    from bench.services import ServiceMissing, redis_prefix

    port = free_port()
    loads = [os.getloadavg()[0]]
    latencies: list[tuple[float, bool]] = []
    lag: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        prefix = ""
        if store == "redis":
            try:
                prefix = stack.enter_context(redis_prefix())
            except ServiceMissing:
                store = "memory"
        process = _ours_worker(store, tmp, port, prefix)
        try:
            uvloop.run(_http_referrals([port], list(PEOPLE), []))

            async def crowd() -> None:
                rng = random.Random(7)
                stop = time.monotonic() + seconds
                tasks = [asyncio.create_task(_lag(lag, stop))]
                for n in range(sessions):
                    name = PEOPLE[n % 3]  # the provider needs its own entry; three suffice
                    session = _session(port, name, latencies, stop, random.Random(n))
                    tasks.append(asyncio.create_task(session))
                    await asyncio.sleep(rng.uniform(0, 2 * ramp / sessions))
                await asyncio.gather(*tasks)

            started = time.monotonic()
            uvloop.run(crowd())
            elapsed = time.monotonic() - started
        finally:
            _stop(process)
    loads.append(os.getloadavg()[0])
    ordered = sorted(t for t, _ in latencies)
    plain = sorted(t for t, filed in latencies if not filed)
    offered = len(ordered) / elapsed
    share = f", {offered / capacity:.0%} of the saturated rate above" if capacity else ""
    note = (
        f"{sessions} sessions starting over {ramp:g} s, think 2-4 s: {len(ordered)} turns in "
        f"{elapsed:.0f} s ({offered:.0f} turns/s offered{share}); {len(ordered) - len(plain)} "
        f"filings among them; without the filings p50 {_percentile(plain, 0.5):.1f} ms, p99 "
        f"{_percentile(plain, 0.99):.1f} ms; the client's own event-loop lag p50 "
        f"{_percentile(sorted(lag), 0.5):.1f} ms, p99 {_percentile(sorted(lag), 0.99):.1f} ms; "
        f"load average {loads[0]:.1f} at the start, {loads[1]:.1f} at the end; "
        f"{STORE_NAMES[store]}; client on the same machine"
    )
    p99 = _percentile(ordered, 0.99)
    return [
        Figure(
            f"web turn latency p50, {sessions} sessions", "ms", _percentile(ordered, 0.5), note=note
        ),
        Figure(
            f"web turn latency p99, {sessions} sessions",
            "ms",
            p99,
            target=f"< {P99_TARGET_MS:g} ms",
            met=p99 < P99_TARGET_MS,
        ),
    ]


async def _lag(lag: list[float], stop: float, every: float = 0.01) -> None:
    """How late the client's event loop wakes up: its own share of the latencies it measures."""
    while time.monotonic() < stop:
        start = time.perf_counter()
        await asyncio.sleep(every)
        lag.append(max(0.0, time.perf_counter() - start - every))


def _wait(base: str) -> None:
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):  # noqa: S310 (http://)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError("ke-intake web did not start") from None
            time.sleep(0.1)


def run(
    *,
    rounds: int = 5,
    people: tuple[str, ...] = PEOPLE,
    sessions: int = 200,
    seconds: float = 120,
    workers: bool = True,
) -> list[Figure]:
    figures = http_throughput(rounds)
    figures.append(throughput(rounds, people))
    if sessions:
        figures += latency(sessions, seconds, capacity=figures[0].ours)
    if workers:
        from bench.services import ServiceMissing

        try:
            figures.append(two_workers(max(1, rounds // 2)))
        except ServiceMissing as missing:  # the other figures stand without Redis/PostgreSQL
            figures.append(Figure("web: two workers skipped", "-", float("nan"), note=str(missing)))
    return figures


if __name__ == "__main__":  # python -m bench.web
    from bench.harness import table

    print(table(run(rounds=int(os.environ.get("ROUNDS", "3")))))
