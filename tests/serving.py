"""A `ke-intake` web process as a user starts it: run, wait until it answers, stop it."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KE_INTAKE = Path(sys.executable).with_name("ke-intake")


def logs(log: Path) -> str:
    return log.read_text(errors="replace")


@contextmanager
def serving(
    args: list[str], *, cwd: Path, env: dict[str, str], log: Path, ready_url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """`ke-intake ARGS` with output to `log`, yielded once `ready_url` answers (30 s at most)."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(KE_INTAKE), *args], cwd=cwd, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 30
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
