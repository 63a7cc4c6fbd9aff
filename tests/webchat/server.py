"""`ke-intake web` as a user starts it, on a free port, with its own data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.drafts import generate_key

KE_INTAKE = Path(sys.executable).with_name("ke-intake")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebServer:
    url: str  # http://localhost:PORT (localhost: Chromium keeps Secure cookies there)
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env |= {
        "KE_DATA_DIR": str(data_dir),
        "KE_DRAFT_KEYS": generate_key(),
        "KE_ID_HASH_SECRET": "web-e2e-secret-web-e2e-secret-0",
        "KE_WEB_SESSION_TURNS_PER_MINUTE": "1000",
        "KE_WEB_ADDRESS_TURNS_PER_MINUTE": "100000",
    }
    return env | extra


@contextmanager
def web_server(
    tmp: Path, *, port: int | None = None, env: dict[str, str] | None = None, name: str = "web"
) -> Iterator[WebServer]:
    port = port or free_port()
    data_dir = Path(env["KE_DATA_DIR"]) if env else tmp / "data"
    log = tmp / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(KE_INTAKE), "web", "--demo", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp,
            env=env or server_env(data_dir),
            stdout=out,
            stderr=out,
        )
    server = WebServer(f"http://localhost:{port}", data_dir, log, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ke-intake web exited:\n{server.logs()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"ke-intake web did not start:\n{server.logs()}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
