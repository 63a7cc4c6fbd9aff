"""Opening sealed referrals and status notes on a KE workstation.

Every failure becomes a `StaffError` naming a message in `bot.staff.texts`, so the command can
print one clear line; nothing here prints or logs referral content.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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
# A stored note is this label, the signer's 32-byte Ed25519 public key, then the envelope. The key
# in the blob is never trusted: a database writer could replace note, key and signature together.
# A note opens only when its envelope's signer (the key id in the signed header) is a key the KE
# side knows: the intake's verification keys, or a note key in the KE's registry
# (`NoteSigners`, beside the staff accounts, never in the database) that was not retired before
# the note's time.
NOTE_BLOB_MAGIC = b"ke-intake/note-blob/v1\n"
NOTE_KEY_FILE = "staff-notes.key"
NOTE_SIGNERS_FILE = "note-signers.json"
_SIGNERS_FORMAT = "ke-intake/note-signers/v1"


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


class NoteSigners:
    """The KE side's registry of the keys that may sign staff notes (`<data dir>/staff/
    note-signers.json`, 0600): key id -> public key, whose key it is, when it was registered
    and, once retired, when. The database holds notes, never this registry."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, app: App) -> NoteSigners:
        return cls(app.settings.data_dir / "staff" / NOTE_SIGNERS_FILE)

    def register(self, key: Ed25519PublicKey, owner: str, at: datetime) -> bool:
        """Trust `key` for notes from `at` on (True); False when its id is in the registry
        already: current, or retired (a retired key is not trusted again)."""
        from storage.crypto.envelope import key_id
        from storage.crypto.keys import public_signing_key_bytes

        with self._changing() as entries:
            if key_id(key) in entries:
                return False
            entries[key_id(key)] = {
                "public_key": public_signing_key_bytes(key).hex(), "owner": owner,
                "added_at": at.isoformat(), "retired_at": None,
            }  # fmt: skip
            return True

    def retire(self, key: Ed25519PublicKey, at: datetime) -> bool:
        from storage.crypto.envelope import key_id

        with self._changing() as entries:
            entry = entries.get(key_id(key))
            if entry is None or entry.get("retired_at"):
                return False
            entry["retired_at"] = at.isoformat()
            return True

    @contextmanager
    def _changing(self) -> Iterator[dict[str, dict[str, Any]]]:
        """The entries to change, written back after (unless it raised): one process or
        thread at a time, so none of two registering at once is lost."""
        from storage.files import exclusive_lock

        with exclusive_lock(self.path.with_name(f".{self.path.name}.lock")):
            entries = self._load()
            yield entries
            self._save(entries)

    def keys_at(self, at: datetime | None) -> dict[str, Ed25519PublicKey]:
        """The registered keys that were not retired before `at` (all current ones for None)."""
        found = {}
        for kid, entry in self._load().items():
            retired = entry.get("retired_at")
            if retired and (at is None or datetime.fromisoformat(retired) <= at):
                continue
            try:
                found[kid] = Ed25519PublicKey.from_public_bytes(bytes.fromhex(entry["public_key"]))
            except (ValueError, KeyError, TypeError):
                continue  # a damaged entry trusts nothing
        return found

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning(
                "the note signer registry %s cannot be read; no note key trusted", self.path
            )
            return {}
        if not isinstance(data, dict) or data.get("format") != _SIGNERS_FORMAT:
            return {}
        keys = data.get("keys")
        return keys if isinstance(keys, dict) else {}

    def _save(self, entries: dict[str, dict[str, Any]]) -> None:
        from storage.files import write_file

        write_file(self.path, json.dumps({"format": _SIGNERS_FORMAT, "keys": entries}, indent=1))


def note_verify_keys(app: App, at: datetime | None = None) -> dict[str, Ed25519PublicKey]:
    """The keys a note of time `at` may be signed with: the intake's and the registered ones."""
    return {**app.verify_keys, **NoteSigners.of(app).keys_at(at)}


def note_signing_key(app: App) -> Ed25519PrivateKey:
    """The intake key where this machine has it, else this workstation's own note key, which
    is registered with the KE's note signers when it is made (or first used, for a key made
    before the registry)."""
    if app.signing_key is not None:
        return app.signing_key
    from storage.crypto.envelope import key_id
    from storage.crypto.keys import load_or_create_signing_key

    path = app.settings.data_dir / NOTE_KEY_FILE
    key, created = load_or_create_signing_key(path, None)
    if created:
        log.info("created the workstation's note signing key %s", path)
    signers = NoteSigners.of(app)
    if key_id(key.public_key()) not in signers.keys_at(None):
        signers.register(key.public_key(), "workstation", app.clock())
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


def note_signer_known(stored: bytes, signers: Mapping[str, Ed25519PublicKey]) -> bool:
    """Whether the note names a signer the KE knows (False: a key from the database alone,
    so possibly a forged note)."""
    from storage.crypto.envelope import read_header
    from storage.crypto.errors import SealedEnvelopeError

    try:
        return read_header(stored[len(NOTE_BLOB_MAGIC) + 32 :]).signer_key_id in signers
    except (SealedEnvelopeError, ValueError):
        return False


def open_note(
    stored: bytes,
    record: InboxRecord,
    private_key: X25519PrivateKey,
    signers: Mapping[str, Ed25519PublicKey],
) -> dict[str, Any] | None:
    """The note's fields, or None when it cannot be opened with this key or is not signed by
    one of `signers` (`note_verify_keys`; the key stored beside the note is not used)."""
    from storage.crypto.envelope import open_envelope
    from storage.crypto.errors import SealedEnvelopeError

    start = len(NOTE_BLOB_MAGIC)
    if not stored.startswith(NOTE_BLOB_MAGIC) or len(stored) < start + 32:
        return None
    try:
        header, body = open_envelope(
            stored[start + 32 :], private_key=private_key, verify_keys=signers
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
