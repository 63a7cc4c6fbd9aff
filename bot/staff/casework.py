"""The case-work actions both staff front ends call (the CLI in writing.py, the web inbox):
change the status with a reason, appoint a coordinator, add a note, reopen, withdraw, delete.

Each checks the KE's rules (`workflow`), seals the note to the KE's keys and writes one inbox
change with its audit entry. Failures are `StaffError`s naming a text.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.staff.access import StaffError, seal_note
from bot.staff.workflow import check_transition
from storage.inbox import OUTCOMES, STATUSES
from storage.render import Labels
from storage.render.labels import LANGUAGES

if TYPE_CHECKING:
    from bot.bootstrap import App
    from storage.inbox import InboxRecord


def _words(group: str, codes: tuple[str, ...]) -> dict[str, str]:
    """Every way staff may write a status or outcome: the code and its label in each language
    ("under behandling", "Avsluttet", "in review"), folded."""
    out: dict[str, str] = {}
    for code in codes:
        out[code.casefold()] = code
        out[code.replace("_", " ").casefold()] = code
        for lang in LANGUAGES:
            out[Labels(lang).enum(group, code).casefold()] = code
    return out


def status_code(raw: str) -> str:
    word = " ".join(raw.split()).casefold()
    code = _words("status", STATUSES).get(word)
    if code is None:
        shown = ", ".join(Labels("nb").enum("status", s).lower() for s in STATUSES)
        raise StaffError("unknown_status", status=raw, choices=shown)
    return code


def outcome_code(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    word = " ".join(raw.split()).casefold()
    code = _words("outcome", OUTCOMES).get(word)
    if code is None:
        shown = ", ".join(Labels("nb").enum("outcome", o).lower() for o in OUTCOMES)
        raise StaffError("outcome_needed", choices=shown)
    return code


def clean_text(raw: str, empty_key: str) -> str:
    text = raw.strip()
    if not text:
        raise StaffError(empty_key)
    return text


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise StaffError("empty_name")
    return name


def _payload(kind: str, actor: str, now: datetime, **fields: object) -> dict[str, object]:
    return {"kind": kind, "by": actor, "at": now.isoformat(), **fields}


def change_status(
    app: App,
    record: InboxRecord,
    status: str,
    outcome: str | None,
    note: str,
    actor: str,
    now: datetime,
) -> None:
    note = clean_text(note, "empty_note")
    refusal = check_transition(
        record.status,
        record.outcome,
        status,
        outcome,
        has_coordinator=record.coordinator is not None,
        reference=record.reference,
    )
    if refusal is not None:
        raise StaffError(refusal.key, **refusal.params)
    payload = _payload("status", actor, now, status=status, outcome=outcome, note=note)
    blob = seal_note(app, record, payload, now)
    app.inbox.set_status(record.reference, status, outcome, blob, actor, now)


def assign(
    app: App, record: InboxRecord, coordinator: str, actor: str, now: datetime, note: str
) -> bool:
    """Appoint; a case still received or in review moves to coordinator appointed (the step
    the waiting-time figure measures). True when the status changed."""
    coordinator = clean_name(coordinator)
    if record.status == "closed":
        raise StaffError("closed_final", outcome=record.outcome or "-")
    app.inbox.assign(record.reference, coordinator, actor, now)
    if record.status not in ("received", "in_review"):
        return False
    payload = _payload(
        "status", actor, now, status="coordinator_appointed", outcome=None, note=note
    )
    blob = seal_note(app, record, payload, now)
    app.inbox.set_status(record.reference, "coordinator_appointed", None, blob, actor, now)
    return True


def add_note(
    app: App, record: InboxRecord, note: str, actor: str, now: datetime, *, interim: bool
) -> None:
    """A note on the case; `interim` marks it as the interim answer forvaltningsloven § 11a
    asks for when a case takes more than a month (readable in the audit log, not the text)."""
    note = clean_text(note, "empty_note")
    blob = seal_note(app, record, _payload("note", actor, now, note=note, interim=interim), now)
    app.inbox.add_note(record.reference, blob, actor, now, {"interim": True} if interim else None)


def reopen(app: App, record: InboxRecord, note: str, actor: str, now: datetime) -> None:
    note = clean_text(note, "empty_note")
    if record.status != "closed":
        raise StaffError("reopen_not_closed")
    payload = _payload("reopen", actor, now, status="in_review", outcome=None, note=note)
    blob = seal_note(app, record, payload, now)
    app.inbox.set_status(record.reference, "in_review", None, blob, actor, now)
    app.inbox.log_event("reopened", actor, record.reference, {"from": record.outcome}, now)


def withdraw(app: App, record: InboxRecord, note: str, actor: str, now: datetime) -> None:
    """The person withdrew the referral (or their consent): closed as withdrawn; `delete` or
    the next purge crypto-shreds it."""
    if record.status == "closed":
        raise StaffError("closed_final", outcome=record.outcome or "-")
    note = clean_text(note, "empty_note")
    payload = _payload("status", actor, now, status="closed", outcome="withdrawn", note=note)
    blob = seal_note(app, record, payload, now)
    app.inbox.set_status(record.reference, "closed", "withdrawn", blob, actor, now)


def delete(app: App, record: InboxRecord, actor: str, now: datetime) -> None:
    """Crypto-shred one closed referral now (the envelope and its notes are gone)."""
    if record.status != "closed":
        raise StaffError("delete_not_closed")
    reason = "withdrawn" if record.outcome == "withdrawn" else "staff"
    app.inbox.delete(record.reference, actor, now, reason)
