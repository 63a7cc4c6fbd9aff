"""Key files: round trips, passphrases, corruption, kinds, permissions."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from storage.crypto.envelope import key_id
from storage.crypto.errors import KeyFileError
from storage.crypto.keys import (
    DEFAULT_ARGON2,
    Argon2Params,
    generate_recipient_key,
    generate_signing_key,
    load_private_key,
    load_public_key,
    load_signing_key,
    load_verify_key,
    public_signing_key_bytes,
    read_key_file_info,
    recipient_key_from_bytes,
    save_private_key,
    save_public_key,
    save_signing_key,
    save_verify_key,
    verify_keys_for,
)

CHEAP = Argon2Params.cheap_for_tests()
PASSPHRASE = b"correct horse battery"


@pytest.fixture
def key() -> X25519PrivateKey:
    return generate_recipient_key()


@pytest.fixture
def private_file(tmp_path: Path, key: X25519PrivateKey) -> Path:
    path = tmp_path / "ke.key"
    save_private_key(path, key, PASSPHRASE, "0301", argon2=CHEAP)
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_private_key_round_trip(private_file: Path, key: X25519PrivateKey) -> None:
    loaded = load_private_key(private_file, PASSPHRASE)
    assert loaded.private_bytes_raw() == key.private_bytes_raw()


def test_private_key_file_is_0600_and_names_its_key(
    private_file: Path, key: X25519PrivateKey
) -> None:
    assert mode(private_file) == 0o600
    text = private_file.read_text()
    assert text.startswith("ke-intake recipient-private-key v1\n")
    assert f"key-id: {key_id(key.public_key())}\n" in text
    assert "kommune: 0301\n" in text
    assert "kdf: argon2id m=8 t=1 p=1\n" in text
    assert base64.b64encode(key.private_bytes_raw()).decode() not in text
    assert read_key_file_info(private_file).kommune == "0301"
    assert read_key_file_info(private_file).encrypted


def test_default_kdf_is_the_strong_profile(tmp_path: Path, key: X25519PrivateKey) -> None:
    assert (DEFAULT_ARGON2.memory_kib, DEFAULT_ARGON2.iterations, DEFAULT_ARGON2.lanes) == (
        64 * 1024,
        3,
        4,
    )
    save_private_key(tmp_path / "strong.key", key, PASSPHRASE, "0301")
    assert "kdf: argon2id m=65536 t=3 p=4\n" in (tmp_path / "strong.key").read_text()
    assert load_private_key(tmp_path / "strong.key", PASSPHRASE).private_bytes_raw() == (
        key.private_bytes_raw()
    )


def test_wrong_passphrase(private_file: Path) -> None:
    with pytest.raises(KeyFileError, match=r"^wrong passphrase for this key file"):
        load_private_key(private_file, b"wrong horse")


@pytest.mark.parametrize(
    ("old", "new"),
    [("kommune: 0301", "kommune: 4601"), ("m=8 t=1", "m=16 t=1"), ("t=1", "t=2")],
)
def test_edited_header_lines_are_detected(private_file: Path, old: str, new: str) -> None:
    private_file.write_text(private_file.read_text().replace(old, new))
    with pytest.raises(KeyFileError, match="altered"):
        load_private_key(private_file, PASSPHRASE)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[: len(t) // 2], "corrupt"),
        (lambda t: "", "not a ke-intake key file"),
        (lambda t: "-----BEGIN PRIVATE KEY-----\n", "not a ke-intake key file"),
        (lambda t: t.replace(" v1\n", " v2\n", 1), "unsupported key file version"),
        (lambda t: "\n".join(x for x in t.split("\n") if not x.startswith("salt")), "'salt'"),
        (lambda t: t.replace("salt: ", "salt: !!"), "'salt' is malformed"),
        (lambda t: t.replace("argon2id m=8", "scrypt n=8"), "unsupported key derivation"),
        (lambda t: t.replace("m=8 t=1", "m=99999999 t=1"), "out of range"),
        (lambda t: t + "garbage line\n", "malformed line"),
    ],
)
def test_corrupt_files_give_clear_errors(private_file: Path, edit: object, message: str) -> None:
    assert callable(edit)
    private_file.write_text(edit(private_file.read_text()))
    with pytest.raises(KeyFileError, match=message):
        load_private_key(private_file, PASSPHRASE)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="key file not found"):
        load_private_key(tmp_path / "absent.key", PASSPHRASE)


def test_empty_passphrase_is_refused(tmp_path: Path, key: X25519PrivateKey) -> None:
    with pytest.raises(KeyFileError, match="must not be empty"):
        save_private_key(tmp_path / "k", key, b"", "0301", argon2=CHEAP)
    assert not (tmp_path / "k").exists()


def test_existing_files_are_not_overwritten(private_file: Path) -> None:
    before = private_file.read_text()
    other = generate_recipient_key()
    with pytest.raises(KeyFileError, match="refusing to overwrite"):
        save_private_key(private_file, other, PASSPHRASE, "0301", argon2=CHEAP)
    assert private_file.read_text() == before
    save_private_key(private_file, other, PASSPHRASE, "0301", argon2=CHEAP, overwrite=True)
    assert load_private_key(private_file, PASSPHRASE).private_bytes_raw() == (
        other.private_bytes_raw()
    )
    assert mode(private_file) == 0o600
    assert [p.name for p in private_file.parent.iterdir()] == [private_file.name]


def test_a_group_readable_private_key_is_warned_about(
    private_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    private_file.chmod(0o644)
    load_private_key(private_file, PASSPHRASE)
    assert "readable by other users" in caplog.text


def test_public_key_round_trip(tmp_path: Path, key: X25519PrivateKey) -> None:
    path = tmp_path / "ke.pub"
    save_public_key(path, key.public_key(), "0301")
    kommune, public = load_public_key(path)
    assert kommune == "0301"
    assert key_id(public) == key_id(key.public_key())
    assert read_key_file_info(path).key_id == key_id(key.public_key())
    assert recipient_key_from_bytes(public.public_bytes_raw()).key_id == key_id(public)


def test_public_key_with_an_edited_key_id(tmp_path: Path, key: X25519PrivateKey) -> None:
    path = tmp_path / "ke.pub"
    save_public_key(path, key.public_key(), "0301")
    path.write_text(path.read_text().replace(key_id(key.public_key()), "0" * 16))
    with pytest.raises(KeyFileError, match="key id does not match"):
        load_public_key(path)


def test_a_bad_kommune_is_refused(tmp_path: Path, key: X25519PrivateKey) -> None:
    with pytest.raises(KeyFileError, match="kommune"):
        save_public_key(tmp_path / "ke.pub", key.public_key(), "Oslo kommune\n")


def test_wrong_kind_of_key(tmp_path: Path, private_file: Path, key: X25519PrivateKey) -> None:
    save_public_key(tmp_path / "ke.pub", key.public_key(), "0301")
    with pytest.raises(KeyFileError, match="holds a KE recipient public key, but a KE recipient"):
        load_private_key(tmp_path / "ke.pub", PASSPHRASE)
    with pytest.raises(KeyFileError, match="holds a KE recipient private key"):
        load_signing_key(private_file, PASSPHRASE)
    with pytest.raises(KeyFileError, match="holds a KE recipient private key"):
        load_public_key(private_file)


def test_signing_key_without_passphrase(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = tmp_path / "signing.key"
    save_signing_key(path, key, None)
    assert mode(path) == 0o600
    assert not read_key_file_info(path).encrypted
    loaded = load_signing_key(path, None)
    assert public_signing_key_bytes(loaded) == public_signing_key_bytes(key.public_key())
    assert len(public_signing_key_bytes(key)) == 32


def test_signing_key_with_passphrase(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = tmp_path / "signing.key"
    save_signing_key(path, key, PASSPHRASE, argon2=CHEAP)
    assert read_key_file_info(path).encrypted
    with pytest.raises(KeyFileError, match="passphrase is needed"):
        load_signing_key(path, None)
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(path, b"nope")
    assert public_signing_key_bytes(load_signing_key(path, PASSPHRASE)) == (
        public_signing_key_bytes(key)
    )


def test_verify_key_file_round_trip(tmp_path: Path) -> None:
    key = generate_signing_key()
    path = tmp_path / "intake.verify"
    save_verify_key(path, key.public_key())
    assert mode(path) == 0o644
    loaded = load_verify_key(path)
    assert public_signing_key_bytes(loaded) == public_signing_key_bytes(key)
    assert list(verify_keys_for(loaded)) == list(verify_keys_for(key)) == [key_id(loaded)]


def test_windows_line_endings_still_load(private_file: Path, key: X25519PrivateKey) -> None:
    private_file.write_bytes(private_file.read_bytes().replace(b"\n", b"\r\n"))
    assert load_private_key(private_file, PASSPHRASE).private_bytes_raw() == (
        key.private_bytes_raw()
    )
