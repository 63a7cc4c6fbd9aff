"""Demo mode: a demo KE key pair is made and registered on first use, synthetic ids pass, and
an invalid referral leaves nothing behind, not even the demo key registration."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.bootstrap import DEMO_PASSPHRASE, App
from bot.settings import Settings
from intake.filing import InvalidReferral
from storage.crypto.envelope import open_envelope
from storage.crypto.keys import load_private_key
from tests.fixtures.referrals import valid_referral


def test_demo_mode_files_to_a_demo_key_made_on_first_use(tmp_path: Path) -> None:
    app = App.from_settings(Settings(data_dir=tmp_path), demo=True)
    try:
        invalid = valid_referral()
        invalid["consent"]["acknowledged"] = False
        with pytest.raises(InvalidReferral):
            app.file(invalid, channel="terminal", language="nb", idempotency_key=None)
        assert app.inbox.all_recipient_keys() == []
        assert app.inbox.audit_entries() == []

        receipt = app.file(
            valid_referral(), channel="terminal", language="nb", idempotency_key=None
        )
        demo_key = load_private_key(app.demo_private_key_file(), DEMO_PASSPHRASE)
        blob = app.inbox.envelope(receipt.reference)
        open_envelope(blob, private_key=demo_key, verify_keys=app.verify_keys)
        (registered,) = app.inbox.all_recipient_keys()
        assert (registered.recipient, registered.retired) == ("0301", False)
        assert [(e.action, e.actor) for e in app.inbox.audit_entries()] == [
            ("key_added", "demo"),
            ("filed", "intake:terminal"),
        ]
    finally:
        app.close()


def test_without_demo_synthetic_ids_are_refused(tmp_path: Path) -> None:
    app = App.from_settings(Settings(data_dir=tmp_path))
    try:
        with pytest.raises(InvalidReferral) as caught:
            app.file(valid_referral(), channel="web", language="en", idempotency_key=None)
        assert [v.key for v in caught.value.violations] == ["national_id_synthetic"]
        assert app.inbox.list() == []
    finally:
        app.close()
