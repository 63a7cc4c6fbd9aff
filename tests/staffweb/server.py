"""`ke-intake staff-web` as a KE starts it, on a free port, on a prepared KE data directory."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.serving import free_port, ke_env, serving


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
    env = ke_env(data_dir, **({"KE_ALLOW_SYNTHETIC_IDS": "true"} | env_extra))
    with serving(
        ["staff-web", "--host", "127.0.0.1", "--port", str(port)],
        cwd=data_dir.parent,
        env=env,
        log=log,
        ready_url=f"http://127.0.0.1:{port}/login",
    ) as process:
        yield StaffServer(f"http://localhost:{port}", log, process)
