"""Opening sealed referrals and status notes on a KE workstation.

Every failure becomes a `StaffError` naming a message in `bot.staff.texts`, so the command can
print one clear line; nothing here prints or logs referral content.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake.errors import IntakeError
from storage.render import CaseInfo

if TYPE_CHECKING:
    from bot.bootstrap import App
    from intake.model import Referral
    from storage.inbox import InboxRecord

log = logging.getLogger(__name__)

# Notes are sealed like referrals but carry their own body label, so a note envelope moved into
# a referral's row can never be mistaken for a referral (the body fails to unpack).
NOTE_MAGIC = b"ke-intake/note/v1\n"
# A stored note is this label, the signer's 32-byte Ed25519 public key, then the envelope: notes
# signed on one KE workstation open on every other. Who wrote a note and when is vouched for by
# the hash-chained audit log, not by this key.
NOTE_BLOB_MAGIC = b"ke-intake/note-blob/v1\n"
NOTE_KEY_FILE = "staff-notes.key"


class StaffError(IntakeError):
    """A failure to show staff as one line: a message key in `bot.staff.texts` and its values."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(key)


@dataclass(frozen=True)
class Opened:
    record: InboxRecord
    referral: Referral
    attachments: dict[str, bytes]


def load_key(path: str, passphrase: bytes) -> X25519PrivateKey:
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import load_private_key

    if not Path(path).is_file():
        raise StaffError("key_missing", path=path)
    try:
        return load_private_key(path, passphrase)
    except KeyFileError:
        raise StaffError("key_error") from None


def record_of(app: App, reference: str) -> InboxRecord:
    record = app.inbox.get(reference.strip().upper())
    if record is None:
        raise StaffError("unknown_reference", reference=reference)
    return record


def case_info(app: App, record: InboxRecord) -> CaseInfo:
    return CaseInfo(
        reference=record.reference,
        recipient=record.recipient,
        received_at=record.received_at,
        channel=record.channel,
        status=record.status,
        outcome=record.outcome,
        coordinator=record.coordinator,
        # Without any verification key a False says nothing; show "not checked" instead.
        signature_ok=record.signature_ok if app.verify_keys else None,
    )


def open_referral(app: App, record: InboxRecord, private_key: X25519PrivateKey) -> Opened:
    from pydantic import ValidationError

    from intake.model import Referral
    from storage.crypto.body import unpack_body
    from storage.crypto.envelope import open_envelope
    from storage.crypto.errors import SealedEnvelopeError

    if not app.verify_keys:
        # Opening checks the filing signature first; say what is missing, not "forged".
        raise StaffError("no_verify_keys_open", folder=str(app.settings.data_dir))
    if record.mismatched:
        raise mismatch_refused(record, record.mismatched)
    blob = app.inbox.envelope(record.reference)
    try:
        header, body = open_envelope(blob, private_key=private_key, verify_keys=app.verify_keys)
        if header.referral_id != record.id or header.recipient != record.recipient:
            raise SealedEnvelopeError()  # a genuine envelope moved into another row
        referral_json, attachments = unpack_body(body)
        # Filing already judged the rules (synthetic ids included) under its policy; here the
        # fields are only read back.
        referral = Referral.model_validate_json(referral_json, context={"allow_synthetic": True})
    except (SealedEnvelopeError, ValidationError):
        raise StaffError("sealed_error") from None
    # The signed body names its reference, channel and time too (the only place a version 1
    # envelope does): a row that disagrees is refused, never shown as someone else's referral.
    meta = referral.meta
    if meta is not None:
        signed = {
            "reference": meta.reference,
            "channel": meta.channel.value,
            "received_at": meta.submitted_at,
        }
        shown = {
            "reference": record.reference,
            "channel": record.channel,
            "received_at": record.received_at,
        }
        wrong = tuple(name for name in signed if signed[name] != shown[name])
        if wrong:
            raise mismatch_refused(record, wrong)
    return Opened(record, referral, attachments)


def mismatch_refused(record: InboxRecord, names: tuple[str, ...]) -> StaffError:
    log.warning("staff: %s refused, columns disagree with the signed envelope: %s",
                record.reference, ",".join(names))  # fmt: skip
    return StaffError("mismatch_refused", reference=record.reference, columns=names)


# -- status notes ------------------------------------------------------------------------------


def note_signing_key(app: App) -> Ed25519PrivateKey:
    """The intake key where this machine has it, else this workstation's own note key."""
    if app.signing_key is not None:
        return app.signing_key
    from storage.crypto.keys import generate_signing_key, load_signing_key, save_signing_key

    path = app.settings.data_dir / NOTE_KEY_FILE
    if path.exists():
        return load_signing_key(path, None)
    key = generate_signing_key()
    save_signing_key(path, key, None)
    log.info("created the workstation's note signing key %s", path)
    return key


def seal_note(app: App, record: InboxRecord, payload: Mapping[str, Any], at: datetime) -> bytes:
    from storage.crypto.errors import NoRecipientKeysError
    from storage.crypto.keys import public_signing_key_bytes
    from storage.crypto.sealer import EnvelopeSealer

    body = NOTE_MAGIC + json.dumps(dict(payload), ensure_ascii=False, sort_keys=True).encode()
    signing_key = note_signing_key(app)
    sealer = EnvelopeSealer(app.inbox.recipient_keys, signing_key)
    try:
        blob, _ = sealer.seal(
            body,
            record.id,
            record.recipient,
            at,
            reference=record.reference,
            channel=record.channel,
        )
    except NoRecipientKeysError:
        raise StaffError("no_recipient_keys", recipient=record.recipient) from None
    return NOTE_BLOB_MAGIC + public_signing_key_bytes(signing_key) + blob


def open_note(
    stored: bytes, record: InboxRecord, private_key: X25519PrivateKey
) -> dict[str, Any] | None:
    """The note's fields, or None when it cannot be opened with this key."""
    from storage.crypto.envelope import open_envelope
    from storage.crypto.errors import SealedEnvelopeError
    from storage.crypto.keys import verify_keys_for

    start = len(NOTE_BLOB_MAGIC)
    if not stored.startswith(NOTE_BLOB_MAGIC) or len(stored) < start + 32:
        return None
    try:
        signer = Ed25519PublicKey.from_public_bytes(stored[start : start + 32])
        header, body = open_envelope(
            stored[start + 32 :], private_key=private_key, verify_keys=verify_keys_for(signer)
        )
    except (SealedEnvelopeError, ValueError):
        return None
    if header.referral_id != record.id or not body.startswith(NOTE_MAGIC):
        return None
    try:
        data = json.loads(body[len(NOTE_MAGIC) :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
