"""The staff commands as real processes: exit codes, one-line errors without a traceback, and the
key never asked for where no terminal is (the full flow is in tests/integration)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.referrals import personal_strings, valid_referral
from tests.integration.test_staff_cli import PASSPHRASE, Workstation

pytestmark = pytest.mark.slow


def test_list_and_show_as_processes(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    data = valid_referral()
    ref = ws.file(data)  # filing has its own process tests (test_file_cli.py)
    ws.processes = True

    listing = ws.ok("inbox", "list")
    assert ref in listing and "identitet ikke verifisert (fil)" in listing
    assert [s for s in personal_strings(data) if s in listing] == []

    shown = ws.ok("inbox", "show", ref, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE)
    assert data["person"]["national_id"] in shown
    # No variable and no terminal: say so, never hang on a prompt.
    assert "KE_KEY_PASSPHRASE" in ws.fails("inbox", "show", ref, "--key", ws.key)
    ws.processes = False
    assert "Revisjonsloggen er hel" in ws.ok("inbox", "audit-verify")


def _show_into_pipe(
    ws: Workstation, ref: str, *, read_first_line: bool
) -> tuple[bytes, int, bytes]:
    import os
    import subprocess
    import sys

    env = {**ws.env, "KE_KEY_PASSPHRASE": PASSPHRASE}
    command = [sys.executable, "-m", "bot", "inbox", "show", ref, "--key", str(ws.key)]
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        command, stdout=write_end, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env
    )
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        first = reader.readline() if read_first_line else b""
    _, stderr = process.communicate(timeout=60)
    return first, process.returncode, stderr


def test_a_reader_that_leaves_early_ends_the_command_quietly(tmp_path: Path) -> None:
    """`ke-intake inbox show REF | head -1`: no BrokenPipeError traceback, SIGPIPE's status."""
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    # The reader is gone before the first write (Python takes far longer to start than this).
    _, code, stderr = _show_into_pipe(ws, ref, read_first_line=False)
    assert stderr == b"" and code == 141, stderr.decode()
    # `head -1`: one line read, then gone; the rest of the output may or may not have fitted
    # into the pipe by then, so either status is right, but never a word on stderr.
    first, code, stderr = _show_into_pipe(ws, ref, read_first_line=True)
    assert first.strip() and stderr == b"" and code in (0, 141), stderr.decode()
