"""The audit log as a page: who opened, exported or changed what and when, filterable, with the
hash chain's verification (and, where the installation anchors it, the externally kept head)."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.staff.texts import t
from bot.staff.web.app import Web
from storage.inbox.anchor import HEAD_FILE, AnchorFileError, AuditCheck, HeadFile, check_audit
from storage.inbox.audit import ACTIONS, AuditEntry, utc
from storage.render.formatting import OSLO

PAGE = 200


def _date(raw: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def matches(
    entry: AuditEntry,
    *,
    actor: str | None,
    action: str | None,
    reference: str | None,
    since: dt.date | None,
    until: dt.date | None,
) -> bool:
    day = utc(entry.at).astimezone(OSLO).date()
    return (
        (actor is None or entry.actor == actor)
        and (action is None or entry.action == action)
        and (reference is None or entry.reference == reference)
        and (since is None or day >= since)
        and (until is None or day <= until)
    )


def verify(web: Web) -> tuple[AuditCheck, str]:
    """The chain, every row and the anchored head checked; a clean check moves the anchor (the
    head file outside the database) forward. The state: "none", "kept", "moved" or "damaged"."""
    head_file = HeadFile(web.app.settings.data_dir / HEAD_FILE)
    try:
        anchor = head_file.read()
    except AnchorFileError:
        return check_audit(web.app.inbox, None), "damaged"
    check = check_audit(web.app.inbox, anchor)
    moved = check.advance(web.now())
    if moved is not None and (anchor is None or moved.head != anchor.head):
        head_file.write(moved)
        return check, "none" if anchor is None else "moved"
    return check, "kept"


def routes(web: Web) -> list[Route]:
    async def audit_page(request: Request) -> Response:
        session, account = web.guard(request)
        q = request.query_params
        entries = web.app.inbox.audit_entries()
        actors = sorted({e.actor for e in entries})
        actor = q.get("actor") if q.get("actor") in actors else None
        action = q.get("action") if q.get("action") in ACTIONS else None
        reference = (q.get("reference") or "").strip().upper() or None
        since, until = _date(q.get("since")), _date(q.get("until"))
        check, anchor_state = verify(web)
        shown = [
            e
            for e in reversed(entries)
            if matches(e, actor=actor, action=action, reference=reference, since=since, until=until)
        ]
        web.audit("audit_viewed", account, details={"count": len(shown)})
        return web.render(
            request,
            "audit.html",
            session,
            entries=shown[:PAGE],
            more=max(0, len(shown) - PAGE),
            check=check,
            anchor_state=anchor_state,
            head_path=str(web.app.settings.data_dir / HEAD_FILE),
            problems=[(f, t(f"problem.{f.problem}", web.lang(request))) for f in check.findings],
            bad_seq=min((f.seq for f in check.findings if f.seq is not None), default=None),
            actors=actors,
            actions=sorted(ACTIONS),
            filters={
                "actor": actor,
                "action": action,
                "reference": reference or "",
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
            },
        )

    return [Route("/audit", audit_page, methods=["GET"])]
