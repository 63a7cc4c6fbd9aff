"""The filing use case with the in-memory inbox and real sealing: validate -> seal -> store."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from intake.filing import InvalidReferral, Receipt, ReferenceTaken, file_referral
from intake.model import Attachment, Referral
from intake.reference import PATTERN, make_reference, normalise_reference
from intake.rules import Policy
from storage.crypto.body import pack_body, unpack_body
from storage.crypto.envelope import RecipientKey, key_id, open_envelope
from storage.crypto.errors import NoRecipientKeysError
from storage.crypto.sealer import EnvelopeSealer
from storage.inbox import MemoryInbox
from tests.conversations import PDF_BYTES, PEOPLE, load
from tests.conversations.drive import TODAY as DIALOGUE_DAY
from tests.conversations.drive import start, to_filing
from tests.fixtures.referrals import valid_referral

NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
POLICY = Policy(today=NOW.date(), allow_synthetic=True)
SIGNER = Ed25519PrivateKey.generate()
VERIFY = {key_id(SIGNER.public_key()): SIGNER.public_key()}
KE_KEY = X25519PrivateKey.generate()
PDF = b"%PDF-1.7\n" + b"fullmakt " * 50


@pytest.fixture
def inbox() -> MemoryInbox:
    inbox = MemoryInbox(verify_keys=VERIFY)
    public = RecipientKey.of(KE_KEY.public_key())
    inbox.add_recipient_key("0301", public.key_id, KE_KEY.public_key().public_bytes_raw(), NOW)
    return inbox


def references(*values: str) -> Callable[[], str]:
    it: Iterator[str] = iter(values)
    return lambda: next(it)


def file(
    inbox: MemoryInbox,
    referral: Any = None,
    *,
    policy: Policy = POLICY,
    key: str | None = "draft-1",
    attachments: Any = (),
    new_reference: Callable[[], str] | None = None,
    clock: Callable[[], dt.datetime] = lambda: NOW,
    new_id: Callable[[], uuid.UUID] = uuid.uuid4,
) -> Receipt:
    return file_referral(
        valid_referral() if referral is None else referral,
        policy=policy,
        channel="telegram",
        language="nn",
        idempotency_key=key,
        attachments=attachments,
        inbox=inbox,
        sealer=EnvelopeSealer(inbox.recipient_keys, SIGNER),
        pack_body=pack_body,
        clock=clock,
        new_id=new_id,
        new_reference=new_reference or references("KE-7K4M-Q9XA", "KE-7K4M-Q9XB"),
    )


def opened(inbox: MemoryInbox, reference: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    _, body = open_envelope(inbox.envelope(reference), private_key=KE_KEY, verify_keys=VERIFY)
    referral_json, attachments = unpack_body(body)
    return json.loads(referral_json), attachments


def test_files_a_valid_referral_sealed_with_its_meta(inbox: MemoryInbox) -> None:
    referral_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
    receipt = file(inbox, new_id=lambda: referral_id)
    assert receipt == Receipt("KE-7K4M-Q9XA", NOW, duplicate=False)
    record = inbox.get("KE-7K4M-Q9XA")
    assert record is not None
    assert (record.id, record.recipient, record.channel, record.status) == (
        referral_id,
        "0301",
        "telegram",
        "received",
    )
    assert record.signature_ok
    content, attachments = opened(inbox, "KE-7K4M-Q9XA")
    assert content["meta"] == {
        "id": str(referral_id),
        "reference": "KE-7K4M-Q9XA",
        "channel": "telegram",
        "language": "nn",
        "submitted_at": "2026-03-02T09:30:00Z",
        "schema_version": 1,
    }
    assert content["person"]["national_id"] == valid_referral()["person"]["national_id"]
    assert attachments == {}
    assert [e.actor for e in inbox.audit_entries() if e.action == "filed"] == ["intake:telegram"]


def test_meta_sent_by_a_client_is_replaced(inbox: MemoryInbox) -> None:
    data = valid_referral()
    data["meta"] = {"id": "not a uuid", "reference": "KE-FAKE", "channel": "fax"}
    receipt = file(inbox, data)
    content, _ = opened(inbox, receipt.reference)
    assert content["meta"]["reference"] == receipt.reference == "KE-7K4M-Q9XA"
    assert content["meta"]["channel"] == "telegram"


def test_a_model_is_judged_again_under_the_filing_policy(inbox: MemoryInbox) -> None:
    model = Referral.model_validate(valid_referral(), context={"allow_synthetic": True})
    strict = Policy(today=NOW.date(), allow_synthetic=False)
    with pytest.raises(InvalidReferral) as caught:
        file(inbox, model, policy=strict)
    assert [(v.field, v.key) for v in caught.value.violations] == [
        ("person.national_id", "national_id_synthetic")
    ]
    assert inbox.list() == []


@pytest.mark.parametrize("name", PEOPLE)
def test_a_model_is_sealed_exactly_as_its_json_would_be(inbox: MemoryInbox, name: str) -> None:
    """A model is judged by the rules only (its fields were validated when it was made): what
    is sealed is byte for byte what validating its JSON again gives."""
    script = load(name, DIALOGUE_DAY)
    referral = to_filing(start(script), script).referral
    attachments = [(a, PDF_BYTES) for a in referral.attachments]
    public = KE_KEY.public_key()
    inbox.add_recipient_key(referral.kommune, key_id(public), public.public_bytes_raw(), NOW)
    policy = Policy(today=DIALOGUE_DAY, allow_synthetic=True)
    bodies = []
    dumped = referral.model_dump(mode="json")
    for n, given in enumerate((referral, dumped)):
        receipt = file(
            inbox,
            given,
            policy=policy,
            key=f"draft-{n}",
            attachments=attachments,
            new_reference=references(f"KE-AAAA-000{n}"),
        )
        content, _ = opened(inbox, receipt.reference)
        del content["meta"]["reference"], content["meta"]["id"]
        bodies.append(content)
    assert bodies[0] == bodies[1]


def test_an_invalid_referral_stores_nothing_and_names_every_problem(inbox: MemoryInbox) -> None:
    data = valid_referral()
    data["person"]["address"]["postcode"] = "12"
    del data["need"]
    with pytest.raises(InvalidReferral) as caught:
        file(inbox, data)
    fields = {v.field for v in caught.value.violations}
    assert {"person.address.postcode", "need"} <= fields
    assert data["person"]["national_id"] not in str(caught.value)
    assert inbox.list() == []
    assert [e.action for e in inbox.audit_entries()] == ["key_added"]


def test_a_retry_with_the_same_key_gets_the_same_receipt(inbox: MemoryInbox) -> None:
    first = file(inbox, new_reference=references("KE-AAAA-0001"))
    again = file(inbox, new_reference=references("KE-AAAA-0002"))
    assert again == Receipt(first.reference, first.received_at, duplicate=True)
    assert len(inbox.list()) == 1


def test_a_reference_collision_draws_a_new_reference_and_reseals(inbox: MemoryInbox) -> None:
    file(inbox, key="other", new_reference=references("KE-7K4M-Q9XA"))
    receipt = file(inbox, new_reference=references("KE-7K4M-Q9XA", "KE-7K4M-Q9XB"))
    assert receipt.reference == "KE-7K4M-Q9XB"
    content, _ = opened(inbox, "KE-7K4M-Q9XB")
    assert content["meta"]["reference"] == "KE-7K4M-Q9XB"


def test_endless_collisions_give_up_with_reference_taken(inbox: MemoryInbox) -> None:
    file(inbox, key="other", new_reference=references("KE-7K4M-Q9XA"))
    with pytest.raises(ReferenceTaken):
        file(inbox, new_reference=itertools.repeat("KE-7K4M-Q9XA").__next__)
    assert len(inbox.list()) == 1


def test_a_kommune_without_keys_is_refused_before_storing(inbox: MemoryInbox) -> None:
    data = valid_referral()
    data["kommune"] = "4601"
    with pytest.raises(NoRecipientKeysError):
        file(inbox, data)
    assert inbox.list() == []


def test_the_clock_must_be_aware(inbox: MemoryInbox) -> None:
    with pytest.raises(ValueError, match="aware"):
        file(inbox, clock=lambda: NOW.replace(tzinfo=None))


def with_attachment(content: bytes, **changes: Any) -> tuple[dict[str, Any], Attachment]:
    meta = {
        "kind": "other",
        "filename": "fullmakt.pdf",
        "media_type": "application/pdf",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        **changes,
    }
    data = valid_referral()
    data["attachments"] = [meta]
    return data, Attachment.model_validate(meta)


def test_attachments_are_sealed_with_the_referral(inbox: MemoryInbox) -> None:
    data, meta = with_attachment(PDF)
    receipt = file(inbox, data, attachments=[(meta, PDF)])
    content, attachments = opened(inbox, receipt.reference)
    assert attachments == {meta.sha256: PDF}
    assert content["attachments"][0]["sha256"] == meta.sha256


@pytest.mark.parametrize(
    ("changes", "given", "key"),
    [
        ({}, None, "attachment_missing"),
        ({"size": len(PDF) + 1}, PDF, "attachment_mismatch"),
        ({"media_type": "image/png"}, PDF, "attachment_mismatch"),
    ],
)
def test_attachments_must_match_their_metadata(
    inbox: MemoryInbox, changes: dict[str, Any], given: bytes | None, key: str
) -> None:
    data, meta = with_attachment(PDF, **changes)
    pairs = [] if given is None else [(meta, given)]
    with pytest.raises(InvalidReferral) as caught:
        file(inbox, data, attachments=pairs)
    assert [(v.field, v.key) for v in caught.value.violations] == [("attachments.0", key)]
    assert inbox.list() == []


def test_an_attachment_the_referral_does_not_list_is_refused(inbox: MemoryInbox) -> None:
    _, meta = with_attachment(PDF)
    with pytest.raises(InvalidReferral) as caught:
        file(inbox, attachments=[(meta, PDF)])
    assert [(v.field, v.key) for v in caught.value.violations] == [
        ("attachments", "attachment_mismatch")
    ]


# -- references --------------------------------------------------------------------------------


def test_references_are_crockford_base32_of_forty_random_bits() -> None:
    assert make_reference(bytes(5)) == "KE-0000-0000"
    assert make_reference(b"\xff" * 5) == "KE-ZZZZ-ZZZZ"
    assert (
        make_reference(bytes.fromhex("0123456789ff")) == "KE-04HM-ASW9"
    )  # 00000 00100 10001 10100 01010 11001 11100 01001
    for n in range(200):
        assert PATTERN.match(make_reference(hashlib.sha256(bytes([n])).digest()))
    with pytest.raises(ValueError, match="5 random bytes"):
        make_reference(b"1234")


def test_typed_references_are_normalised_like_crockford_reads_them() -> None:
    assert normalise_reference("ke 7k4m q9xa") == "KE-7K4M-Q9XA"
    assert normalise_reference("KE-OIL0-Q9XA") == "KE-0110-Q9XA"
    assert normalise_reference("7K4MQ9XA") == "KE-7K4M-Q9XA"
    assert normalise_reference("KE-7K4M-Q9X") is None
    assert normalise_reference("KE-7K4M-Q9XU") is None


def test_the_file_command_offers_exactly_the_model_channels() -> None:
    from bot.commands.file import CHANNELS
    from intake.model import Channel
    from storage.render.document import VERIFIED_CHANNELS

    assert tuple(c.value for c in Channel if c.value not in VERIFIED_CHANNELS) == CHANNELS
