"""What pages read: the referrals a person may see, opened summaries (cached in the session),
and the case flags (waiting time, the § 11a interim answer, possible duplicates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.staff.access import StaffError, open_referral
from bot.staff.accounts import Account
from bot.staff.cases import Summary, summarize
from bot.staff.web.app import Web
from bot.staff.web.sessions import Session
from bot.staff.workflow import INTERIM_ANSWER_DAYS, INTERIM_WARNING_DAYS, OPEN_STATUSES
from storage.inbox import InboxRecord
from storage.inbox.audit import utc
from storage.render.formatting import OSLO


def visible(web: Web, account: Account) -> list[InboxRecord]:
    """The referrals to the KE(s) this person works for, oldest first."""
    records = [r for r in web.app.inbox.list() if r.recipient in account.recipients]
    return sorted(records, key=lambda r: utc(r.received_at))


def summaries(web: Web, session: Session, records: list[InboxRecord]) -> dict[str, Summary]:
    """Opened with the session's key; a referral it cannot open is left out (and shown as
    such by the caller)."""
    assert session.private_key is not None
    today = web.now().astimezone(OSLO).date()
    out: dict[str, Summary] = {}
    for record in records:
        cache_key = f"summary:{record.reference}:{','.join(record.key_ids)}"
        cached = session.cache.get(cache_key)
        if cached is None:
            try:
                opened = open_referral(web.app, record, session.private_key)
            except StaffError:
                continue
            cached = summarize(opened.referral, record.received_at, today)
            session.cache[cache_key] = cached
        assert isinstance(cached, Summary)
        out[record.reference] = cached
    return out


def interim_answered(web: Web) -> set[str]:
    """References whose case has a note marked as the § 11a interim answer."""
    return {
        e.reference
        for e in web.app.inbox.audit_entries()
        if e.action == "note_added" and e.reference and e.details.get("interim")
    }


@dataclass(frozen=True)
class Waiting:
    days: int
    level: str | None  # None, "soon" (close to a month) or "due" (a month or more)


def waiting(web: Web, record: InboxRecord, answered: set[str]) -> Waiting:
    days = (web.now() - utc(record.received_at)) // dt.timedelta(days=1)
    level = None
    if record.status in OPEN_STATUSES and record.reference not in answered:
        if days >= INTERIM_ANSWER_DAYS:
            level = "due"
        elif days >= INTERIM_WARNING_DAYS:
            level = "soon"
    return Waiting(days, level)
