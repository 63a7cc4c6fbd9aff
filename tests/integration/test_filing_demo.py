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


def test_two_demo_workers_on_one_data_dir_file_at_once_to_the_one_demo_key(
    tmp_path: Path,
) -> None:
    """Two `--demo` workers sharing a data dir (and so its demo key folder) file their first
    referrals at the same moment: one demo key pair is made, and each referral opens with it."""
    import threading

    settings = Settings(data_dir=tmp_path)
    apps = [App.from_settings(settings, demo=True) for _ in range(4)]
    start = threading.Barrier(len(apps))
    references: list[str] = []
    failures: list[BaseException] = []

    def first_filing(app: App) -> None:
        try:
            start.wait()
            receipt = app.file(valid_referral(), channel="web", language="nb", idempotency_key=None)
            references.append(receipt.reference)
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    try:
        threads = [threading.Thread(target=first_filing, args=(app,)) for app in apps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        demo_key = load_private_key(apps[0].demo_private_key_file(), DEMO_PASSPHRASE)
        for reference in references:
            blob = apps[0].inbox.envelope(reference)
            open_envelope(blob, private_key=demo_key, verify_keys=apps[0].verify_keys)
        assert len(references) == len(apps)
        assert [k.recipient for k in apps[0].inbox.all_recipient_keys()] == ["0301"]
    finally:
        for app in apps:
            app.close()
