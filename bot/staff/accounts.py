"""KE staff accounts, each with its own key pair.

Why per-person keys (issue 13): every referral is sealed to every active staff key of its KE (the
envelope takes up to 32 recipients), so "only KE staff can read" holds with nothing shared, and
each opening is done with one person's key: the audit log's name is backed by the key that opened.
Removing a person retires their key and re-seals every envelope (and note) to the others, as a
rotation does; a removed person's old key opens neither new nor re-sealed referrals. A shared KE
key wrapped per person would be shorter to manage but lets anyone who once unlocked it keep the
shared key, so a removal would need a rotation anyway.

The store lives on the KE side only, in `<data_dir>/staff/`: `accounts.json` (0600: password
hashes, TOTP secrets, OpenID subject, role, the key's id) and `keys/<username>.key`, the private
key in the existing key-file format, encrypted with the person's passphrase (Argon2id). The
intake side only ever sees the public keys, as recipient keys of the KE.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from bot.staff.access import StaffError
from storage.files import write_file

Role = Literal["saksbehandler", "leder"]
ROLES: tuple[Role, ...] = ("saksbehandler", "leder")
MAX_RECIPIENTS = 32  # the envelope's limit on wrapped keys
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")
MIN_PASSWORD = 10
MIN_PASSPHRASE = 10
# OWASP's second Argon2id profile for passwords (19 MiB, 2 passes, 1 lane).
PASSWORD_KDF = (2, 1, 19 * 1024)  # iterations, lanes, memory in KiB
CHEAP_KDF = (1, 1, 8)


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: Role
    recipients: tuple[str, ...]
    key_id: str
    created_at: str
    password_hash: str | None = None
    totp_secret: str | None = None
    oidc_subject: str | None = None
    active: bool = True
    removed_at: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_leader(self) -> bool:
        return self.role == "leder"


def hash_password(password: str, *, cheap: bool = False) -> str:
    iterations, lanes, memory = CHEAP_KDF if cheap else PASSWORD_KDF
    kdf = Argon2id(
        salt=secrets.token_bytes(16),
        length=32,
        iterations=iterations,
        lanes=lanes,
        memory_cost=memory,
    )
    return kdf.derive_phc_encoded(password.encode())


def check_password(password: str, encoded: str | None) -> bool:
    if not encoded:
        return False
    try:
        Argon2id.verify_phc_encoded(password.encode(), encoded)
    except (InvalidKey, ValueError):
        return False
    return True


class AccountStore:
    """The accounts of one KE installation: a JSON file written atomically, and key files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / "accounts.json"

    def key_path(self, username: str) -> Path:
        return self.folder / "keys" / f"{username}.key"

    def all(self) -> list[Account]:
        return sorted(self._load().values(), key=lambda a: a.username)

    def active(self) -> list[Account]:
        return [a for a in self.all() if a.active]

    def get(self, username: str) -> Account | None:
        return self._load().get(username.strip().lower())

    def by_subject(self, subject: str) -> Account | None:
        return next((a for a in self.active() if a.oidc_subject == subject), None)

    def by_name(self, name: str) -> Account | None:
        return next((a for a in self.active() if a.name == name), None)

    def put(self, account: Account) -> None:
        accounts = self._load()
        accounts[account.username] = account
        self._save(accounts)

    def deactivate(self, username: str, at: datetime) -> Account:
        account = self.get(username)
        if account is None:
            raise StaffError("staff_unknown", username=username)
        removed = replace(account, active=False, removed_at=at.isoformat(), totp_secret=None)
        self.put(removed)
        return removed

    def load_private_key(self, account: Account, passphrase: bytes) -> X25519PrivateKey:
        from bot.staff.access import load_key

        return load_key(str(self.key_path(account.username)), passphrase)

    def __iter__(self) -> Iterator[Account]:
        return iter(self.all())

    # -- file ------------------------------------------------------------------------------

    def _load(self) -> dict[str, Account]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text("utf-8"))
        out = {}
        for raw in data.get("accounts", []):
            raw["recipients"] = tuple(raw.get("recipients", ()))
            account = Account(**raw)
            out[account.username] = account
        return out

    def _save(self, accounts: dict[str, Account]) -> None:
        data = {
            "format": "ke-intake/staff-accounts/v1",
            "accounts": [asdict(a) for _, a in sorted(accounts.items())],
        }
        write_file(self.path, json.dumps(data, ensure_ascii=False, indent=1))
