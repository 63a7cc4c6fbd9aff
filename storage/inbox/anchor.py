"""The audit chain checked against a head kept outside the database, and against the inbox.

The hash chain (storage.inbox.audit) shows an edited, removed or reordered entry, but someone
who rewrites the tail consistently, or deletes the newest entries, leaves a chain that checks
out. So the KE keeps the head it last verified in a file on its own side (`HeadFile`, by default
`<KE data dir>/audit-head.json`), and every verification and every content-free notice shows
it: a database whose chain is shorter than the anchor, or whose entry at the anchored position
has another hash, was rewritten.

`check_audit` reads everything defensively and reports findings instead of raising: each names
the entry (seq) or referral (reference) and a stable problem code:

- entry_malformed: an entry whose stored fields cannot be read (a time that is not a time, ...)
- entry_seq, entry_link, entry_hash: numbering, link to the previous entry, or own hash wrong
- truncated: fewer entries than the anchored head had
- rewritten: the entry at the anchored position is not the anchored one
- row_unaudited: a referral row without a "filed" entry (planted, or a purged one restored)
- row_missing: a "filed" entry without a row and without a "deleted" entry (a deleted row)
- row_mismatch: a row whose id, kommune or channel differs from its "filed" entry
- purged_back: a row whose reference the audit says was deleted
- status_history: a row whose status events or current status disagree with the audit entries
  that recorded each change (a deleted, edited or added status event, an edited status)
- status_event_edited, _missing, _inserted, _reordered: an event that does not fit the
  referral's status chain (storage.inbox.statuschain); `Finding.event` is its position
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from intake.errors import IntakeError
from storage.inbox import statuschain
from storage.inbox.audit import GENESIS, AuditEntry, chain_hash, is_hex64
from storage.inbox.common import UNREADABLE_TIME
from storage.inbox.types import Inbox, InboxRecord, StatusEvent

HEAD_FILE = "audit-head.json"
_FORMAT = "ke-intake/audit-head/v1"
_STATUS_ACTIONS = frozenset({"status_changed", "note_added"})


class AnchorFileError(IntakeError):
    """The head file exists but cannot be read as one (names the path, never content)."""


@dataclass(frozen=True)
class Anchor:
    count: int
    head: str
    at: datetime


@dataclass(frozen=True)
class Finding:
    seq: int | None
    reference: str | None
    problem: str
    event: int | None = None  # a status event's position in the referral's history (1 = first)


@dataclass(frozen=True)
class AuditCheck:
    ok: bool
    count: int
    head: str
    anchor: Anchor | None
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def advance(self, at: datetime) -> Anchor | None:
        """The anchor to keep after this check; None when it must not move (a failed check,
        or a chain that is not ahead of the anchor)."""
        if not self.ok or (self.anchor is not None and self.count < self.anchor.count):
            return None
        return Anchor(self.count, self.head, at.astimezone(UTC))


class HeadFile:
    """The KE side's copy of the audit chain's head: a small JSON file, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Anchor | None:
        try:
            raw = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            raise AnchorFileError(f"the audit head file {self.path} cannot be read") from None
        try:
            data = json.loads(raw)
            if data.get("format") != _FORMAT:
                raise ValueError("format")
            count, head = data["count"], data["head"]
            if not isinstance(count, int) or count < 0 or not is_hex64(head):
                raise ValueError("fields")
            at = datetime.fromisoformat(data["at"]).astimezone(UTC)
        except (ValueError, TypeError, KeyError, AttributeError):
            raise AnchorFileError(f"the audit head file {self.path} is damaged") from None
        return Anchor(count, head, at)

    def write(self, anchor: Anchor) -> None:
        data = {
            "format": _FORMAT,
            "count": anchor.count,
            "head": anchor.head,
            "at": anchor.at.astimezone(UTC).isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".audit-head-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.write("\n")
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def check_audit(inbox: Inbox, anchor: Anchor | None) -> AuditCheck:
    """Verify the chain, the anchor, and every referral row against the audit."""
    entries = inbox.audit_entries()
    findings = _chain_findings(entries)
    head = entries[-1].hash if entries else GENESIS
    if anchor is not None:
        if len(entries) < anchor.count:
            findings.append(Finding(len(entries) + 1, None, "truncated"))
        elif anchor.count and entries[anchor.count - 1].hash != anchor.head:
            findings.append(Finding(anchor.count, None, "rewritten"))
    findings += _row_findings(inbox, entries)
    return AuditCheck(not findings, len(entries), head, anchor, tuple(findings))


def notice_text(check: AuditCheck) -> str:
    """One content-free line for a notice: entry count and head, so every mailbox holds a copy
    of the anchor."""
    state = "verified" if check.ok else f"NOT verified ({len(check.findings)} findings)"
    return f"ke-intake audit: {check.count} entries, head {check.head}, {state}"


def _chain_findings(entries: Sequence[AuditEntry]) -> list[Finding]:
    findings: list[Finding] = []
    prev_hash = GENESIS
    for index, entry in enumerate(entries):
        seq = entry.seq if isinstance(entry.seq, int) else None
        if entry.at == UNREADABLE_TIME or "unreadable" in entry.details:
            findings.append(Finding(seq, entry.reference, "entry_malformed"))
        elif entry.seq != index + 1:
            findings.append(Finding(seq, entry.reference, "entry_seq"))
        elif entry.prev_hash != prev_hash:
            findings.append(Finding(seq, entry.reference, "entry_link"))
        elif entry.hash != chain_hash(entry.prev_hash, entry):
            findings.append(Finding(seq, entry.reference, "entry_hash"))
        prev_hash = entry.hash
    return findings


def _row_findings(inbox: Inbox, entries: Sequence[AuditEntry]) -> list[Finding]:
    filed: dict[str, AuditEntry] = {}
    deleted: set[str] = set()
    status_entries: dict[str, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        if entry.reference is None:
            continue
        if entry.action == "filed":
            filed[entry.reference] = entry
            deleted.discard(entry.reference)
            status_entries[entry.reference] = []
        elif entry.action == "deleted":
            deleted.add(entry.reference)
        elif entry.action in _STATUS_ACTIONS:
            status_entries[entry.reference].append(entry)
    findings: list[Finding] = []
    rows = inbox.list()
    present = {r.reference for r in rows}
    for record in rows:
        found = filed.get(record.reference)
        if record.reference in deleted or "purged" in record.mismatched:
            findings.append(Finding(found.seq if found else None, record.reference, "purged_back"))
        elif found is None:
            findings.append(Finding(None, record.reference, "row_unaudited"))
        elif not _filed_agrees(found, record):
            findings.append(Finding(found.seq, record.reference, "row_mismatch"))
        else:
            events = inbox.status_events(record.reference)
            findings += [
                Finding(found.seq, record.reference, f.problem, f.position)
                for f in statuschain.findings(record.id, events)
            ]
            if not _history_agrees(record, events, status_entries[record.reference]):
                findings.append(Finding(found.seq, record.reference, "status_history"))
    for reference, filing in filed.items():
        if reference not in present and reference not in deleted:
            findings.append(Finding(filing.seq, reference, "row_missing"))
    return findings


def _filed_agrees(entry: AuditEntry, record: InboxRecord) -> bool:
    details: dict[str, Any] = dict(entry.details)
    wanted = {
        "referral_id": str(record.id),
        "recipient": record.recipient,
        "channel": record.channel,
    }
    # Entries written before the referral id was recorded say nothing about it.
    return all(details[k] == v for k, v in wanted.items() if k in details) and (
        entry.at == record.received_at
    )


def _history_agrees(
    record: InboxRecord, events: Sequence[StatusEvent], audited: Sequence[AuditEntry]
) -> bool:
    """The row's events after "received" are exactly the audited changes, in order, and its
    status and outcome are the last one's."""
    if not events or events[0].status != "received":
        return False
    later = events[1:]
    if len(later) != len(audited):
        return False
    for event, entry in zip(later, audited, strict=True):
        details = dict(entry.details)
        outcome = details.get("outcome") if entry.action == "status_changed" else event.outcome
        if (
            event.status != details.get("status")
            or event.outcome != outcome
            or event.actor != entry.actor
            or event.at != entry.at
        ):
            return False
    last = events[-1]
    return (record.status, record.outcome) == (last.status, last.outcome)
