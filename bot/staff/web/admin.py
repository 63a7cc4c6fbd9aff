"""Staff accounts, for a leder: who has a key, and removing a person (their key is retired and
every referral they could open is re-sealed to the others with the leder's unlocked key).
Adding a person is `ke-intake staff add` at the KE, where that person types their passphrase."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.staff.access import StaffError
from bot.staff.team import actor_name, remove_staff
from bot.staff.web.app import Redirect, Web
from bot.staff.web.wording import staff_text


def routes(web: Web) -> list[Route]:
    async def staff_page(request: Request) -> Response:
        session, _account = web.guard(request, leader=True)
        flash = list(session.flash)
        session.flash.clear()
        return web.render(request, "staff.html", session, people=web.store.all(), flash=flash)

    async def remove(request: Request) -> Response:
        session, account = web.guard(request, unlocked=True, leader=True)
        form = await web.form(request, session)
        username = form.get("username", "")
        try:
            if username == account.username:
                raise StaffError("staff_not_self")
            if form.get("confirm") != "1":
                raise StaffError("delete_confirm")
            assert session.private_key is not None
            counts = remove_staff(
                web.app,
                web.store,
                username,
                private_key=session.private_key,
                by=actor_name(account),
                now=web.now(),
            )
        except StaffError as exc:
            return web.render(
                request,
                "staff.html",
                session,
                400,
                people=web.store.all(),
                error=(username, staff_text(exc, web.lang(request))),
                flash=[],
            )
        web.sessions.drop_user(username)
        web.audit("staff_removed", account, details={"username": username, **counts})
        session.flash.append("done_staff_removed")
        raise Redirect("/staff")

    return [
        Route("/staff", staff_page, methods=["GET"]),
        Route("/staff/remove", remove, methods=["POST"]),
    ]
