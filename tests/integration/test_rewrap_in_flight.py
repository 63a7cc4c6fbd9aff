"""A key removed while another process is filing: that process read the recipient keys (its
cache, KEY_CACHE_SECONDS) before the removal and seals a filing to the old set after it. The
re-seal that follows the removal, run at once as `keys retire` + `keys rewrap` or `staff remove`
run it, must still leave no envelope on the removed key."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake.filing import Filing
from storage.crypto.envelope import RecipientKey, key_id
from storage.crypto.sealer import EnvelopeSealer
from storage.inbox import SqlInbox
from storage.inbox.db import make_engine, upgrade
from storage.inbox.rewrap import rewrap_inbox, settle_after_key_change

SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}


def _file(inbox: SqlInbox, reference: str) -> None:
    referral_id, now = uuid.uuid4(), datetime.now(UTC)
    sealer = EnvelopeSealer(inbox.recipient_keys, SIGNER)
    blob, key_ids = sealer.seal(b"body", referral_id, "0301", now, reference=reference,
                                channel="file")  # fmt: skip
    inbox.file(Filing(envelope=blob, referral_id=referral_id, reference=reference,
                      recipient="0301", channel="file", received_at=now, key_ids=key_ids,
                      idempotency_key=None, actor="intake"))  # fmt: skip


def test_a_filing_sealed_to_the_old_keys_after_the_removal_is_resealed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    upgrade(engine)
    stays, leaves = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    ke = SqlInbox(engine, idempotency_secret=b"t", verify_keys=VERIFY)  # the KE's process
    bot = SqlInbox(engine, idempotency_secret=b"t", verify_keys=VERIFY)  # a bot's process
    past = datetime.now(UTC) - timedelta(days=1)
    for key in (stays, leaves):
        raw = key.public_key().public_bytes_raw()
        ke.add_recipient_key("0301", RecipientKey.of(key.public_key()).key_id, raw, past)
    _file(bot, "KE-AAAA-0001")  # the bot now holds both keys in its cache
    gone = key_id(leaves.public_key())
    ke.retire_recipient_key("0301", gone, actor="leder", at=datetime.now(UTC))
    assert settle_after_key_change(ke) > 0.5  # the change is fresh: a re-seal must wait

    # The bot files once more, shortly after the removal, sealing to its cached (old) set.
    late = threading.Thread(target=lambda: (time.sleep(0.3), _file(bot, "KE-AAAA-0002")))
    late.start()
    # As `keys rewrap` and `staff remove` call it: no settle time given.
    counts = rewrap_inbox(
        ke, private_key=stays, verify_keys=VERIFY, signing_key=None, actor="leder"
    )
    late.join()
    assert counts["done"] == 2
    for record in ke.list():
        assert gone not in record.key_ids, record.reference
    # An old key change makes no one wait.
    assert settle_after_key_change(ke, datetime.now(UTC) + timedelta(minutes=1)) == 0.0
    engine.dispose()
