"""Key files: KE recipient keys (X25519) and the intake service's signing key (Ed25519).

Every file is short versioned text: a first line naming the kind, then `name: value` lines.
Private keys are encrypted with a key derived from a passphrase by Argon2id (parameters stored in
the file) and ChaCha20-Poly1305; every line above the ciphertext is its associated data, so the
key id, kommune and KDF parameters cannot be edited without the passphrase. Example:

    ke-intake recipient-private-key v1
    key-id: 5be0c1d3a2f49e10
    kommune: 0301
    kdf: argon2id m=65536 t=3 p=4
    salt: 3q2+7w...
    ciphertext: K9x...
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from storage.crypto.envelope import RECIPIENT_RE, RecipientKey, key_id
from storage.crypto.errors import KeyFileError
from storage.files import exclusive_lock, write_file

log = logging.getLogger(__name__)

VERSION = "v1"
RECIPIENT_PRIVATE = "recipient-private-key"
RECIPIENT_PUBLIC = "recipient-public-key"
SIGNING_PRIVATE = "signing-key"
SIGNING_PUBLIC = "verify-key"
_KINDS = {
    RECIPIENT_PRIVATE: "a KE recipient private key",
    RECIPIENT_PUBLIC: "a KE recipient public key",
    SIGNING_PRIVATE: "an intake signing key",
    SIGNING_PUBLIC: "an intake signature verification key",
}
_PREFIX = "ke-intake "
_NONCE = bytes(12)  # each file gets a fresh salt, hence a fresh key: one encryption per key
_SALT_BYTES = 16
_KDF_RE = re.compile(r"^argon2id m=(\d{1,8}) t=(\d{1,3}) p=(\d{1,3})$")


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 4

    @classmethod
    def cheap_for_tests(cls) -> Argon2Params:
        """Fast and weak: only for test suites, never for real keys."""
        return cls(memory_kib=8, iterations=1, lanes=1)

    def check(self) -> None:
        """Refuse absurd values, so a crafted file cannot make loading eat all memory."""
        if not (
            1 <= self.lanes <= 64
            and 8 * self.lanes <= self.memory_kib <= 4 * 1024 * 1024
            and 1 <= self.iterations <= 100
        ):
            raise KeyFileError("argon2id parameters are out of range")

    def text(self) -> str:
        return f"argon2id m={self.memory_kib} t={self.iterations} p={self.lanes}"


DEFAULT_ARGON2 = Argon2Params()


@dataclass(frozen=True)
class KeyFileInfo:
    """What a key file says about itself, readable without the passphrase."""

    kind: str
    key_id: str
    kommune: str | None
    encrypted: bool


# -- recipient keys (KE side) -----------------------------------------------------------------


def generate_recipient_key() -> X25519PrivateKey:
    return X25519PrivateKey.generate()


def save_private_key(
    path: str | os.PathLike[str],
    key: X25519PrivateKey,
    passphrase: bytes,
    kommune: str | None = None,
    *,
    argon2: Argon2Params = DEFAULT_ARGON2,
    overwrite: bool = False,
) -> None:
    """Write `key` encrypted under `passphrase`, mode 0600, naming its key id and kommune."""
    fields = {"key-id": key_id(key.public_key())}
    if kommune is not None:
        fields["kommune"] = _check_kommune(kommune)
    text = _encrypted(RECIPIENT_PRIVATE, fields, _raw_private(key), passphrase, argon2)
    _write(Path(path), text, secret=True, overwrite=overwrite)


def load_private_key(path: str | os.PathLike[str], passphrase: bytes) -> X25519PrivateKey:
    fields = _read(Path(path), RECIPIENT_PRIVATE)
    key = X25519PrivateKey.from_private_bytes(_decrypt(fields, passphrase, 32))
    _check_id(fields, key.public_key())
    return key


def save_public_key(
    path: str | os.PathLike[str],
    key: X25519PublicKey,
    kommune: str,
    *,
    overwrite: bool = False,
) -> None:
    fields = {
        "key-id": key_id(key),
        "kommune": _check_kommune(kommune),
        "public-key": _b64(_raw_public(key)),
    }
    _write(Path(path), _render(RECIPIENT_PUBLIC, fields), secret=False, overwrite=overwrite)


def load_public_key(path: str | os.PathLike[str]) -> tuple[str, X25519PublicKey]:
    """(kommune or KE id, public key)."""
    fields = _read(Path(path), RECIPIENT_PUBLIC)
    key = X25519PublicKey.from_public_bytes(_raw_field(fields, "public-key", 32))
    _check_id(fields, key)
    return _field(fields, "kommune"), key


def recipient_key_from_bytes(raw: bytes) -> RecipientKey:
    """A RecipientKey from the 32 raw public bytes an inbox stores."""
    return RecipientKey.of(X25519PublicKey.from_public_bytes(raw))


# -- signing keys (intake side) ---------------------------------------------------------------


def generate_signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def save_signing_key(
    path: str | os.PathLike[str],
    key: Ed25519PrivateKey,
    passphrase: bytes | None,
    *,
    argon2: Argon2Params = DEFAULT_ARGON2,
    overwrite: bool = False,
) -> None:
    """Write the signing key, mode 0600; plain if `passphrase` is None (an unattended service)."""
    fields = {"key-id": key_id(key.public_key())}
    raw = _raw_private(key)
    if passphrase is None:
        text = _render(SIGNING_PRIVATE, {**fields, "kdf": "none", "private-key": _b64(raw)})
    else:
        text = _encrypted(SIGNING_PRIVATE, fields, raw, passphrase, argon2)
    _write(Path(path), text, secret=True, overwrite=overwrite)


def load_signing_key(path: str | os.PathLike[str], passphrase: bytes | None) -> Ed25519PrivateKey:
    fields = _read(Path(path), SIGNING_PRIVATE)
    if _field(fields, "kdf") == "none":
        raw = _raw_field(fields, "private-key", 32)
    elif passphrase is None:
        raise KeyFileError("this signing key is encrypted; a passphrase is needed")
    else:
        raw = _decrypt(fields, passphrase, 32)
    key = Ed25519PrivateKey.from_private_bytes(raw)
    _check_id(fields, key.public_key())
    return key


def load_or_create_signing_key(
    path: str | os.PathLike[str],
    passphrase: bytes | None,
    *,
    verify_key: str | os.PathLike[str] | None = None,
) -> tuple[Ed25519PrivateKey, bool]:
    """(the signing key in `path`, whether it was made now): made there first if there is none,
    its verification key then written to `verify_key`. Processes and threads starting at once
    make one key between them (under a lock beside it) and all load that one."""
    path = Path(path)
    if not path.exists():
        with exclusive_lock(path.with_name(f".{path.name}.lock")):
            if not path.exists():
                key = generate_signing_key()
                save_signing_key(path, key, passphrase)
                if verify_key is not None:
                    save_verify_key(verify_key, key.public_key(), overwrite=True)
                return key, True
    return load_signing_key(path, passphrase), False


def public_signing_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the verification key (what staff workstations need)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def save_verify_key(
    path: str | os.PathLike[str], key: Ed25519PublicKey, *, overwrite: bool = False
) -> None:
    fields = {"key-id": key_id(key), "public-key": _b64(public_signing_key_bytes(key))}
    _write(Path(path), _render(SIGNING_PUBLIC, fields), secret=False, overwrite=overwrite)


def load_verify_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    fields = _read(Path(path), SIGNING_PUBLIC)
    key = Ed25519PublicKey.from_public_bytes(_raw_field(fields, "public-key", 32))
    _check_id(fields, key)
    return key


def verify_keys_for(*keys: Ed25519PublicKey | Ed25519PrivateKey) -> dict[str, Ed25519PublicKey]:
    """The `verify_keys` mapping envelope functions take: key id -> verification key."""
    publics = [k.public_key() if isinstance(k, Ed25519PrivateKey) else k for k in keys]
    return {key_id(k): k for k in publics}


def read_key_file_info(path: str | os.PathLike[str]) -> KeyFileInfo:
    kind, fields = _parse(_read_text(Path(path)))
    return KeyFileInfo(
        kind=kind,
        key_id=_field(fields, "key-id"),
        kommune=fields.get("kommune"),
        encrypted=fields.get("kdf", "none") != "none",
    )


# -- the text format -------------------------------------------------------------------------


def _render(kind: str, fields: dict[str, str]) -> str:
    return "".join([f"{_PREFIX}{kind} {VERSION}\n", *(f"{k}: {v}\n" for k, v in fields.items())])


def _encrypted(
    kind: str, fields: dict[str, str], secret: bytes, passphrase: bytes, argon2: Argon2Params
) -> str:
    if not passphrase:
        raise KeyFileError("the passphrase must not be empty")
    argon2.check()
    salt = os.urandom(_SALT_BYTES)
    head = _render(kind, {**fields, "kdf": argon2.text(), "salt": _b64(salt)})
    box = ChaCha20Poly1305(_derive(passphrase, salt, argon2))
    return head + f"ciphertext: {_b64(box.encrypt(_NONCE, secret, head.encode()))}\n"


def _decrypt(fields: dict[str, str], passphrase: bytes, size: int) -> bytes:
    match = _KDF_RE.match(_field(fields, "kdf"))
    if not match:
        raise KeyFileError("the key file is corrupt: unsupported key derivation")
    argon2 = Argon2Params(*(int(g) for g in match.groups()))
    argon2.check()
    salt = _raw_field(fields, "salt", _SALT_BYTES)
    ciphertext = _raw_field(fields, "ciphertext", size + 16)
    head = _render(
        fields["_kind"], {k: v for k, v in fields.items() if k not in ("_kind", "ciphertext")}
    )
    try:
        box = ChaCha20Poly1305(_derive(passphrase, salt, argon2))
        return box.decrypt(_NONCE, ciphertext, head.encode())
    except InvalidTag:
        raise KeyFileError(
            "wrong passphrase for this key file (or the file has been altered)"
        ) from None


def _derive(passphrase: bytes, salt: bytes, argon2: Argon2Params) -> bytes:
    kdf = Argon2id(
        salt=salt,
        length=32,
        iterations=argon2.iterations,
        lanes=argon2.lanes,
        memory_cost=argon2.memory_kib,
    )
    return kdf.derive(passphrase)


def _read(path: Path, expected: str) -> dict[str, str]:
    kind, fields = _parse(_read_text(path))
    if kind != expected:
        raise KeyFileError(f"this file holds {_KINDS[kind]}, but {_KINDS[expected]} is needed")
    if expected in (RECIPIENT_PRIVATE, SIGNING_PRIVATE):
        _warn_if_readable(path)
    return {"_kind": kind, **fields}


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KeyFileError(f"key file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read key file {path}: {type(exc).__name__}") from None


def _parse(text: str) -> tuple[str, dict[str, str]]:
    lines = text.replace("\r\n", "\n").rstrip("\n").split("\n")
    first = lines[0].split(" ")
    if len(first) != 3 or f"{first[0]} " != _PREFIX or first[1] not in _KINDS:
        raise KeyFileError("not a ke-intake key file")
    if first[2] != VERSION:
        raise KeyFileError(f"unsupported key file version {first[2][:8]!r}; upgrade ke-intake")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(": ")
        if not sep or name in fields or not name.replace("-", "").isalpha():
            raise KeyFileError("the key file is corrupt: malformed line")
        fields[name] = value.strip()
    return first[1], fields


def _field(fields: dict[str, str], name: str) -> str:
    try:
        return fields[name]
    except KeyError:
        raise KeyFileError(f"the key file is corrupt: {name!r} is missing") from None


def _raw_field(fields: dict[str, str], name: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(_field(fields, name), validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != size:
        raise KeyFileError(f"the key file is corrupt: {name!r} is malformed")
    return raw


def _check_id(fields: dict[str, str], public: X25519PublicKey | Ed25519PublicKey) -> None:
    if _field(fields, "key-id") != key_id(public):
        raise KeyFileError("the key file is corrupt: the key id does not match the key")


def _check_kommune(kommune: str) -> str:
    if not RECIPIENT_RE.match(kommune):
        raise KeyFileError("the kommune must be a kommune number or KE id (letters, digits, .-_)")
    return kommune


def _write(path: Path, text: str, *, secret: bool, overwrite: bool) -> None:
    try:
        write_file(path, text, mode=0o600 if secret else 0o644, exclusive=not overwrite)
    except FileExistsError:
        raise KeyFileError(f"refusing to overwrite an existing key file: {path}") from None


def _warn_if_readable(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        log.warning("key file %s is readable by other users; run chmod 600 on it", path)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _raw_private(key: X25519PrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
