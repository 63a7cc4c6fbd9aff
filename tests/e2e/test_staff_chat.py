"""The issue's acceptance path: a referral filed by the terminal chat is listed without the key,
then opened, exported (PDF with its uploaded document) and given a status with the KE's key."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest

from tests.conversations import PDF_BYTES, UPLOAD, answer_for, load
from tests.integration.test_staff_cli import Workstation
from tests.serving import JsonChat, ke_env

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSPHRASE = "demo"


def chat_filing(data_dir: Path, upload: Path) -> str:
    script = load("attorney_son", dt.datetime.now(ZoneInfo("Europe/Oslo")).date())
    chat = JsonChat(ke_env(data_dir), ROOT, "--demo", "--lang", script.language)
    line = chat.read()
    for _ in range(150):
        assert line["error"] is None, (line["step"], line["error"])
        if line["step"] == "done":
            break
        answer = answer_for(script, line["step"], line["optional"])
        assert answer is not None, line["step"]
        line = chat.send({"file": str(upload)} if answer == UPLOAD else {"text": answer})
    assert chat.close() == 0
    reference: str = line["reference"]
    assert reference.startswith("KE-")
    return reference


def test_a_chat_referral_reaches_the_ke_and_only_the_key_opens_it(tmp_path: Path) -> None:
    upload = tmp_path / "fullmakt.pdf"
    upload.write_bytes(PDF_BYTES)
    data_dir = tmp_path / "data"
    ref = chat_filing(data_dir, upload)
    ws = Workstation(data_dir)
    key = data_dir / "demo-keys" / "demo-ke.key"

    listing = ws.ok("inbox", "list", "--kommune", "Tromsø")
    assert ref in listing and "5501" in listing
    assert "identitet ikke verifisert (chat)" in listing and "Johansen" not in listing

    shown = ws.ok("inbox", "show", ref, "--key", key, "--by", "Kari", passphrase=DEMO_PASSPHRASE)
    assert "Per Johansen" in shown and "Knut Johansen" in shown
    assert "Ikke verifisert (terminal-chat)" in shown
    assert "[x] Individuell plan" in shown and "Fullmektig" in shown

    out = tmp_path / "arkiv.pdf"
    ws.ok("inbox", "export", ref, "--key", key, "--format", "pdf", "--out", out, "--attachments",
          passphrase=DEMO_PASSPHRASE)  # fmt: skip
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(out.read_bytes())).pages)
    assert "Per Johansen" in text and "Tromsø" in text
    assert (tmp_path / "arkiv-vedlegg-1.pdf").read_bytes() == PDF_BYTES

    assert "passordfrase" in ws.fails("inbox", "show", ref, "--key", key, passphrase="gjett")
    ws.ok("inbox", "status", ref, "in_review", "--note", "Ringer sønnen.", "--by", "Kari")
    assert ("opened", ref, "Kari") in ws.audit()
    assert "Revisjonsloggen er hel" in ws.ok("inbox", "audit-verify")
