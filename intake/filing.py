"""The filing use case: validate -> seal -> store -> receipt.

Pure orchestration: the clock, id and reference generators, the body packer, the sealer and the
inbox are passed in, so this module does no I/O of its own and imports nothing outside `intake`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from intake.attachments import content_is
from intake.errors import IntakeError
from intake.model import Attachment, Channel, Meta, Referral
from intake.rules import Policy, Violation, check_rules, validate_referral
from intake.texts import Language

# Collisions of 40-bit references are rare; a handful of retries makes a failure astronomically so.
REFERENCE_ATTEMPTS = 8


class InvalidReferral(IntakeError):
    """The referral breaks field or cross-field rules; nothing was stored."""

    def __init__(self, violations: Sequence[Violation]) -> None:
        self.violations = list(violations)
        fields = ", ".join(v.field for v in self.violations)
        super().__init__(f"invalid referral ({len(self.violations)} problem(s): {fields})")


class ReferenceTaken(IntakeError):
    """The inbox already holds another referral with this reference; draw a new one."""

    def __init__(self) -> None:
        super().__init__("reference already in use")


@dataclass(frozen=True)
class Receipt:
    reference: str
    received_at: dt.datetime
    duplicate: bool


class Sealer(Protocol):
    def seal(
        self,
        body: bytes,
        referral_id: uuid.UUID,
        recipient: str,
        filed_at: dt.datetime,
        *,
        reference: str,
        channel: str,
    ) -> tuple[bytes, tuple[str, ...]]:
        """Seal `body` for `recipient`, binding the referral id, reference, channel and
        reception time into what is signed."""
        ...


class FilingResultLike(Protocol):
    @property
    def reference(self) -> str: ...
    @property
    def received_at(self) -> dt.datetime: ...
    @property
    def duplicate(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Filing:
    """One sealed referral as an inbox stores it: the envelope and the columns readable without
    a private key. `actor` is who files it for the audit log (`intake:<channel>`)."""

    envelope: bytes
    referral_id: uuid.UUID
    reference: str
    recipient: str
    channel: str
    received_at: dt.datetime
    key_ids: tuple[str, ...]
    idempotency_key: str | None
    actor: str


class FilingInbox(Protocol):
    """The one inbox method filing needs (storage.inbox.Inbox satisfies it)."""

    def file(self, filing: Filing) -> FilingResultLike: ...


BodyPacker = Callable[[bytes, Sequence[tuple[str, bytes]]], bytes]


def file_referral(
    referral: Referral | Mapping[str, Any],
    *,
    policy: Policy,
    channel: Channel | str,
    language: Language,
    idempotency_key: str | None,
    attachments: Sequence[tuple[Attachment, bytes]] = (),
    inbox: FilingInbox,
    sealer: Sealer,
    pack_body: BodyPacker,
    clock: Callable[[], dt.datetime],
    new_id: Callable[[], uuid.UUID],
    new_reference: Callable[[], str],
) -> Receipt:
    """File one referral. Raises InvalidReferral (storing nothing) when it breaks any rule."""
    channel = Channel(channel)
    checked = validated(referral, policy)
    contents = _attachment_contents(checked, attachments)
    referral_id = new_id()
    received_at = clock()
    if received_at.tzinfo is None:
        raise ValueError("the clock must return an aware datetime")
    for _ in range(REFERENCE_ATTEMPTS):
        reference = new_reference()
        meta = Meta(
            id=referral_id,
            reference=reference,
            channel=channel,
            language=language,
            submitted_at=received_at,
        )
        final = checked.model_copy(update={"meta": meta})
        body = pack_body(final.canonical_json(), contents)
        blob, key_ids = sealer.seal(
            body,
            referral_id,
            final.kommune,
            received_at,
            reference=reference,
            channel=channel.value,
        )
        try:
            result = inbox.file(
                Filing(
                    envelope=blob,
                    referral_id=referral_id,
                    reference=reference,
                    recipient=final.kommune,
                    channel=channel.value,
                    received_at=received_at,
                    key_ids=tuple(key_ids),
                    idempotency_key=idempotency_key,
                    actor=f"intake:{channel.value}",
                )
            )
        except ReferenceTaken:
            continue
        return Receipt(result.reference, result.received_at, result.duplicate)
    raise ReferenceTaken()


def validated(referral: Referral | Mapping[str, Any], policy: Policy) -> Referral:
    """The referral checked under `policy`.

    Data (the `file` command's JSON) is validated field by field and then by the rules. A model
    (what the dialogue built at the summary) was validated field by field when it was made and
    is frozen, so only the rules judge it again: they hold everything that may have changed
    since (today's date, whether synthetic ids are allowed, the consent age). Re-parsing it
    would give the same model (a test files both and compares the sealed bodies) at the cost
    of a second full validation per filing.
    """
    if isinstance(referral, Referral):
        violations = check_rules(referral, policy)
        if violations:
            raise InvalidReferral(violations)
        # `meta` is the system's to set at filing.
        return referral if referral.meta is None else referral.model_copy(update={"meta": None})
    # `meta` is the system's to set at filing; whatever a client sent there is dropped.
    data = {k: v for k, v in referral.items() if k != "meta"}
    checked, violations = validate_referral(data, policy)
    if checked is None or violations:
        raise InvalidReferral(violations)
    return checked


def _attachment_contents(
    referral: Referral, given: Sequence[tuple[Attachment, bytes]]
) -> list[tuple[str, bytes]]:
    """(sha256, content) for every attachment the referral lists; the bytes must match it."""
    by_digest = {meta.sha256: content for meta, content in given}
    problems: list[Violation] = []
    contents: list[tuple[str, bytes]] = []
    for index, meta in enumerate(referral.attachments):
        where = f"attachments.{index}"
        content = by_digest.get(meta.sha256)
        if content is None:
            problems.append(Violation(where, "attachment_missing"))
        elif not _matches(meta, content):
            problems.append(Violation(where, "attachment_mismatch"))
        else:
            contents.append((meta.sha256, content))
    listed = {meta.sha256 for meta in referral.attachments}
    problems += [
        Violation("attachments", "attachment_mismatch")
        for meta, _ in given
        if meta.sha256 not in listed
    ][:1]
    if problems:
        raise InvalidReferral(problems)
    return contents


def _matches(meta: Attachment, content: bytes) -> bool:
    return (
        len(content) == meta.size
        and hashlib.sha256(content).hexdigest() == meta.sha256
        and content_is(meta.media_type, content)
    )
