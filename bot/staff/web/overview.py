"""The overview page: referrals per month, by request and by channel, time to coordinator,
open cases by age, coordinators and their caseload; each as an SVG chart and a table."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.staff.charts import bar_chart
from bot.staff.figures import figures
from bot.staff.web.app import Web
from bot.staff.web.data import summaries, visible
from bot.staff.web.guards import SVG_CSP
from bot.staff.web.wording import wt
from storage.render import Labels

CHARTS = ("month", "request", "channel", "age")


def routes(web: Web) -> list[Route]:
    async def overview(request: Request) -> Response:
        session, account = web.guard(request)
        lang = web.lang(request)
        labels = Labels(lang)  # type: ignore[arg-type]
        records = visible(web, account)
        events = {r.reference: web.app.inbox.status_events(r.reference) for r in records}
        requests = None
        if session.unlocked:
            opened = summaries(web, session, records)
            requests = {ref: s.requests for ref, s in opened.items()}
            web.audit("overview_viewed", account, details={"opened": len(opened)})
        fig = figures(records, events, web.now(), requests)
        tables = {
            "month": [(m, n) for m, n in fig.by_month],
            "request": [(labels.enum("request", q), n) for q, n in fig.by_request or []],
            "channel": [(labels.enum("channel", c), n) for c, n in fig.by_channel],
            "age": [(wt(key, lang), n) for key, n in fig.open_by_age],
        }
        for name in CHARTS:
            if tables[name]:
                title = wt(f"chart_{name}", lang)
                svg = bar_chart(title, tables[name], horizontal=name in ("request", "channel"))
                session.cache[f"chart:{name}"] = svg
        return web.render(request, "overview.html", session, fig=fig, tables=tables, charts=CHARTS)

    async def chart(request: Request) -> Response:
        session, _account = web.guard(request)
        svg = session.cache.get(f"chart:{request.path_params['name']}")
        if not isinstance(svg, bytes):
            raise HTTPException(404)
        return Response(
            svg,
            media_type="image/svg+xml",
            headers={"content-security-policy": SVG_CSP, "cache-control": "no-store"},
        )

    return [
        Route("/overview", overview, methods=["GET"]),
        Route("/overview/chart/{name}.svg", chart, methods=["GET"]),
    ]
