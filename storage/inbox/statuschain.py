"""The status history of each referral as its own hash chain.

Every status event stores `prev_hash` (the hash of the referral's previous event, or the
referral's seed for its first) and `hash` = sha256(prev_hash || canonical event). The seed is
derived from the referral id, so an event moved to another referral breaks too. The canonical
event holds the referral id, status, outcome, time, actor and whether a note is attached (the
note itself is a signed envelope bound to the referral and the event's time; it is re-sealed by
key rotation, so its bytes are not part of the hash).

`findings` reads a history in its stored order (the event ids) and names each event that does
not fit, by its position (1 = the "received" event):

- status_event_edited: the event's content or own hash was changed
- status_event_missing: the event before it is gone (deleted, or replaced by a recomputed one)
- status_event_inserted: the event was put in between (the next one links past it)
- status_event_reordered: the event links to one that is now after it

A chain that someone recomputes from the start checks out on its own; the audit log, whose
head the KE anchors outside the database, still records every change (storage.inbox.anchor).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.inbox.audit import is_hex64, utc
from storage.inbox.types import StatusEvent

_LABEL = b"ke-intake/status-chain/v1\x00"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
PROBLEMS = (
    "status_event_edited",
    "status_event_missing",
    "status_event_inserted",
    "status_event_reordered",
)


@dataclass(frozen=True)
class EventFinding:
    position: int  # 1-based, in stored order
    problem: str


def seed(referral_id: uuid.UUID) -> str:
    """The `prev_hash` of a referral's first event."""
    return hashlib.sha256(_LABEL + referral_id.bytes).hexdigest()


def chained(
    prev_hash: str,
    referral_id: uuid.UUID,
    *,
    status: str,
    outcome: str | None,
    at: datetime,
    actor: str,
    note: bool,
) -> dict[str, str]:
    """The two stored columns of an event with these fields after `prev_hash`: `prev_hash` and
    its own `hash`, which is "" when `prev_hash` is not 64 hex digits (a damaged row)."""
    if not is_hex64(prev_hash):
        return {"prev_hash": prev_hash, "hash": ""}
    fields = {
        "actor": actor,
        "at": utc(at).strftime(_TIME_FORMAT),
        "note": note,
        "outcome": outcome,
        "referral_id": str(referral_id),
        "status": status,
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    own = hashlib.sha256(bytes.fromhex(prev_hash) + canonical.encode()).hexdigest()
    return {"prev_hash": prev_hash, "hash": own}


def own_hash(referral_id: uuid.UUID, event: StatusEvent) -> str:
    """The hash `event` should have after the `prev_hash` it names."""
    link = chained(event.prev_hash or "", referral_id, status=event.status,
                   outcome=event.outcome, at=event.at, actor=event.actor,
                   note=event.note_envelope is not None)  # fmt: skip
    return link["hash"]


def in_chain_order(events: Sequence[StatusEvent]) -> list[StatusEvent]:
    return sorted(events, key=lambda e: -1 if e.id is None else e.id)


def findings(referral_id: uuid.UUID, events: Sequence[StatusEvent]) -> list[EventFinding]:
    """Every event of the history that does not fit its chain (none for an intact one)."""
    ordered = in_chain_order(events)
    start = seed(referral_id)
    hashes = {e.hash for e in ordered if e.hash} | {start}
    found: list[EventFinding] = []
    expected = start
    for index, event in enumerate(ordered):
        position = index + 1
        if not event.hash or event.hash != own_hash(referral_id, event):
            found.append(EventFinding(position, "status_event_edited"))
        if event.prev_hash != expected:
            skipped = ordered[index - 1]
            before_skipped = ordered[index - 2].hash if index >= 2 else start
            if index >= 1 and event.prev_hash == before_skipped == skipped.prev_hash:
                found.append(EventFinding(position - 1, "status_event_inserted"))
            elif event.prev_hash in hashes:
                found.append(EventFinding(position, "status_event_reordered"))
            else:
                found.append(EventFinding(position, "status_event_missing"))
        expected = event.hash or ""
    return sorted(set(found), key=lambda f: (f.position, f.problem))
