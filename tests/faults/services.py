"""Private PostgreSQL and Redis servers for the fault suite, on random ports, in temporary
directories: the tests stop, freeze (SIGSTOP) and thaw (SIGCONT) these, never the shared ones on
5432 and 6379. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.serving import free_port


def _wait_port(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answered on port {port} within {seconds:.0f} s")


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        # Persisted as a production Redis is (an append-only file, flushed at shutdown): a
        # Redis stopped and started again keeps the drafts, as it must in production.
        argv += ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", str(self.folder)]
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=log)
        _wait_port(self.port)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def reset(self) -> None:
        """Running, thawed and empty (this private server only; never the shared one)."""
        if self.running:
            self.thaw()
        else:
            self.start()
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            client.flushall()
        finally:
            client.close()

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


class PrivatePostgres:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.data = folder / "pgdata"
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb and postgres refuse root
            self._as = ["runuser", "-u", "postgres", "--"]
        self.postmaster_pid: int | None = None

        self._databases = 0

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    @property
    def running(self) -> bool:
        return self.postmaster_pid is not None

    def reset(self) -> str:
        """Running and thawed, with a new empty database for one test; returns its URL."""
        if self.running:
            self.thaw()
        else:
            self.start()
        import psycopg

        self._databases += 1
        name = f"faults_{os.getpid()}_{self._databases}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as db:
            db.execute(f"CREATE DATABASE {name}")  # a name made here, never from input
        return self.database_url(name)

    def _run(self, *argv: str) -> None:
        subprocess.run([*self._as, *argv], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if self._as:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(
            shutil.which("initdb") or "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            shutil.which("pg_ctl") or "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "postgres.log"),
            "-w",
            "start",
        )
        self.postmaster_pid = int((self.data / "postmaster.pid").read_text().split()[0])
        _wait_port(self.port)

    def stop(self, mode: str = "fast") -> None:
        if self.postmaster_pid is None:
            return
        self.thaw()
        subprocess.run(
            [
                *self._as,
                shutil.which("pg_ctl") or "pg_ctl",
                "-D",
                str(self.data),
                "-m",
                mode,
                "-w",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        self.postmaster_pid = None

    def _group(self) -> list[int]:
        """The postmaster and its children (backends), to freeze them all."""
        assert self.postmaster_pid is not None
        out = subprocess.run(
            ["pgrep", "-P", str(self.postmaster_pid)], capture_output=True, text=True
        ).stdout
        return [self.postmaster_pid, *(int(pid) for pid in out.split())]

    def _signal_group(self, signum: signal.Signals) -> None:
        # A backend may exit between pgrep listing it and the signal (a client that just
        # disconnected): nothing left to freeze or thaw there.
        for pid in self._group():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def freeze(self) -> None:
        self._signal_group(signal.SIGSTOP)

    def thaw(self) -> None:
        if self.postmaster_pid is None:
            return
        self._signal_group(signal.SIGCONT)


def missing() -> str | None:
    """What this machine lacks to run the fault suite, if anything."""
    for binary in ("redis-server", "initdb", "pg_ctl"):
        if shutil.which(binary) is None:
            return f"{binary} is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user for initdb"
    return None


@contextmanager
def private_services() -> Iterator[tuple[PrivatePostgres, PrivateRedis]]:
    with tempfile.TemporaryDirectory(prefix="ke-faults-") as folder:
        root = Path(folder)
        root.chmod(0o755)  # the postgres user must reach its data directory inside
        (root / "pg").mkdir()
        (root / "redis").mkdir()
        postgres, redis = PrivatePostgres(root / "pg"), PrivateRedis(root / "redis")
        postgres.init()
        postgres.start()
        try:
            redis.start()
            try:
                yield postgres, redis
            finally:
                redis.stop()
        finally:
            postgres.stop("immediate")
