"""A case's history as staff read it (time, what happened, who, the note), opened with one's own
key, and the full case information the renderers show: what the inbox knows, the person's age
today and that history. Shared by `ke-intake inbox show/export` and the web's export."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.staff.access import Opened, case_info, note_signer_known, note_verify_keys, open_note
from intake.rules import age_of
from storage.render import CaseInfo, Labels
from storage.render.formatting import OSLO

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from bot.bootstrap import App

History = tuple[tuple[dt.datetime, str, str, str], ...]


def history_rows(app: App, opened: Opened, key: X25519PrivateKey, lang: str) -> History:
    from bot.staff.web.wording import wt

    labels = Labels(lang)  # type: ignore[arg-type]
    rows = []
    previous: tuple[str, str | None] | None = None
    for event in app.inbox.status_events(opened.record.reference):
        signers = note_verify_keys(app, event.at)
        stored = event.note_envelope
        payload = open_note(stored, opened.record, key, signers) if stored else None
        text = payload.get("note") if payload else None
        note = text if isinstance(text, str) else ""
        if stored is not None and payload is None:
            known = note_signer_known(stored, signers)
            note = wt("note_unreadable" if known else "note_unknown_signer", lang)
        kind = payload.get("kind") if payload else None
        if kind is None:
            same = previous == (event.status, event.outcome)
            kind = "note" if same and event.note_envelope is not None else "status"
        if kind == "note":
            what = wt("history_note", lang)
            if payload and payload.get("interim"):
                what += f" – {wt('history_interim', lang)}"
        elif kind == "reopen":
            what = wt("history_reopened", lang)
        else:
            what = labels.enum("status", event.status)
            if event.outcome:
                what += f" ({labels.enum('outcome', event.outcome)})"
        rows.append((event.at, what, event.actor, note))
        previous = (event.status, event.outcome)
    return tuple(rows)


def full_case_info(
    app: App, opened: Opened, key: X25519PrivateKey, lang: str, now: dt.datetime
) -> CaseInfo:
    today = now.astimezone(OSLO).date()
    return replace(
        case_info(app, opened.record),
        age=age_of(opened.referral, today),
        history=history_rows(app, opened, key, lang),
    )
