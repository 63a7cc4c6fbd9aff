"""Login (password + TOTP, or the municipality's OpenID Connect provider), unlocking one's key,
locking, logging out and keeping an idle session alive."""

from __future__ import annotations

from typing import Any

import pyotp
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.staff.access import StaffError
from bot.staff.accounts import Account, check_password
from bot.staff.web.app import COOKIE, Redirect, Web
from bot.staff.web.sessions import Session
from bot.staff.web.wording import staff_text


def routes(web: Web) -> list[Route]:
    async def login_page(request: Request) -> Response:
        session = web.session(request)
        if web.account(session) is not None:
            raise Redirect("/")
        session = session or web.sessions.new()
        notice = "login_expired" if request.query_params.get("expired") else None
        if request.query_params.get("out"):
            notice = "logged_out"
        return web.render(
            request, "login.html", session, notice=notice, oidc=web.config.oidc is not None
        )

    async def login(request: Request) -> Response:
        session = web.session(request) or web.sessions.new()
        form = await web.form(request, session)
        username = form.get("username", "").strip().lower()
        client = request.client.host if request.client else "-"
        wait = web.throttle.wait(f"user:{username}", f"ip:{client}")
        if wait:
            error = ("login_wait", {"seconds": wait})
        else:
            account = _check(web, username, form.get("password", ""), form.get("code", ""))
            if account is not None:
                web.throttle.succeeded(f"user:{username}")
                return _logged_in(web, request, session, account, "password")
            web.throttle.failed(f"user:{username}", f"ip:{client}")
            # The name typed is not logged: it may be someone's password typed in the wrong box.
            web.audit("login_failed", None, details={"via": "password"}, actor="ukjent")
            error = ("login_failed", {})
        return web.render(
            request,
            "login.html",
            session,
            status_code=400 if not wait else 429,
            error=error,
            username=username,
            oidc=web.config.oidc is not None,
        )

    async def oidc_start(request: Request) -> Response:
        oidc = web.config.oidc
        if oidc is None:
            raise HTTPException(404)
        session = web.session(request) or web.sessions.new()
        url = await oidc.start(session, str(request.url_for("oidc_callback")))
        response = RedirectResponse(url, status_code=303)
        web.set_cookie(response, session)
        return response

    async def oidc_callback(request: Request) -> Response:
        oidc = web.config.oidc
        session = web.session(request)
        if oidc is None or session is None:
            raise Redirect("/login")
        subject = await oidc.finish(session, dict(request.query_params))
        account = web.store.by_subject(subject) if subject else None
        if account is None:
            web.audit("login_failed", None, details={"via": "oidc"}, actor="ukjent")
            return web.render(
                request,
                "login.html",
                session,
                status_code=403,
                error=("login_oidc_failed", {}),
                oidc=True,
            )
        return _logged_in(web, request, session, account, "oidc")

    async def unlock_page(request: Request) -> Response:
        session, _account = web.guard(request)
        return web.render(request, "unlock.html", session)

    async def unlock(request: Request) -> Response:
        session, account = web.guard(request)
        form = await web.form(request, session)
        wait = web.throttle.wait(f"unlock:{account.username}")
        error: tuple[str, dict[str, Any]] | None = None
        if wait:
            error = ("login_wait", {"seconds": wait})
        else:
            try:
                key = web.store.load_private_key(account, form.get("passphrase", "").encode())
            except StaffError as exc:
                web.throttle.failed(f"unlock:{account.username}")
                error = ("unlock_failed", {"detail": staff_text(exc, web.lang(request))})
            else:
                web.throttle.succeeded(f"unlock:{account.username}")
                session.private_key = key
                web.audit("unlocked", account, details={"key_id": account.key_id})
                raise Redirect("/")
        return web.render(request, "unlock.html", session, status_code=400, error=error)

    async def lock(request: Request) -> Response:
        session, _account = web.guard(request)
        await web.form(request, session)
        session.lock()
        raise Redirect("/")

    async def logout(request: Request) -> Response:
        session, account = web.guard(request)
        await web.form(request, session)
        web.audit("logout", account)
        web.sessions.drop(session)
        response = RedirectResponse("/login?out=1", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def extend(request: Request) -> Response:
        session, _account = web.guard(request)
        await web.form(request, session)
        if request.headers.get("accept", "").startswith("application/json"):
            remaining = int(web.sessions.remaining(session).total_seconds())
            return JSONResponse({"remaining": remaining})
        back = request.headers.get("referer", "/")
        return RedirectResponse(back if back.startswith(str(request.base_url)) else "/", 303)

    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/login/oidc", oidc_start, methods=["GET"], name="oidc_start"),
        Route("/login/oidc/callback", oidc_callback, methods=["GET"], name="oidc_callback"),
        Route("/unlock", unlock_page, methods=["GET"]),
        Route("/unlock", unlock, methods=["POST"]),
        Route("/lock", lock, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/session/extend", extend, methods=["POST"]),
    ]


def _check(web: Web, username: str, password: str, code: str) -> Account | None:
    account = web.store.get(username) if username else None
    # Hash even for an unknown name, so the answer takes as long either way.
    good = check_password(password, account.password_hash if account else _DUMMY_HASH)
    if account is None or not account.active or not good or not account.totp_secret:
        return None
    totp = pyotp.TOTP(account.totp_secret)
    code = "".join(code.split())
    now = web.now()
    for offset in (-1, 0, 1):  # one step of clock drift either way
        at = now.timestamp() + offset * totp.interval
        if code and totp.at(at) == code:
            return (
                account
                if web.totp_replay.fresh(account.username, int(at // totp.interval))
                else None
            )
    return None


def _logged_in(web: Web, request: Request, old: Session, account: Account, via: str) -> Response:
    session = web.sessions.rotate(old)
    session.username = account.username
    session.via = via
    web.audit("login", account, details={"via": via})
    response = RedirectResponse("/unlock", status_code=303)
    web.set_cookie(response, session)
    return response


def _dummy_hash() -> str:
    from bot.staff.accounts import hash_password

    return hash_password("not a password of anyone")


_DUMMY_HASH = _dummy_hash()
