"""The staff web application: its shared context, page rendering and the access guards."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.staff.accounts import Account, AccountStore
from bot.staff.web.guards import MAX_BODY, cookie_options, same_origin, same_token
from bot.staff.web.sessions import LoginThrottle, Session, SessionStore, TotpReplay
from bot.staff.web.wording import LANGS, wt
from bot.web.security import BodyTooLarge, SecurityHeaders
from storage.render import Labels
from storage.render.formatting import OSLO, fmt_datetime

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.staff.web.oidc import OidcLogin

log = logging.getLogger(__name__)

COOKIE = "ke_staff"


@dataclass
class WebConfig:
    idle: dt.timedelta = dt.timedelta(minutes=15)
    warn_before: dt.timedelta = dt.timedelta(minutes=2)
    secure_cookies: bool = True
    retention_days: int = 90
    oidc: OidcLogin | None = None
    # Seconds between notice rounds (bot.staff.notices); None: no notices from this process.
    notice_interval: float | None = None


class Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


@dataclass
class Web:
    """Everything a page handler needs; one per process."""

    app: App
    store: AccountStore
    config: WebConfig
    clock: Callable[[], dt.datetime]
    sessions: SessionStore = field(init=False)
    throttle: LoginThrottle = field(init=False)
    totp_replay: TotpReplay = field(default_factory=TotpReplay)
    env: Environment = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = SessionStore(self.clock, idle=self.config.idle)
        self.throttle = LoginThrottle(self.clock)
        self.env = Environment(
            loader=PackageLoader("bot.staff.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.globals["kind"] = lambda item: type(item).__name__
        self.env.filters["when"] = fmt_datetime
        self.env.filters["day"] = lambda v: v.astimezone(OSLO).strftime("%d.%m.%Y")

    def now(self) -> dt.datetime:
        return self.clock()

    # -- sessions ------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        session, expired = self.sessions.get(request.cookies.get(COOKIE))
        if expired:
            request.state.expired = True
        return session

    def account(self, session: Session | None) -> Account | None:
        if session is None or session.username is None:
            return None
        account = self.store.get(session.username)
        return account if account is not None and account.active else None

    def guard(
        self, request: Request, *, unlocked: bool = False, leader: bool = False
    ) -> tuple[Session, Account]:
        """The logged-in session and account, or a redirect to where the person must go."""
        session = self.session(request)
        account = self.account(session)
        if session is None or account is None:
            raise Redirect(
                "/login?expired=1" if getattr(request.state, "expired", False) else "/login"
            )
        if unlocked and not session.unlocked:
            raise Redirect("/unlock")
        if leader and not account.is_leader:
            raise HTTPException(403)
        self.sessions.touch(session)
        return session, account

    async def form(self, request: Request, session: Session) -> dict[str, str]:
        """The posted form, after the CSRF and origin checks."""
        form = await request.form()
        token = form.get("csrf")
        if not same_origin(request) or not same_token(
            token if isinstance(token, str) else None, session.csrf
        ):
            raise HTTPException(403, "csrf")
        return {k: v for k, v in form.items() if isinstance(v, str)}

    # -- rendering -----------------------------------------------------------------------

    def lang(self, request: Request) -> str:
        lang = request.cookies.get("ke_staff_lang", "nb")
        return lang if lang in LANGS else "nb"

    def render(
        self,
        request: Request,
        template: str,
        session: Session | None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        lang = self.lang(request)
        account = self.account(session)
        labels = Labels(lang)  # type: ignore[arg-type]
        html = self.env.get_template(template).render(
            t=lambda key, **p: wt(key, lang, **p),
            lang=lang,
            labels=labels,
            session=session,
            account=account,
            csrf=session.csrf if session else "",
            idle_seconds=int(self.config.idle.total_seconds()),
            warn_seconds=int(self.config.warn_before.total_seconds()),
            path=request.url.path,
            nonce=getattr(request.state, "nonce", ""),
            **context,
        )
        response = HTMLResponse(html, status_code=status_code)
        if session is not None:
            self.set_cookie(response, session)
        return response

    def set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            session.id,
            max_age=int(self.sessions.absolute.total_seconds()),
            **cookie_options(secure=self.config.secure_cookies),
        )

    def audit(
        self,
        action: str,
        account: Account | None,
        reference: str | None = None,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        from bot.staff.team import actor_name

        who = actor or (actor_name(account) if account else "ukjent")
        self.app.inbox.log_event(action, who, reference, details or {}, self.now())


def create_app(
    app: App,
    *,
    store: AccountStore | None = None,
    config: WebConfig | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> Starlette:
    from bot.staff.web import admin, audit, auth, case, overview, queue

    web = Web(
        app=app,
        store=store or AccountStore(app.settings.data_dir / "staff"),
        config=config or WebConfig(),
        clock=clock or app.clock,
    )
    routes = [
        *auth.routes(web),
        *queue.routes(web),
        *case.routes(web),
        *audit.routes(web),
        *overview.routes(web),
        *admin.routes(web),
        Route("/language", _language(web), methods=["POST"]),
        Mount("/static", StaticFiles(directory=_static_dir()), name="static"),
    ]

    async def redirect(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Redirect)
        return RedirectResponse(exc.url, status_code=303)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        session = web.session(request)
        key = {403: "error_forbidden", 404: "error_not_found"}.get(exc.status_code, "error_other")
        return web.render(request, "error.html", session, exc.status_code, message=key)

    async def too_large(request: Request, exc: Exception) -> Response:
        return web.render(request, "error.html", None, 413, message="error_other")

    starlette = Starlette(
        lifespan=_notices(web) if web.config.notice_interval else None,
        routes=routes,
        exception_handlers={
            Redirect: redirect,
            HTTPException: http_error,
            BodyTooLarge: too_large,
        },
    )
    starlette.state.web = web
    starlette.add_middleware(SecurityHeaders, frame_ancestors=(), max_body=MAX_BODY)
    return starlette


def _notices(web: Web) -> Any:
    """Runs a notice round every `notice_interval` seconds while the app serves."""
    import asyncio
    import contextlib

    from bot.staff.notices import notify_once

    async def loop() -> None:
        assert web.config.notice_interval is not None
        while True:
            recipients = sorted({r for a in web.store.active() for r in a.recipients})
            try:
                await asyncio.to_thread(notify_once, web.app, recipients, web.now())
            except Exception as exc:
                log.warning("notice round failed: %s", type(exc).__name__)
            await asyncio.sleep(web.config.notice_interval)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> Any:
        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return lifespan


def _static_dir() -> Path:
    return Path(str(resources.files("bot.staff.web").joinpath("static")))


def _language(web: Web) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        session = web.session(request)
        form = await request.form()
        lang = form.get("lang")
        back = form.get("back")
        if session is not None:
            token = form.get("csrf")
            if not same_token(token if isinstance(token, str) else None, session.csrf):
                raise HTTPException(403, "csrf")
        target = (
            back
            if isinstance(back, str) and back.startswith("/") and not back.startswith("//")
            else "/"
        )
        response = RedirectResponse(target, status_code=303)
        if isinstance(lang, str) and lang in LANGS:
            response.set_cookie(
                "ke_staff_lang",
                lang,
                max_age=365 * 86400,
                **cookie_options(secure=web.config.secure_cookies),
            )
        return response

    return handler
