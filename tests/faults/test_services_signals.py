"""The fault suite's own PostgreSQL: a process of its group that exits between pgrep listing it
and the signal (a backend whose client just left) is not an error at freeze or thaw."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.faults.services import PrivatePostgres


def test_a_process_gone_before_its_signal_is_skipped(tmp_path: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # reaped: its pid names no process now
    postgres = PrivatePostgres(tmp_path)
    postgres.postmaster_pid = gone.pid
    postgres.freeze()
    postgres.thaw()
