"""The queue: counts per status, filters, oldest first; names only once the key is unlocked
(and that view is logged); search by name, national id or reference (logged, never the query)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.staff.cases import Summary, duplicates, search
from bot.staff.reading import altered_histories
from bot.staff.web.app import Web
from bot.staff.web.data import Waiting, interim_answered, summaries, visible, waiting
from storage.inbox import STATUSES, InboxRecord

REQUESTS = ("individual_plan", "coordinator", "child_coordinator")


@dataclass(frozen=True)
class Row:
    record: InboxRecord
    summary: Summary | None
    waiting: Waiting
    duplicates: list[str]
    history_altered: bool  # its status history does not fit its chain (as the case page says)


def _int(raw: str | None) -> int | None:
    try:
        return max(0, int(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def routes(web: Web) -> list[Route]:
    async def queue(request: Request) -> Response:
        session, account = web.guard(request)
        q = request.query_params
        status = q.get("status") if q.get("status") in STATUSES else None
        wanted = q.get("request") if q.get("request") in REQUESTS else None
        mine = q.get("mine") == "1"
        older = _int(q.get("older"))
        kommune = q.get("kommune") if q.get("kommune") in account.recipients else None

        records = visible(web, account)
        counts = Counter(r.status for r in records)
        answered = interim_answered(web)
        shown = [
            r
            for r in records
            if (status is None or r.status == status)
            and (not mine or r.coordinator == account.name)
            and (kommune is None or r.recipient == kommune)
        ]
        rows_waiting = {r.reference: waiting(web, r, answered) for r in shown}
        if older is not None:
            shown = [r for r in shown if rows_waiting[r.reference].days > older]
        opened: dict[str, Summary] = {}
        dupes: dict[str, list[str]] = {}
        if session.unlocked:
            everything = summaries(web, session, records)
            dupes = dict(duplicates(list(everything.values())))
            opened = {
                r.reference: everything[r.reference] for r in shown if r.reference in everything
            }
            if wanted is not None:
                shown = [
                    r
                    for r in shown
                    if r.reference in opened and wanted in opened[r.reference].requests
                ]
        altered = altered_histories(web.app, shown)
        rows = [
            Row(r, opened.get(r.reference), rows_waiting[r.reference],
                dupes.get(r.reference, []), r.reference in altered)
            for r in shown
        ]  # fmt: skip
        if session.unlocked and rows:
            web.audit(
                "queue_viewed", account, details={"references": [r.record.reference for r in rows]}
            )
        return web.render(
            request,
            "queue.html",
            session,
            rows=rows,
            counts=[(s, counts[s]) for s in STATUSES],
            total=len(records),
            filters={
                "status": status,
                "request": wanted,
                "mine": mine,
                "older": older,
                "kommune": kommune,
            },
            statuses=STATUSES,
            requests=REQUESTS,
            kommuner=account.recipients,
        )

    async def search_form(request: Request) -> Response:
        session, _account = web.guard(request, unlocked=True)
        return web.render(request, "search.html", session, query="", kind=None, rows=[])

    async def search_page(request: Request) -> Response:
        # A POST: the query (a name, a national id) must not end up in a URL or an access log.
        session, account = web.guard(request, unlocked=True)
        query = (await web.form(request, session)).get("q", "").strip()[:200]
        rows: list[Row] = []
        kind = None
        if query:
            records = visible(web, account)
            opened = summaries(web, session, records)
            kind, hits = search(opened.values(), query)
            answered = interim_answered(web)
            by_ref = {r.reference: r for r in records}
            dupes = duplicates(list(opened.values()))
            altered = altered_histories(web.app, [by_ref[h] for h in hits])
            rows = [
                Row(by_ref[h], opened[h], waiting(web, by_ref[h], answered), dupes.get(h, []),
                    h in altered)
                for h in hits
            ]  # fmt: skip
            web.audit("searched", account, details={"kind": kind, "hits": hits})
        return web.render(request, "search.html", session, query=query, kind=kind, rows=rows)

    return [
        Route("/", queue, methods=["GET"]),
        Route("/search", search_form, methods=["GET"]),
        Route("/search", search_page, methods=["POST"]),
    ]
