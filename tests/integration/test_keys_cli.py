"""`ke-intake keys` as KE staff run it, and a full key rotation: new filings use the new key,
old envelopes still open with the old key until `keys rewrap` re-seals them."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bootstrap import App
from bot.settings import Settings
from bot.staff.access import note_verify_keys, open_note, seal_note
from storage.crypto.envelope import key_id, open_envelope
from storage.crypto.errors import SealedEnvelopeError
from storage.crypto.keys import (
    Argon2Params,
    generate_recipient_key,
    load_private_key,
    save_private_key,
    save_public_key,
)
from tests.fixtures.referrals import VALID_REFERRAL

pytestmark = pytest.mark.slow
PASSPHRASE = "korrekt hest batteri"


def ke_intake(data_dir: Path, *args: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    environ.update({"KE_DATA_DIR": str(data_dir), "KE_KEY_PASSPHRASE": PASSPHRASE, **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        capture_output=True,
        text=True,
        env=environ,
        cwd=data_dir.parent,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def opens(app: App, reference: str, key: object) -> bool:
    try:
        open_envelope(app.inbox.envelope(reference), private_key=key, verify_keys=app.verify_keys)  # type: ignore[arg-type]
    except SealedEnvelopeError:
        return False
    return True


def file_one(settings: Settings) -> str:
    """File through the intake side's composition root (the file CLI has its own e2e tests)."""
    app = App.from_settings(settings)
    try:
        referral = json.loads(VALID_REFERRAL.read_text("utf-8"))
        return app.file(referral, channel="file", language="nb", idempotency_key=None).reference
    finally:
        app.close()


def test_generate_add_file_rotate_and_rewrap(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = ok(ke_intake(data, "keys", "generate", "--kommune", "oslo", "--out", tmp_path / "a"))
    (private_a,) = (tmp_path / "a").glob("ke-0301-*.key")
    (public_a,) = (tmp_path / "a").glob("ke-0301-*.pub")
    assert stat.S_IMODE(private_a.stat().st_mode) == 0o600
    assert str(private_a) in out and "0301" in out
    old = load_private_key(private_a, PASSPHRASE.encode())
    old_id = key_id(old.public_key())
    assert private_a.name == f"ke-0301-{old_id}.key"

    assert old_id in ok(
        ke_intake(data, "keys", "add", "--kommune", "0301", public_a, "--by", "Kari")
    )
    settings = Settings(data_dir=data, allow_synthetic_ids=True)
    first = file_one(settings)
    note = {"text": "Ringt, avtalt møte."}
    staff = App.from_settings(settings, intake_side=False)
    try:
        record = staff.inbox.get(first)
        assert record is not None
        blob = seal_note(staff, record, note, record.received_at)
        staff.inbox.set_status(first, "in_review", None, blob, "Kari", record.received_at)
    finally:
        staff.close()

    # Rotation: a new key (made here with a cheap KDF to keep the test fast) replaces the old.
    new = generate_recipient_key()
    new_id = key_id(new.public_key())
    save_private_key(
        tmp_path / "b.key", new, b"x" * 8, "0301", argon2=Argon2Params.cheap_for_tests()
    )
    save_public_key(tmp_path / "b.pub", new.public_key(), "0301")
    added = ok(
        ke_intake(
            data,
            "keys",
            "add",
            "--kommune",
            "0301",
            tmp_path / "b.pub",
            "--replace",
            "--lang",
            "en",
        )
    )
    assert f"Retired for new referrals: {old_id}" in added
    second = file_one(settings)

    app = App.from_settings(settings, intake_side=False)
    try:
        assert app.inbox.get(first).key_ids == (old_id,)  # type: ignore[union-attr]
        assert app.inbox.get(second).key_ids == (new_id,)  # type: ignore[union-attr]
        assert opens(app, first, old) and not opens(app, first, new)
        assert opens(app, second, new) and not opens(app, second, old)
    finally:
        app.close()

    rewrapped = ok(
        ke_intake(data, "keys", "rewrap", "--key", private_a, "--by", "Kari", "--lang", "en")
    )
    assert "Re-sealed: 1 (and 1 notes). Already on the current keys: 1." in rewrapped

    app = App.from_settings(settings, intake_side=False)
    try:
        record = app.inbox.get(first)
        assert record is not None and record.key_ids == (new_id,) and record.signature_ok
        assert opens(app, first, new) and not opens(app, first, old)
        (noted,) = [e for e in app.inbox.status_events(first) if e.note_envelope]
        assert open_note(noted.note_envelope, record, new, note_verify_keys(app)) == note  # type: ignore[arg-type]
        assert open_note(noted.note_envelope, record, old, note_verify_keys(app)) is None  # type: ignore[arg-type]
        actions = [(e.action, e.actor) for e in app.inbox.audit_entries()]
        assert ("rewrapped", "Kari") in actions
        assert [a for a, _ in actions].count("key_added") == 2
        assert app.inbox.verify_audit().ok
    finally:
        app.close()

    listing = ok(ke_intake(data, "keys", "list", "--lang", "en")).splitlines()
    assert sorted((line.split("\t")[1], line.split("\t")[3]) for line in listing) == sorted(
        [(old_id, "retired"), (new_id, "active")]
    )


def test_mistakes_get_a_clear_message_and_change_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    key = generate_recipient_key()
    save_public_key(tmp_path / "k.pub", key.public_key(), "0301")
    save_private_key(
        tmp_path / "k.key", key, PASSPHRASE.encode(), "0301", argon2=Argon2Params.cheap_for_tests()
    )

    wrong_kommune = ke_intake(data, "keys", "add", "--kommune", "4601", tmp_path / "k.pub")
    assert wrong_kommune.returncode == 1
    assert "Nøkkelfilen gjelder 0301, ikke 4601" in wrong_kommune.stderr

    unknown = ke_intake(
        data, "keys", "generate", "--kommune", "Atlantis", "--out", tmp_path / "x", "--lang", "en"
    )
    assert unknown.returncode == 1 and unknown.stderr.startswith("--kommune: ")
    assert not (tmp_path / "x").exists()

    short = ke_intake(
        data,
        "keys",
        "generate",
        "--kommune",
        "0301",
        "--out",
        tmp_path / "y",
        KE_KEY_PASSPHRASE="kort",
    )
    assert short.returncode == 1 and "minst 8 tegn" in short.stderr

    wrong = ke_intake(
        data, "keys", "rewrap", "--key", tmp_path / "k.key", KE_KEY_PASSPHRASE="feil passord"
    )
    assert wrong.returncode == 1 and "feil passordfrase" in wrong.stderr
    assert "Traceback" not in wrong.stderr + short.stderr + unknown.stderr + wrong_kommune.stderr


def run_in_terminal(data_dir: Path, args: list[str], typed: list[str]) -> tuple[int, str]:
    """Run ke-intake on a pseudo-terminal (getpass reads /dev/tty), typing each of `typed` once
    its prompt (a line ending in ':') is shown. A stuck child is killed, never waited for."""
    import pty
    import select
    import signal
    import time

    environ = {k: v for k, v in os.environ.items() if not k.startswith("KE_")}
    environ["KE_DATA_DIR"] = str(data_dir)
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes ke-intake, never returns
        os.execve(sys.executable, [sys.executable, "-m", "bot", *args], environ)  # noqa: S606
    output, pending, deadline, answered = b"", list(typed), time.monotonic() + 60, 0
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # EIO: the child has exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            # Only a prompt shown since the last answer counts, so no answer is typed early.
            if pending and output[answered:].rstrip().endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\n")
                answered = len(output)
        else:
            os.kill(pid, signal.SIGKILL)
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_generate_asks_for_the_passphrase_twice_on_a_terminal(tmp_path: Path) -> None:
    args = ["keys", "generate", "--kommune", "0301", "--out", str(tmp_path / "k"), "--lang", "en"]
    code, output = run_in_terminal(tmp_path / "data", args, ["first phrase", "other phrase"])
    assert code == 1 and "The passphrases differ" in output
    assert not (tmp_path / "k").exists()
    code, output = run_in_terminal(tmp_path / "data", args, [PASSPHRASE, PASSPHRASE])
    assert code == 0, output
    assert PASSPHRASE not in output  # not echoed
    (private,) = (tmp_path / "k").glob("*.key")
    load_private_key(private, PASSPHRASE.encode())
