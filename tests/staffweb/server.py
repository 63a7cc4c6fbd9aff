"""`ke-intake staff-web` as a KE starts it, on a free port, on a prepared KE data directory."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.webchat.server import free_port

KE_INTAKE = Path(sys.executable).with_name("ke-intake")


@dataclass
class StaffServer:
    url: str  # http://localhost:PORT
    log: Path
    process: subprocess.Popen[bytes]

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def staff_server(data_dir: Path, log: Path, **env_extra: str) -> Iterator[StaffServer]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    env |= {"KE_DATA_DIR": str(data_dir), "KE_ALLOW_SYNTHETIC_IDS": "true", **env_extra}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(KE_INTAKE), "staff-web", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir.parent,
            env=env,
            stdout=out,
            stderr=out,
        )
    server = StaffServer(f"http://localhost:{port}", log, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"ke-intake staff-web exited:\n{server.logs()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"staff-web did not start:\n{server.logs()}") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
