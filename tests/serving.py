"""A `ke-intake` server process as a user starts it (the web chat, staff-web, the Rasa action
server): a free port, an environment of its own, run, wait until it answers, stop it."""

from __future__ import annotations

import json
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
from typing import Any

import httpx

KE_INTAKE = Path(sys.executable).with_name("ke-intake")
RASA_TOKEN = "test-action-token-0123456789"


def logs(log: Path) -> str:
    return log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ke_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """This environment without any KE_ setting of the machine, with KE_DATA_DIR and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    return env | {"KE_DATA_DIR": str(data_dir), **extra}


class JsonChat:
    """`ke-intake chat --json` as a process, spoken to over its line protocol."""

    def __init__(self, env: dict[str, str], cwd: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [str(KE_INTAKE), "chat", "--json", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read() if self.proc.stderr else "no output"
        data: dict[str, Any] = json.loads(line)
        return data

    def write(self, value: str | dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((value if isinstance(value, str) else json.dumps(value)) + "\n")
        self.proc.stdin.flush()

    def send(self, value: str | dict[str, Any]) -> dict[str, Any]:
        self.write(value)
        return self.read()

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


@contextmanager
def serving(
    args: list[str],
    *,
    cwd: Path | None,
    env: dict[str, str],
    log: Path,
    ready_url: str,
    seconds: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """`ke-intake ARGS` with output to `log`, yielded once `ready_url` answers (`seconds` at
    most)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(KE_INTAKE), *args], cwd=cwd, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + seconds
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ke-intake {args[0]} exited:\n{logs(log)}")
            try:
                with urllib.request.urlopen(ready_url, timeout=1):  # noqa: S310 (loopback http)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"ke-intake {args[0]} did not start:\n{logs(log)}"
                    ) from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# -- the Rasa action server --------------------------------------------------------------------


@dataclass
class ActionServer:
    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def post(
        self,
        body: Any,
        *,
        raw: bytes | None = None,
        token: str | None = RASA_TOKEN,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """A call as Rasa makes it (`token` None: without the Authorization header)."""
        content = raw if raw is not None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        response = httpx.post(f"{self.url}/webhook", content=content, headers=sent, timeout=60)
        return response.status_code, response.json()


def action_server_env(data_dir: Path, token: str | None = RASA_TOKEN) -> dict[str, str]:
    return ke_env(data_dir, **({"KE_RASA_ACTION_TOKEN": token} if token is not None else {}))


@contextmanager
def action_server(
    data_dir: Path, *, log: Path | None = None, token: str = RASA_TOKEN
) -> Iterator[ActionServer]:
    """`ke-intake rasa-actions --demo` on a free port with `token`, logging at DEBUG to `log`
    (server.log in `data_dir` by default)."""
    port = free_port()
    log = log or data_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with serving(
        ["rasa-actions", "--port", str(port), "--demo", "--log-level", "DEBUG"],
        cwd=None,
        env=action_server_env(data_dir, token),
        log=log,
        ready_url=f"{url}/health",
        seconds=60,
    ) as process:
        yield ActionServer(url, data_dir, log, process)
