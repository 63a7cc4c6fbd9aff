"""Notices without content: an e-mail to the KE's address when referrals arrive and when one has
waited too long ("1 ny melding i innboksen"). A notice carries counts only: never a name, a
reference or anything else of a case, so a mailbox outside the KE learns nothing but that there
is work. Each notice also carries the audit log's head (count and hash), so a copy of the chain's
state lives outside the database.

`notify_once(app, ...)` is one round: what is new since the last round (remembered in
`<data_dir>/staff/notices.json`, references only, on the KE side), sent by SMTP, logged in the
audit log. `ke-intake staff notify` runs one round (for cron); `ke-intake staff-web` runs one every
`KE_NOTICE_INTERVAL_SECONDS` when `KE_SMTP_HOST` and `KE_NOTICE_TO` are set.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from bot.staff.workflow import INTERIM_WARNING_DAYS, OPEN_STATUSES
from storage.files import write_file
from storage.inbox import InboxRecord
from storage.inbox.audit import utc

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.settings import Settings

log = logging.getLogger(__name__)
ACTOR = "varsler"


@dataclass(frozen=True)
class Round:
    new: list[str]
    waited: list[str]

    @property
    def empty(self) -> bool:
        return not self.new and not self.waited


class NoticeState:
    """The references already announced, so each is announced once as new and once as waiting."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[set[str], set[str]]:
        if not self.path.exists():
            return set(), set()
        data = json.loads(self.path.read_text("utf-8"))
        return set(data.get("new", [])), set(data.get("waited", []))

    def save(self, new: set[str], waited: set[str]) -> None:
        write_file(self.path, json.dumps({"new": sorted(new), "waited": sorted(waited)}))


def pending(
    records: Sequence[InboxRecord], seen: set[str], waited: set[str], now: datetime
) -> Round:
    limit = timedelta(days=INTERIM_WARNING_DAYS)
    return Round(
        new=[r.reference for r in records if r.reference not in seen],
        waited=[
            r.reference
            for r in records
            if r.status in OPEN_STATUSES
            and r.reference not in waited
            and utc(now) - utc(r.received_at) >= limit
        ],
    )


def compose(round_: Round, *, sender: str, to: str, head_line: str) -> EmailMessage:
    """The mail: counts and where to look, in bokmål and nynorsk (the KE's working languages)."""
    from bot.staff.texts import t

    parts: list[str] = []
    subjects: list[str] = []
    if round_.new:
        n = len(round_.new)
        subjects.append(t("notice_subject_new", "nb", n=n))
        parts += [t("notice_new", "nb", n=n), t("notice_new", "nn", n=n)]
    if round_.waited:
        n = len(round_.waited)
        subjects.append(t("notice_subject_waited", "nb", n=n))
        parts += [
            t("notice_waited", "nb", n=n, days=INTERIM_WARNING_DAYS),
            t("notice_waited", "nn", n=n, days=INTERIM_WARNING_DAYS),
        ]
    parts += [t("notice_footer", "nb"), head_line]
    message = EmailMessage()
    message["Subject"] = ", ".join(subjects)
    message["From"] = sender
    message["To"] = to
    message.set_content("\n\n".join(parts) + "\n")
    return message


def head_line(app: App) -> str:
    """The audit chain's state for the mail: count and head (in Norwegian), and the checked line
    of `storage.inbox.anchor` (verified against the anchored head, or not)."""
    from bot.staff.texts import t
    from storage.inbox.anchor import HEAD_FILE, AnchorFileError, HeadFile, check_audit, notice_text

    try:
        anchor = HeadFile(app.settings.data_dir / HEAD_FILE).read()
    except AnchorFileError:
        anchor = None
    check = check_audit(app.inbox, anchor)
    norwegian = t("notice_audit_head", "nb", count=check.count, head=check.head)
    return f"{norwegian}\n{notice_text(check)}"


def send(settings: Settings, message: EmailMessage) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


def notify_once(app: App, recipients: Sequence[str], now: datetime) -> Round:
    """One round for the KE(s) in `recipients`; sends nothing when nothing is new."""
    settings = app.settings
    if not settings.smtp_host or not settings.notice_to:
        raise ValueError("notices need KE_SMTP_HOST and KE_NOTICE_TO")
    state = NoticeState(settings.data_dir / "staff" / "notices.json")
    seen, waited = state.load()
    records = [r for r in app.inbox.list() if r.recipient in recipients]
    round_ = pending(records, seen, waited, now)
    if round_.empty:
        return round_
    message = compose(
        round_,
        sender=settings.notice_from or f"ke-intake@{settings.smtp_host}",
        to=settings.notice_to,
        head_line=head_line(app),
    )
    send(settings, message)
    state.save(seen | set(round_.new), waited | set(round_.waited))
    details = {"new": len(round_.new), "waited": len(round_.waited)}
    app.inbox.log_event("notice_sent", ACTOR, None, details, now)
    log.info("notice sent: %s new, %s waiting", details["new"], details["waited"])
    return round_
