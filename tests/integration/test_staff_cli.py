"""The KE staff's `ke-intake inbox` commands on a temporary KE_DATA_DIR: the main flow on SQLite
and on PostgreSQL, then the cases that need the SQLite file itself.

The commands go through the real `ke-intake` entry point with the environment a process would
get; starting a process per command costs seconds each, so tests/e2e/test_staff_process.py runs
the key steps as real processes instead (`Workstation(processes=True)`)."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdf
import pytest

from intake.filing import Filing
from tests.fixtures.referrals import personal_strings, valid_referral

PASSPHRASE = "Fire ord er bedre enn ett"


@dataclass
class Workstation:
    """One KE data directory (and optionally a PostgreSQL inbox) driven through the CLI."""

    data_dir: Path
    database_url: str | None = None
    processes: bool = False
    env: dict[str, str] = field(default_factory=dict)
    # False for a copy of a prepared data directory, whose key file came along.
    register_key: bool = True

    def __post_init__(self) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
        self.env["KE_DATA_DIR"] = str(self.data_dir)
        if self.database_url:
            self.env["KE_DATABASE_URL"] = self.database_url
        if self.register_key:
            self._install_key()

    @property
    def key(self) -> Path:
        return self.data_dir.parent / "oslo-ke.key"

    def app(self) -> Any:
        from bot.bootstrap import App
        from bot.settings import Settings

        settings = Settings(data_dir=self.data_dir, database_url=self.database_url)
        return App.from_settings(settings, intake_side=False)

    def _install_key(self) -> None:
        """Oslo's KE key, registered before filing (so demo mode keeps its own key out), with
        cheap Argon2 parameters: the real ones cost a second per opening."""
        from storage.crypto.envelope import RecipientKey
        from storage.crypto.keys import Argon2Params, generate_recipient_key, save_private_key

        key = generate_recipient_key()
        cheap = Argon2Params.cheap_for_tests()
        save_private_key(self.key, key, PASSPHRASE.encode(), "0301", argon2=cheap)
        recipient = RecipientKey.of(key.public_key())
        app = self.app()
        try:
            raw = key.public_key().public_bytes_raw()
            now = dt.datetime.now(dt.UTC)
            app.inbox.add_recipient_key("0301", recipient.key_id, raw, now, actor="test")
        finally:
            app.close()

    def run(
        self, *args: str | Path, passphrase: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        env = dict(self.env)
        if passphrase is not None:
            env["KE_KEY_PASSPHRASE"] = passphrase
        if not self.processes:
            return in_process([str(a) for a in args], env)
        result = subprocess.run(
            [sys.executable, "-m", "bot", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            cwd=self.data_dir.parent,
            stdin=subprocess.DEVNULL,
            timeout=120,
        )
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def ok(self, *args: str | Path, passphrase: str | None = None) -> str:
        result = self.run(*args, passphrase=passphrase)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def flagged(self, *args: str | Path) -> str:
        """The output of a reading command that found a row altered (exit code 1)."""
        result = self.run(*args)
        assert result.returncode == 1, (result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        return result.stdout

    def fails(self, *args: str | Path, passphrase: str | None = None) -> str:
        """The one-line error of a failing command."""
        result = self.run(*args, passphrase=passphrase)
        assert result.returncode == 1, (result.stdout, result.stderr)
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, lines
        return lines[0]

    def file(self, data: dict[str, Any], *extra: str) -> str:
        path = self.data_dir.parent / f"referral-{len(os.listdir(self.data_dir.parent))}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        return self.ok("file", path, "--demo", *extra).strip()

    def audit(self) -> list[tuple[str, str | None, str]]:
        """(action, reference, actor) of every audit entry, read through the inbox API."""
        app = self.app()
        try:
            return [(e.action, e.reference, e.actor) for e in app.inbox.audit_entries()]
        finally:
            app.close()


def in_process(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ke-intake ARGV` through the real entry point, with `env` as the whole environment."""
    from bot.cli import main

    saved = dict(os.environ)
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(env)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(argv, code, out.getvalue(), err.getvalue())


def sami_referral() -> dict[str, Any]:
    data = valid_referral()
    data["person"]["given_name"] = "Ánde"
    data["person"]["family_name"] = "Ŋuolla-Šámi"
    return data


def main_flow(ws: Workstation) -> None:
    data = sami_referral()
    ref = ws.file(data)
    chat_ref = ws.file(valid_referral(), "--channel", "telegram")

    # Listing needs no key, and shows nothing personal.
    listing = ws.ok("inbox", "list")
    assert ref in listing and chat_ref in listing and "0301" in listing
    assert "identitet ikke verifisert (chat)" in listing
    assert "identitet ikke verifisert (fil)" in listing
    assert "SIGNATUR UGYLDIG" not in listing
    assert [s for s in personal_strings(data) if s in listing] == []
    assert "Ánde" not in listing
    assert ws.ok("inbox", "list", "--status", "closed").strip() == "Ingen meldinger."
    assert ref in ws.ok("inbox", "list", "--kommune", "oslo")

    # Opening needs the key and the passphrase, and is logged.
    shown = ws.ok("inbox", "show", ref, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE)
    assert "Ánde Ŋuolla-Šámi" in shown
    assert data["person"]["national_id"] in shown
    assert "Ikke verifisert (fil fra fagsystem)" in shown
    assert "Innsendingssignatur: Gyldig" in shown
    assert ("opened", ref, "Kari") in ws.audit()
    assert "passordfrase" in ws.fails("inbox", "show", ref, "--key", ws.key, passphrase="wrong")
    assert "KE_KEY_PASSPHRASE" in ws.fails("inbox", "show", ref, "--key", ws.key)
    assert "KE-0000-0000" in ws.fails(
        "inbox", "show", "KE-0000-0000", "--key", ws.key, passphrase=PASSPHRASE
    )

    # Export: a PDF like the form, and JSON for the case system; both logged.
    pdf = ws.data_dir.parent / "export.pdf"
    ws.ok("inbox", "export", ref, "--key", ws.key, "--format", "pdf", "--out", pdf,
          "--by", "Kari", passphrase=PASSPHRASE)  # fmt: skip
    blob = pdf.read_bytes()
    assert blob.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(blob)).pages)
    assert "Ánde Ŋuolla-Šámi" in text and "Oslo (0301)" in text and ref in text
    assert pdf.stat().st_mode & 0o077 == 0
    exported = ws.data_dir.parent / "export.json"
    ws.ok("inbox", "export", ref, "--key", ws.key, "--format", "json", "--out", exported,
          passphrase=PASSPHRASE)  # fmt: skip
    document = json.loads(exported.read_text("utf-8"))
    assert document["case"]["reference"] == ref
    assert document["case"]["identity_verified"] is False
    assert document["referral"]["person"]["national_id"] == data["person"]["national_id"]
    assert "finnes allerede" in ws.fails(
        "inbox", "export", ref, "--key", ws.key, "--format", "json", "--out", exported,
        passphrase=PASSPHRASE,
    )  # fmt: skip
    exports = [a for a in ws.audit() if a[0] == "exported"]
    assert len(exports) == 2  # the refused overwrite opened nothing
    assert exports[0] == ("exported", ref, "Kari") and exports[1][1] == ref

    # Case work: statuses in a sensible order, notes sealed, coordinator appointed.
    ws.ok("inbox", "status", ref, "in_review", "--note", "Ringt, avtalt møte.", "--by", "Kari")
    assert "--outcome" in ws.fails("inbox", "status", ref, "closed", "--note", "x", "--by", "Kari")
    assert "assign" in ws.fails(
        "inbox", "status", ref, "coordinator_appointed", "--note", "x", "--by", "Kari"
    )
    assert "received" in ws.fails("inbox", "status", ref, "received", "--note", "x", "--by", "Kari")
    ws.ok("inbox", "assign", ref, "--coordinator", "Per Koordinator", "--by", "Kari")
    listing = ws.ok("inbox", "list", "--status", "coordinator_appointed")
    assert ref in listing and "Per Koordinator" in listing and chat_ref not in listing
    shown = ws.ok("inbox", "show", ref, "--key", ws.key, passphrase=PASSPHRASE)
    assert "Ringt, avtalt møte." in shown  # the sealed note, opened with the key
    assert "Koordinator:         Per Koordinator" in shown

    # The overview, without and with the key.
    stats = ws.ok("inbox", "stats")
    assert "Meldinger i alt: 2" in stats
    assert "krever --key" in stats
    assert "Per Koordinator: " + ref in stats
    assert "(1 saker)" in stats
    stats = ws.ok("inbox", "stats", "--key", ws.key, "--lang", "en", passphrase=PASSPHRASE)
    assert "Referrals in all: 2" in stats
    assert ["Individual", "plan", "2"] in [ln.split() for ln in stats.splitlines()]
    assert ["Child", "coordinator", "0"] in [ln.split() for ln in stats.splitlines()]

    # Withdrawal: closed at once, deleted by the next purge.
    ws.ok("inbox", "status", chat_ref, "closed", "--outcome", "withdrawn", "--note",
          "Samtykket er trukket.", "--by", "Kari")  # fmt: skip
    assert "avsluttet" in ws.fails(
        "inbox", "assign", chat_ref, "--coordinator", "X", "--by", "Kari"
    )
    assert "Slettet 1" in ws.ok("inbox", "purge", "--by", "Kari")
    listing = ws.ok("inbox", "list")
    assert ref in listing and chat_ref not in listing
    assert ("deleted", chat_ref, "Kari") in ws.audit()

    verified = ws.ok("inbox", "audit-verify")
    assert "Revisjonsloggen er hel" in verified


def test_staff_main_flow_on_sqlite(tmp_path: Path) -> None:
    main_flow(Workstation(tmp_path / "data"))


@pytest.mark.postgres
def test_staff_main_flow_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    main_flow(Workstation(tmp_path / "data", database_url=postgres_url))


def test_audit_verify_fails_after_the_sqlite_file_is_edited(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    ws.ok("inbox", "show", ref, "--key", ws.key, "--by", "Kari", passphrase=PASSPHRASE)
    assert "Revisjonsloggen er hel" in ws.ok("inbox", "audit-verify")
    entries = ws.audit()
    index = next(i for i, e in enumerate(entries) if e[0] == "opened")
    # Someone with the database file: drop the append-only trigger and hide who opened it.
    with sqlite3.connect(ws.data_dir / "inbox.sqlite3") as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        conn.execute("UPDATE audit_log SET actor = 'Mallory' WHERE seq = ?", (index + 1,))
    line = ws.fails("inbox", "audit-verify")
    assert f"oppføring {index} " in line
    assert "entry" in ws.fails("inbox", "audit-verify", "--lang", "en")


def test_a_forged_envelope_is_flagged_and_does_not_open(tmp_path: Path) -> None:
    import uuid

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from storage.crypto.body import pack_body
    from storage.crypto.envelope import seal

    ws = Workstation(tmp_path / "data")
    genuine = ws.file(valid_referral())
    app = ws.app()
    try:
        # Someone with database write access files a referral signed with their own key.
        referral_id = uuid.uuid4()
        now = dt.datetime.now(dt.UTC)
        keys = app.inbox.recipient_keys("0301")
        body = pack_body(json.dumps(valid_referral()).encode(), [])
        blob = seal(body, referral_id=referral_id, reference="KE-FAKE-0000", recipient="0301",
                    channel="file", filed_at=now, recipients=keys,
                    signing_key=Ed25519PrivateKey.generate())  # fmt: skip
        app.inbox.file(Filing(envelope=blob, referral_id=referral_id, reference="KE-FAKE-0000",
                              recipient="0301", channel="file", received_at=now,
                              key_ids=tuple(k.key_id for k in keys), idempotency_key=None,
                              actor="mallory"))  # fmt: skip
    finally:
        app.close()
    lines = {ln.split()[0]: ln for ln in ws.flagged("inbox", "list").splitlines()[1:-1]}
    assert "SIGNATUR UGYLDIG" in lines["KE-FAKE-0000"]
    assert "SIGNATUR UGYLDIG" not in lines[genuine]
    line = ws.fails("inbox", "show", "KE-FAKE-0000", "--key", ws.key, passphrase=PASSPHRASE)
    assert "kan ikke åpnes" in line


def test_notes_are_sealed_in_the_database(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    secret_note = "Mor ringte om sykehusinnleggelse i mai"
    ws.ok("inbox", "status", ref, "in_review", "--note", secret_note, "--by", "Kari")
    raw = b"".join(p.read_bytes() for p in ws.data_dir.glob("inbox.sqlite3*"))
    assert secret_note.encode() not in raw
    shown = ws.ok("inbox", "show", ref, "--key", ws.key, passphrase=PASSPHRASE)
    assert secret_note in " ".join(shown.split())  # the case history wraps long notes


def test_a_note_from_another_workstation_opens_with_the_ke_key(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    # A KE workstation has no intake signing key: it signs notes with a key of its own.
    intake_key = ws.data_dir / "signing.key"
    moved = intake_key.rename(tmp_path / "signing.key")
    ws.ok("inbox", "status", ref, "in_review", "--note", "Notat fra kontor A", "--by", "Kari")
    (ws.data_dir / "staff-notes.key").unlink()  # read where that key is unknown
    moved.rename(intake_key)
    shown = ws.ok("inbox", "show", ref, "--key", ws.key, passphrase=PASSPHRASE)
    assert "Notat fra kontor A" in shown


def _file_at(ws: Workstation, when: dt.datetime) -> str:
    """File the example referral as if at `when` (the App's clock), returning its reference."""
    from bot.bootstrap import App
    from bot.settings import Settings

    settings = Settings(data_dir=ws.data_dir, database_url=ws.database_url)
    app = App.from_settings(settings.model_copy(update={"allow_synthetic_ids": True}))
    app.clock = lambda: when
    try:
        receipt = app.file(valid_referral(), channel="web", language="nb", idempotency_key=None)
    finally:
        app.close()
    return receipt.reference


def test_stats_counts_months_outcomes_and_waiting_times(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    day = dt.timedelta(days=1)
    t0 = dt.datetime(2026, 1, 10, 10, 0, tzinfo=dt.UTC)
    received = {
        "a": t0,
        "b": t0 + 10 * day,
        "c": t0 + 22 * day,
        "d": t0 + 36 * day,
        "e": t0 + 50 * day,
    }
    refs = {name: _file_at(ws, when) for name, when in received.items()}
    app = ws.app()
    try:
        for name, wait in (("a", 3), ("b", 10), ("c", 5)):
            at = received[name] + wait * day
            app.inbox.assign(refs[name], f"Koordinator {name.upper()}", "Kari", at)
            app.inbox.set_status(refs[name], "coordinator_appointed", None, None, "Kari", at)
        app.inbox.set_status(refs["d"], "in_review", None, None, "Kari", received["d"] + day)
        app.inbox.set_status(refs["e"], "closed", "forwarded", None, "Kari", received["e"] + day)
    finally:
        app.close()

    stats = ws.ok("inbox", "stats")
    lines = [ln.split() for ln in stats.splitlines()]
    assert "Meldinger i alt: 5" in stats
    assert ["Koordinator", "oppnevnt", "3"] in lines
    assert ["Under", "behandling", "1"] in lines
    assert ["Avsluttet", "1"] in lines and ["Videresendt", "1"] in lines
    assert ["2026-01", "2"] in lines and ["2026-02", "2"] in lines and ["2026-03", "1"] in lines
    assert ["nettchat", "5"] in lines
    # Waits of 3, 10 and 5 days; the case in review still waits, the forwarded one does not.
    assert "median 5 dager, lengst 10 dager (3 saker)" in stats
    assert "Venter fortsatt på koordinator" in stats and "  1 saker, lengst" in stats
    assert f"Koordinator B: {refs['b']}" in stats


def test_purge_keeps_recent_closures_and_deletes_old_and_withdrawn(tmp_path: Path) -> None:
    ws = Workstation(tmp_path / "data")
    now = dt.datetime.now(dt.UTC)
    old, recent, withdrawn, open_ = (ws.file(valid_referral()) for _ in range(4))
    app = ws.app()
    try:
        # A slice of sealed bytes, to look for in the database file after purging.
        shredded = [app.inbox.envelope(ref)[-200:-100] for ref in (old, withdrawn)]
        app.inbox.set_status(old, "closed", "plan_started", None, "Kari", now - dt.timedelta(100))
        app.inbox.set_status(recent, "closed", "declined", None, "Kari", now - dt.timedelta(10))
        app.inbox.set_status(withdrawn, "closed", "withdrawn", None, "Kari", now)
    finally:
        app.close()
    assert "Slettet 2" in ws.ok("inbox", "purge", "--by", "Kari")
    listing = ws.ok("inbox", "list")
    assert recent in listing and open_ in listing
    assert old not in listing and withdrawn not in listing
    deleted = {ref for action, ref, _ in ws.audit() if action == "deleted"}
    assert deleted == {old, withdrawn}
    raw = b"".join(p.read_bytes() for p in ws.data_dir.glob("inbox.sqlite3*"))
    assert [chunk for chunk in shredded if chunk in raw] == []
    # A longer retention keeps the 10-day-old closure; a shorter one deletes it.
    assert "Slettet 0" in ws.ok("inbox", "purge", "--by", "Kari", "--retention-days", "30")
    assert "Slettet 1" in ws.ok("inbox", "purge", "--by", "Kari", "--retention-days", "5")
    assert "Revisjonsloggen er hel" in ws.ok("inbox", "audit-verify")


def test_export_writes_attachments_beside_the_file_under_neutral_names(tmp_path: Path) -> None:
    import hashlib

    ws = Workstation(tmp_path / "data")
    content = b"%PDF-1.4\nfullmakt\n%%EOF\n"
    data = valid_referral()
    data["attachments"] = [
        {
            "kind": "other",
            "filename": "Ingrid Testesen fullmakt.pdf",
            "media_type": "application/pdf",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
    ]
    attachment = tmp_path / "upload.pdf"
    attachment.write_bytes(content)
    ref = ws.file(data, "--attach", str(attachment))
    out = tmp_path / "case.pdf"
    printed = ws.ok("inbox", "export", ref, "--key", ws.key, "--format", "pdf", "--out", out,
                    "--attachments", passphrase=PASSPHRASE)  # fmt: skip
    written = tmp_path / "case-vedlegg-1.pdf"
    assert written.read_bytes() == content
    assert written.stat().st_mode & 0o077 == 0
    assert str(written) in printed and "Testesen" not in printed
    shown = ws.ok("inbox", "show", ref, "--key", ws.key, passphrase=PASSPHRASE)
    assert "Ingrid Testesen fullmakt.pdf" in shown  # listed under the form's Vedlegg section
    assert "Vedlegg 1 ligger forseglet i meldingen" in shown


def test_without_the_intake_verify_key_signatures_are_unchecked_not_forged(
    tmp_path: Path,
) -> None:
    ws = Workstation(tmp_path / "data")
    ref = ws.file(valid_referral())
    for name in ("signing.key", "signing.pub"):
        (ws.data_dir / name).rename(tmp_path / name)
    result = ws.run("inbox", "list")
    assert result.returncode == 0
    assert "signing.pub" in result.stderr
    assert "signatur ikke kontrollert" in result.stdout and "UGYLDIG" not in result.stdout
    # Opening verifies the filing signature, so without the verify key it refuses, saying why.
    line = ws.fails("inbox", "show", ref, "--key", ws.key, passphrase=PASSPHRASE)
    assert "signing.pub" in line and str(ws.data_dir) in line


def test_norwegian_words_reopen_search_audit_table_and_history_in_show_and_pdf(
    tmp_path: Path,
) -> None:
    ws = Workstation(tmp_path / "data")
    data = valid_referral()
    ref = ws.file(data)
    key = ("--key", ws.key)
    ws.ok("inbox", "status", ref, "Under behandling", "--note", "Ringt opp", "--by", "Kari")
    ws.ok(
        "inbox", "status", ref, "avsluttet", "--outcome", "videresendt",
        "--note", "Til Bergen", "--by", "Kari",
    )  # fmt: skip
    assert "Under behandling" in ws.ok(
        "inbox", "reopen", ref, "--note", "Feil kommune", "--by", "Ola"
    )
    record = ws.app()
    try:
        got = record.inbox.get(ref)
        assert got is not None and (got.status, got.outcome) == ("in_review", None)
    finally:
        record.close()

    found = ws.ok("inbox", "search", "ingrid teste", *key, "--by", "Kari", passphrase=PASSPHRASE)
    assert ref in found and "Ingrid Testesen" in found
    assert ref not in ws.ok("inbox", "search", "nobody", *key, passphrase=PASSPHRASE)

    shown = " ".join(ws.ok("inbox", "show", ref, *key, passphrase=PASSPHRASE).split())
    assert "Alder i dag:" in shown and "Samtalespråk: bokmål" in shown
    assert "== Saksgang ==" in shown and "Til Bergen" in shown and "Feil kommune" in shown
    assert "Hendelse: Gjenåpnet" in shown

    out = tmp_path / "melding.pdf"
    ws.ok("inbox", "export", ref, *key, "--format", "pdf", "--out", out, passphrase=PASSPHRASE)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(out).pages).split())
    assert "Saksgang" in text and "Til Bergen" in text

    table = ws.ok("inbox", "audit", "--reference", ref)
    assert "Status endret" in table and "Gjenåpnet" in table and "Søk" not in table
    assert "Revisjonsloggen er hel" in table
    searches = [e for e in ws.audit() if e[0] == "searched"]
    assert len(searches) == 2
    assert "ingrid" not in ws.ok("inbox", "audit", "--action", "searched").lower()
