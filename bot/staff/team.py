"""Adding and removing KE staff: a key pair per person, registered as a recipient key of each
KE the person works for; removal retires the key and re-seals every envelope to the others."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import pyotp

from bot.staff.access import StaffError, note_verify_keys, open_note, seal_note
from bot.staff.accounts import (
    MAX_RECIPIENTS,
    MIN_PASSPHRASE,
    MIN_PASSWORD,
    ROLES,
    USERNAME,
    Account,
    AccountStore,
    Role,
    hash_password,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from bot.bootstrap import App
    from storage.inbox import InboxRecord, StatusEvent

log = logging.getLogger(__name__)
TOTP_ISSUER = "ke-intake KE"


@dataclass(frozen=True)
class Added:
    account: Account
    totp_uri: str | None


def actor_name(account: Account) -> str:
    """How the audit log names a person: their name and their username."""
    return f"{account.name} ({account.username})"


def add_staff(
    app: App,
    store: AccountStore,
    *,
    username: str,
    name: str,
    role: Role,
    recipients: tuple[str, ...],
    passphrase: bytes,
    password: str | None,
    oidc_subject: str | None,
    by: str,
    now: datetime,
    cheap_kdf: bool = False,
) -> Added:
    from storage.crypto.envelope import RecipientKey
    from storage.crypto.keys import Argon2Params, generate_recipient_key, save_private_key

    username = username.strip().lower()
    name = " ".join(name.split())
    if not USERNAME.match(username):
        raise StaffError("staff_bad_username")
    if not name:
        raise StaffError("empty_name")
    if role not in ROLES:
        raise StaffError("staff_bad_role", choices=", ".join(ROLES))
    if not recipients:
        raise StaffError("staff_no_kommune")
    if store.get(username) is not None:
        raise StaffError("staff_exists", username=username)
    if password is None and oidc_subject is None:
        raise StaffError("staff_no_login")
    if password is not None and len(password) < MIN_PASSWORD:
        raise StaffError("staff_short_password", n=MIN_PASSWORD)
    if len(passphrase) < MIN_PASSPHRASE:
        raise StaffError("staff_short_passphrase", n=MIN_PASSPHRASE)
    for recipient in recipients:
        if len(app.inbox.recipient_keys(recipient)) >= MAX_RECIPIENTS:
            raise StaffError("staff_too_many", recipient=recipient, n=MAX_RECIPIENTS)
    key = generate_recipient_key()
    path = store.key_path(username)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if cheap_kdf:
        save_private_key(
            path, key, passphrase, recipients[0], argon2=Argon2Params.cheap_for_tests()
        )
    else:
        save_private_key(path, key, passphrase, recipients[0])
    recipient_key = RecipientKey.of(key.public_key())
    totp_secret = pyotp.random_base32() if password is not None else None
    account = Account(
        username=username,
        name=name,
        role=role,
        recipients=tuple(recipients),
        key_id=recipient_key.key_id,
        created_at=now.isoformat(),
        password_hash=hash_password(password, cheap=cheap_kdf) if password is not None else None,
        totp_secret=totp_secret,
        oidc_subject=oidc_subject,
    )
    store.put(account)
    for recipient in recipients:
        app.inbox.add_recipient_key(
            recipient, recipient_key.key_id, key.public_key().public_bytes_raw(), now, actor=by
        )
    uri = None
    if totp_secret is not None:
        uri = pyotp.TOTP(totp_secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)
    log.info("staff account added: key %s", recipient_key.key_id)
    return Added(account, uri)


def remove_staff(
    app: App,
    store: AccountStore,
    username: str,
    *,
    private_key: X25519PrivateKey,
    by: str,
    now: datetime,
) -> dict[str, int]:
    """Retire the person's key everywhere and re-seal what it could open to the others, with
    `private_key` (the remover's own, unlocked). Returns the re-seal counts."""
    from storage.inbox.rewrap import rewrap_inbox

    account = store.get(username)
    if account is None or not account.active:
        raise StaffError("staff_unknown", username=username)
    for recipient in account.recipients:
        others = [k for k in app.inbox.recipient_keys(recipient) if k.key_id != account.key_id]
        if not others:
            raise StaffError("staff_last_key", recipient=recipient)
    for recipient in account.recipients:
        app.inbox.retire_recipient_key(recipient, account.key_id, actor=by, at=now)
    store.deactivate(username, now)

    def rewrap_note(record: InboxRecord, event: StatusEvent) -> bytes | None:
        if event.note_envelope is None:
            return None
        payload = open_note(
            event.note_envelope, record, private_key, note_verify_keys(app, event.at)
        )
        return None if payload is None else seal_note(app, record, payload, event.at)

    # Envelopes of v2 are re-wrapped to the remaining keys with the remover's key alone (the
    # intake's signature stays valid); a bot process may still seal to the old key set for
    # the key cache's lifetime and a filing's time in flight, so the re-seal waits that out
    # after the retirement (rewrap_inbox's default) and looks again.
    return rewrap_inbox(
        app.inbox,
        private_key=private_key,
        verify_keys=app.verify_keys,
        signing_key=app.signing_key,
        actor=by,
        rewrap_note=rewrap_note,
    )
