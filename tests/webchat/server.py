"""`ke-intake web` as a user starts it, on a free port, with its own data directory."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.drafts import generate_key
from tests.serving import serving


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
    with serving(
        ["web", "--demo", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp,
        env=env or server_env(data_dir),
        log=log,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    ) as process:
        yield WebServer(f"http://localhost:{port}", data_dir, log, process)
