"""`ke-intake web` as a user starts it, on a free port, with its own data directory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from storage.drafts import generate_key
from tests.serving import free_port, ke_env, serving


@dataclass
class WebServer:
    url: str  # http://localhost:PORT (localhost: Chromium keeps Secure cookies there)
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    defaults = {
        "KE_DRAFT_KEYS": generate_key(),
        "KE_ID_HASH_SECRET": "web-e2e-secret-web-e2e-secret-0",
        "KE_WEB_SESSION_TURNS_PER_MINUTE": "1000",
        "KE_WEB_ADDRESS_TURNS_PER_MINUTE": "100000",
    }
    return ke_env(data_dir, **(defaults | extra))


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


@contextmanager
def web_workers(tmp: Path, env: dict[str, str], count: int = 2) -> Iterator[list[WebServer]]:
    """`count` workers sharing `env` (its data directory, Redis, database), each in a folder
    w1, w2, ... of `tmp`, started one after the other."""
    with ExitStack() as stack:
        workers = []
        for n in range(1, count + 1):
            folder = tmp / f"w{n}"
            folder.mkdir()
            workers.append(stack.enter_context(web_server(folder, env=env, name=f"w{n}")))
        yield workers
