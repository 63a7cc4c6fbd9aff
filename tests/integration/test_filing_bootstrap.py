"""The composition root's keys: the intake side makes its signing key once; a KE workstation
makes none and trusts filings through the intake's published verify key (signing.pub)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.bootstrap import App
from bot.settings import Settings
from storage.crypto.errors import KeyFileError
from storage.crypto.keys import read_key_file_info
from tests.fixtures.referrals import valid_referral


def test_a_workstation_verifies_filings_with_the_published_verify_key(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    intake_dir, workstation_dir = tmp_path / "intake", tmp_path / "workstation"
    intake = App.from_settings(Settings(data_dir=intake_dir, database_url=database), demo=True)
    try:
        reference = intake.file(
            valid_referral(), channel="web", language="nb", idempotency_key=None
        ).reference
        signing_key = intake.signing_key
    finally:
        intake.close()
    assert (intake_dir / "signing.key").exists() and (intake_dir / "signing.pub").exists()

    bare = App.from_settings(
        Settings(data_dir=workstation_dir, database_url=database), intake_side=False
    )
    try:
        assert bare.signing_key is None
        assert not (workstation_dir / "signing.key").exists()
        assert bare.inbox.get(reference).signature_ok is False  # type: ignore[union-attr]
        with pytest.raises(RuntimeError, match="no signing key"):
            _ = bare.sealer
    finally:
        bare.close()

    shutil.copy(intake_dir / "signing.pub", workstation_dir / "signing.pub")
    trusting = App.from_settings(
        Settings(data_dir=workstation_dir, database_url=database), intake_side=False
    )
    try:
        assert trusting.inbox.get(reference).signature_ok is True  # type: ignore[union-attr]
        assert signing_key is not None
        assert set(trusting.verify_keys) == set(intake.verify_keys)
    finally:
        trusting.close()


def test_an_encrypted_signing_key_needs_its_passphrase(tmp_path: Path) -> None:
    phrase = SecretStr("signing passphrase")
    app = App.from_settings(Settings(data_dir=tmp_path, signing_key_passphrase=phrase))
    app.close()
    assert read_key_file_info(tmp_path / "signing.key").encrypted
    again = App.from_settings(Settings(data_dir=tmp_path, signing_key_passphrase=phrase))
    assert again.signing_key is not None
    assert again.signing_key.public_key() == app.signing_key.public_key()  # type: ignore[union-attr]
    again.close()
    with pytest.raises(KeyFileError, match="passphrase"):
        App.from_settings(Settings(data_dir=tmp_path))
