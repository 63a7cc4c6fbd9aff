"""The case-work actions: `status`, `assign`, `purge` and `audit-verify`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.staff.access import StaffError, record_of, seal_note
from bot.staff.texts import t
from bot.staff.workflow import check_transition
from storage.render import Labels

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.bootstrap import App


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise StaffError("empty_name")
    return name


def run_status(app: App, args: argparse.Namespace) -> int:
    lang = args.lang
    record = record_of(app, args.reference)
    by = _name(args.by)
    note = args.note.strip()
    if not note:
        raise StaffError("empty_note")
    status = args.status.strip().lower()
    outcome = args.outcome.strip().lower() if args.outcome else None
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
    now = datetime.now(UTC)
    payload = {"status": status, "outcome": outcome, "note": note, "by": by, "at": now.isoformat()}
    blob = seal_note(app, record, payload, now)
    app.inbox.set_status(record.reference, status, outcome, blob, by, now)
    labels = Labels(lang)
    shown = labels.enum("status", status)
    if outcome:
        shown += f" ({labels.enum('outcome', outcome)})"
    print(t("status_set", lang, reference=record.reference, status=shown))
    if outcome == "withdrawn":
        print(t("withdrawn_purge", lang))
    return 0


def run_assign(app: App, args: argparse.Namespace) -> int:
    lang = args.lang
    record = record_of(app, args.reference)
    by = _name(args.by)
    coordinator = _name(args.coordinator)
    if record.status == "closed":
        raise StaffError("closed_final", outcome=record.outcome or "-")
    now = datetime.now(UTC)
    app.inbox.assign(record.reference, coordinator, by, now)
    print(t("assigned", lang, reference=record.reference, coordinator=coordinator))
    if record.status in ("received", "in_review"):
        # Appointing the coordinator is the step the KE's waiting-time figure measures.
        note = t("assigned", lang, reference=record.reference, coordinator=coordinator)
        payload = {
            "status": "coordinator_appointed",
            "outcome": None,
            "note": note,
            "by": by,
            "at": now.isoformat(),
        }
        blob = seal_note(app, record, payload, now)
        app.inbox.set_status(record.reference, "coordinator_appointed", None, blob, by, now)
        shown = Labels(lang).enum("status", "coordinator_appointed")
        print(t("status_set", lang, reference=record.reference, status=shown))
    return 0


def run_purge(app: App, args: argparse.Namespace) -> int:
    by = _name(args.by)
    days = max(0, args.retention_days)
    count = app.inbox.purge(datetime.now(UTC), days, by)
    if count and app.engine is not None and app.engine.dialect.name == "sqlite":
        _vacuum(app.engine)
    print(t("purged", args.lang, count=count, days=days))
    return 0


def _vacuum(engine: Engine) -> None:
    """Rebuild the file so no page of a deleted envelope survives (secure_delete zeroes them;
    VACUUM also drops the freed pages and shrinks the file)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        raw.close()


def run_audit_verify(app: App, args: argparse.Namespace) -> int:
    report = app.inbox.verify_audit()
    if report.ok:
        print(t("audit_ok", args.lang, count=report.count, head=report.head))
        return 0
    index = report.first_bad_index if report.first_bad_index is not None else 0
    print(
        t("audit_bad", args.lang, index=index, seq=index + 1, count=report.count),
        file=sys.stderr,
    )
    return 1
