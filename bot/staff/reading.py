"""The reading actions: `list` (no key), `show`, `export` and `stats` (with the key)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.staff.access import (
    StaffError,
    case_info,
    load_key,
    open_referral,
    record_of,
)
from bot.staff.history import full_case_info
from bot.staff.passphrase import default_actor, read_passphrase
from bot.staff.texts import t
from storage.render import Labels, identity_verified, referral_pdf, referral_text
from storage.render.formatting import fmt_datetime

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from bot.bootstrap import App
    from storage.inbox import InboxRecord

CHAT_CHANNELS = frozenset({"terminal", "telegram", "rasa", "web"})
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def recipient_filter(raw: str | None) -> str | None:
    """A kommune number or name becomes its number; anything else is taken as a KE id."""
    if raw is None:
        return None
    from intake.kommuner import validate_kommune

    try:
        return validate_kommune(raw)
    except ValueError:
        return raw.strip()


def private_key(args: argparse.Namespace) -> X25519PrivateKey:
    passphrase = read_passphrase(args.lang)
    if passphrase is None:
        raise StaffError("no_terminal")
    return load_key(args.key, passphrase)


# -- list ------------------------------------------------------------------------------------


def columns(names: tuple[str, ...], lang: str) -> str:
    return ", ".join(t(f"col.{name}", lang) for name in names)


def altered_histories(app: App, records: Sequence[InboxRecord]) -> set[str]:
    """The references among `records` whose status history does not fit its chain (read in
    one query, for a list of them)."""
    from storage.inbox import statuschain

    histories = app.inbox.status_histories([r.reference for r in records])
    return {
        r.reference for r in records if statuschain.findings(r.id, histories.get(r.reference, []))
    }


def history_problems(app: App, record: InboxRecord, lang: str) -> str | None:
    """The status events that do not fit the referral's status chain, for staff to read; None
    when the history is intact."""
    from storage.inbox import statuschain

    found = statuschain.findings(record.id, app.inbox.status_events(record.reference))
    if not found:
        return None
    return "; ".join(t(f"problem.{f.problem}", lang, event=f.position) for f in found)


def altered(record: InboxRecord, history: str | None, *, can_verify: bool) -> bool:
    """The row shows a change made behind the inbox's back (list then exits with 1)."""
    return history is not None or (can_verify and not record.signature_ok)


def flags(record: InboxRecord, lang: str, *, can_verify: bool, history: str | None = None) -> str:
    out = []
    if history is not None:
        out.append(t("history_altered", lang, problems=history))
    if not can_verify:
        out.append(t("unchecked", lang))
    elif record.mismatched:
        out.append(t("mismatched", lang, columns=columns(record.mismatched, lang)))
    elif not record.signature_ok:
        out.append(t("forged", lang))
    elif record.envelope_version == 1:
        out.append(t("old_envelope", lang))
    if not identity_verified(record.channel):
        key = "unverified_chat" if record.channel in CHAT_CHANNELS else "unverified_file"
        out.append(t(key, lang))
    return "; ".join(out)


def run_list(app: App, args: argparse.Namespace) -> int:
    lang = args.lang
    labels = Labels(lang)
    records = app.inbox.list(status=args.status, recipient=recipient_filter(args.kommune))
    can_verify = bool(app.verify_keys)
    if not can_verify:
        print(t("no_verify_keys", lang), file=sys.stderr)
    if not records:
        print(t("empty_inbox", lang))
        return 0
    header = [
        t(k, lang)
        for k in (
            "col_reference",
            "col_kommune",
            "col_received",
            "col_status",
            "col_channel",
            "col_coordinator",
            "col_notes",
        )
    ]
    rows = [header]
    flagged = 0
    for r in records:
        history = history_problems(app, r, lang)
        flagged += altered(r, history, can_verify=can_verify)
        status = labels.enum("status", r.status)
        if r.outcome:
            status += f" ({labels.enum('outcome', r.outcome)})"
        rows.append(
            [
                r.reference,
                r.recipient,
                fmt_datetime(r.received_at),
                status,
                labels.enum("channel", r.channel),
                r.coordinator or "–",
                flags(r, lang, can_verify=can_verify, history=history),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [f"{c:<{w}}" for c, w in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    print(t("count_line", lang, count=len(records)))
    return 1 if flagged else 0


# -- show ------------------------------------------------------------------------------------


def run_show(app: App, args: argparse.Namespace) -> int:
    record = record_of(app, args.reference)
    key = private_key(args)
    opened = open_referral(app, record, key)
    actor = default_actor(args.by)
    app.inbox.log_access(record.reference, "open", actor)
    info = full_case_info(app, opened, key, args.lang, datetime.now(UTC))
    sys.stdout.write(referral_text(opened.referral, info, language=args.lang))
    print()
    for n, meta in enumerate(opened.referral.attachments, start=1):
        sealed = meta.sha256 in opened.attachments
        key_ = "attachment_sealed" if sealed else "attachment_missing"
        print(t(key_, args.lang, n=n, reference=record.reference))
    print(t("access_logged", args.lang, actor=actor))
    history = history_problems(app, record, args.lang)
    if history is not None:
        print(t("history_altered_show", args.lang, reference=record.reference, problems=history),
              file=sys.stderr)  # fmt: skip
        return 1
    return 0


# -- export ----------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes, *, force: bool) -> None:
    """Write readable only by the owner: the file holds health information."""
    flags_ = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags_, 0o600)
    except FileExistsError:
        raise StaffError("out_exists", path=str(path)) from None
    except OSError:
        raise StaffError("out_unwritable", path=str(path)) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _neutralised(value: Any) -> Any:
    """Every string of an export with formula-leading text defused (intake.text)."""
    from intake.text import neutralise_formula

    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, list):
        return [_neutralised(v) for v in value]
    if isinstance(value, dict):
        return {k: _neutralised(v) for k, v in value.items()}
    return value


def export_json(app: App, record: InboxRecord, referral: Any) -> bytes:
    info = case_info(app, record)
    document = {
        "format": "ke-intake/export/v1",
        "case": {
            "reference": info.reference,
            "recipient": info.recipient,
            "received_at": info.received_at.astimezone(UTC).isoformat(),
            "channel": info.channel,
            "identity_verified": identity_verified(info.channel),
            "signature_ok": info.signature_ok,
            "status": info.status,
            "outcome": info.outcome,
            "coordinator": info.coordinator,
        },
        "referral": _neutralised(json.loads(referral.canonical_json())),
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def run_export(app: App, args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        raise StaffError("out_exists", path=str(out))
    record = record_of(app, args.reference)
    key = private_key(args)
    opened = open_referral(app, record, key)
    actor = default_actor(args.by)
    app.inbox.log_access(record.reference, "export", actor)
    if args.format == "pdf":
        info = full_case_info(app, opened, key, args.lang, datetime.now(UTC))
        data = referral_pdf(opened.referral, info, language=args.lang)
    else:
        data = export_json(app, record, opened.referral)
    _write_private(out, data, force=args.force)
    print(t("exported", args.lang, path=str(out)))
    if args.attachments:
        # Named after the export, never after the uploaded file: names may be personal.
        for n, meta in enumerate(opened.referral.attachments, start=1):
            content = opened.attachments.get(meta.sha256)
            if content is None:
                print(t("attachment_missing", args.lang, n=n), file=sys.stderr)
                continue
            path = out.with_name(f"{out.stem}-vedlegg-{n}{EXTENSIONS.get(meta.media_type, '')}")
            _write_private(path, content, force=args.force)
            print(t("attachment_written", args.lang, path=str(path)))
    return 0


# -- stats -----------------------------------------------------------------------------------


def run_stats(app: App, args: argparse.Namespace) -> int:
    from bot.staff.stats import overview, render_overview

    records = app.inbox.list(recipient=recipient_filter(args.kommune))
    events = {r.reference: app.inbox.status_events(r.reference) for r in records}
    requests: dict[str, list[str]] | None = None
    unopened = 0
    if args.key:
        if not app.verify_keys:
            raise StaffError("no_verify_keys_open", folder=str(app.settings.data_dir))
        key = private_key(args)
        actor = default_actor(args.by)
        requests = {}
        for r in records:
            try:
                opened = open_referral(app, r, key)
            except StaffError:
                unopened += 1  # another KE's referral, or a damaged one: counted, not fatal
                continue
            app.inbox.log_access(r.reference, "open", actor)
            requests[r.reference] = [q.value for q in opened.referral.requests]
    now = datetime.now(UTC)
    ov = overview(records, events, now, requests, unopened)
    sys.stdout.write(render_overview(ov, args.lang))
    return 0


# -- search ----------------------------------------------------------------------------------


def run_search(app: App, args: argparse.Namespace) -> int:
    """Name, national id or reference, searched here in the referrals this key opens; the
    search is logged (what kind, and the hits), never the query."""
    from bot.staff.cases import search, summarize
    from storage.render.formatting import OSLO

    key = private_key(args)
    actor = default_actor(args.by)
    now = datetime.now(UTC)
    today = now.astimezone(OSLO).date()
    records = app.inbox.list(recipient=recipient_filter(args.kommune))
    summaries = {}
    for record in records:
        try:
            opened = open_referral(app, record, key)
        except StaffError:
            continue
        summaries[record.reference] = (
            record,
            summarize(opened.referral, record.received_at, today),
        )
    kind, hits = search([s for _, s in summaries.values()], args.query)
    app.inbox.log_event("searched", actor, None, {"kind": kind, "hits": hits}, now)
    labels = Labels(args.lang)
    for ref in hits:
        record, s = summaries[ref]
        age = "–" if s.age is None else str(s.age)
        status = labels.enum("status", record.status)
        print(f"{ref}  {fmt_datetime(record.received_at)}  {s.name}  ({age})  {status}")
    print(t("count_line", args.lang, count=len(hits)))
    return 0
