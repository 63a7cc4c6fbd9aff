"""The case-work actions: `status`, `assign`, `purge` and `audit-verify`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.staff import casework
from bot.staff.access import StaffError, record_of
from bot.staff.texts import t
from storage.render import Labels

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.bootstrap import App


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    if not name:
        raise StaffError("empty_name")
    return name


def _shown(lang: str, status: str, outcome: str | None) -> str:
    labels = Labels(lang)  # type: ignore[arg-type]
    shown = labels.enum("status", status)
    return shown + (f" ({labels.enum('outcome', outcome)})" if outcome else "")


def run_status(app: App, args: argparse.Namespace) -> int:
    """STATUS and --outcome take the code or the word staff use, in any of the three languages
    ("under behandling", "avsluttet", "videresendt")."""
    lang = args.lang
    record = record_of(app, args.reference)
    by = _name(args.by)
    status = casework.status_code(args.status)
    outcome = casework.outcome_code(args.outcome)
    casework.change_status(app, record, status, outcome, args.note, by, datetime.now(UTC))
    print(t("status_set", lang, reference=record.reference, status=_shown(lang, status, outcome)))
    if outcome == "withdrawn":
        print(t("withdrawn_purge", lang))
    return 0


def run_assign(app: App, args: argparse.Namespace) -> int:
    lang = args.lang
    record = record_of(app, args.reference)
    by = _name(args.by)
    coordinator = _name(args.coordinator)
    note = t("assigned", lang, reference=record.reference, coordinator=coordinator)
    moved = casework.assign(app, record, coordinator, by, datetime.now(UTC), note)
    print(note)
    if moved:
        shown = _shown(lang, "coordinator_appointed", None)
        print(t("status_set", lang, reference=record.reference, status=shown))
    return 0


def run_reopen(app: App, args: argparse.Namespace) -> int:
    lang = args.lang
    record = record_of(app, args.reference)
    casework.reopen(app, record, args.note, _name(args.by), datetime.now(UTC))
    print(t("status_set", lang, reference=record.reference, status=_shown(lang, "in_review", None)))
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
    """Check the chain, the KE side's anchored head and every row against the audit; print
    the anchor each time, and move it forward only over a clean check."""
    from storage.inbox.anchor import HEAD_FILE, AnchorFileError, HeadFile, check_audit

    lang = args.lang
    head_file = HeadFile(app.settings.data_dir / HEAD_FILE)
    path = str(head_file.path)
    try:
        anchor = head_file.read()
    except AnchorFileError:
        print(t("audit_anchor_damaged", lang, path=path), file=sys.stderr)
        return 1
    check = check_audit(app.inbox, anchor)
    if anchor is None:
        print(t("audit_anchor_none", lang, path=path))
    else:
        print(t("audit_anchor", lang, path=path, count=anchor.count, head=anchor.head,
                at=anchor.at.isoformat()))  # fmt: skip
    if not check.ok:
        for finding in check.findings:
            print(
                t(
                    "audit_finding",
                    lang,
                    seq=finding.seq if finding.seq is not None else "-",
                    reference=finding.reference or "-",
                    problem=t(f"problem.{finding.problem}", lang, event=finding.event),
                )
            )
        first = next((f.seq for f in check.findings if f.seq is not None), 1)
        print(t("audit_bad", lang, index=first - 1, seq=first, count=check.count), file=sys.stderr)
        print(t("audit_findings", lang, count=len(check.findings)))
        return 1
    print(t("audit_ok", lang, count=check.count, head=check.head))
    moved = check.advance(datetime.now(UTC))
    if moved is not None and (anchor is None or moved.head != anchor.head):
        head_file.write(moved)
        print(t("audit_anchor_moved", lang, path=path))
    return 0


def run_audit(app: App, args: argparse.Namespace) -> int:
    """The audit log as a table (newest last), filtered, then the chain's verification."""
    from bot.staff.web.wording import wt
    from storage.render.formatting import fmt_datetime

    lang = args.lang
    reference = args.reference.strip().upper() if args.reference else None
    rows = [
        [
            str(e.seq),
            fmt_datetime(e.at),
            e.actor,
            wt(f"audit_action_{e.action}", lang),
            e.reference or "–",
            "; ".join(f"{k}: {_value(v)}" for k, v in e.details.items()),
        ]
        for e in app.inbox.audit_entries()
        if (reference is None or e.reference == reference)
        and (args.actor is None or args.actor.casefold() in e.actor.casefold())
        and (args.action is None or e.action == args.action)
    ]
    header = [
        wt(k, lang) for k in ("col_seq", "col_when", "col_who", "col_what", "col_reference")
    ] + [wt("col_details", lang)]
    table = [header, *rows[-args.limit :]] if args.limit else [header, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [f"{c:<{w}}" for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    return run_audit_verify(app, args)


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
