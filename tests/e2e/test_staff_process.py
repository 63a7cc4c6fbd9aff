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
