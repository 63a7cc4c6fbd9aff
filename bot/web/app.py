"""The web chat's routes. Every turn is a form POST to /turn answered with a redirect to / (so a
reload never sends twice); `chat.js` posts the same form with `X-KE-Partial: 1` and gets the
conversation fragment back to update the page in place.

Routes: GET / (the chat; `?kommune=`, `?lang=`, `?role=provider`, `?embed=1`), POST /turn,
POST /resume (a resume code), POST /delete ("avbryt og slett"), POST /new (after the receipt),
POST /keepalive (more time: the time-out warning's "I am still here" with JavaScript, a
form post without it), GET /embed (the snippet for a
kommune's page), GET /healthz, /static/*.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import FormData, UploadFile
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.runtime.outage import service_down
from bot.runtime.sweep import interrupted, sweep_within
from bot.runtime.uploads import upload_of, worth_reading
from bot.runtime.wording import language_of as client_language
from bot.web import view
from bot.web.forms import read_form
from bot.web.oidc import Login, LoginFailed
from bot.web.pages import Pages
from bot.web.security import (
    COOKIE,
    BodyTooLarge,
    SecurityHeaders,
    check_csrf,
    clear_session_cookie,
    csrf_token,
    set_session_cookie,
    start_token,
)
from bot.web.session import (
    Entry,
    Sessions,
    WebDraft,
    new_code,
    new_session_id,
    parse_code,
    show_code,
)
from bot.web.turns import Result, Turns
from bot.web.wording import dialogue_text, language_of, web_text
from dialogues.state import State, StateError
from dialogues.types import Reply, UserInput
from intake.attachments import MAX_ATTACHMENT_BYTES
from intake.errors import FieldError
from intake.text import clean_text
from intake.texts import Language
from storage.counters import WindowCounter
from storage.drafts import IdHasher

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
PARTIAL = "x-ke-partial"
SINCE = "x-ke-since"  # the last transcript entry the page already shows
_PARTIAL_HEADER = (PARTIAL.encode("latin-1"), b"1")
MINUTE = 60
RESUME_WINDOW = 15 * MINUTE
COMMANDS = ("back", "help", "skip", "summary", "done")
RECENT = 1024  # session ids and addresses whose HMACs are kept (each comes every turn)
# ... and for at most this long: an address is personal, and a quiet worker would otherwise
# keep one in plain for days, until RECENT others had come.
RECENT_SECONDS = 3600
HELD_LIMIT = 4000  # characters of a typed answer kept when the turn could not be applied


@dataclass
class Limits:
    session_turns_per_minute: int = 60
    address_turns_per_minute: int = 600
    resume_tries: int = 10  # per address per RESUME_WINDOW
    idle_minutes: float = 30
    max_body: int = MAX_ATTACHMENT_BYTES + 256 * 1024


@dataclass
class Web:
    """Everything the routes need, built once by `bot.web.build`."""

    sessions: Sessions
    turns: Turns
    hasher: IdHasher
    counter: WindowCounter
    limits: Limits = field(default_factory=Limits)
    default_language: Language = "nb"
    draft_ttl_hours: int = 72
    frame_ancestors: tuple[str, ...] = ()
    clock: Callable[[], float] = time.time
    oidc: Login | None = None  # ID-porten, when configured


def create_app(web: Web) -> Starlette:
    pages = Pages(
        HERE / "templates",
        {
            "idle_seconds": int(web.limits.idle_minutes * MINUTE),
            "idle_minutes": f"{web.limits.idle_minutes:g}",
            "languages": [(code, dialogue_text(code, "language.name")) for code in view.LANGUAGES],
            "field": view.field_for,
            "login": web.oidc is not None,
        },
    )
    routes = Routes(web, pages)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # In the background: the pages answer meanwhile (a person the sweep has not reached
        # yet gets their filing finished on their next page, under the same key).
        sweeping = asyncio.create_task(routes.sweep())
        yield
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping

    app = Starlette(
        lifespan=lifespan,
        middleware=[Middleware(ServiceDown, routes=routes)],
        routes=[
            Route("/", routes.home, methods=["GET"]),
            Route("/turn", routes.turn, methods=["POST"]),
            Route("/resume", routes.resume, methods=["POST"]),
            Route("/delete", routes.delete, methods=["POST"]),
            Route("/new", routes.new, methods=["POST"]),
            Route("/keepalive", routes.keepalive, methods=["POST"]),
            Route("/embed", routes.embed, methods=["GET"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            *(
                [
                    Route("/login", routes.login, methods=["GET"]),
                    Route("/login/callback", routes.login_callback, methods=["GET"]),
                ]
                if web.oidc is not None
                else []
            ),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={
            400: routes.bad_form,
            404: routes.not_found,
            BodyTooLarge: routes.too_large,
        },
    )
    return SecurityHeaders(app, frame_ancestors=web.frame_ancestors, max_body=web.limits.max_body)  # type: ignore[return-value]


class ServiceDown:
    """The draft store (Redis) or the inbox down mid-request: the person gets a plain page in
    their language (503) saying their last answer was not saved, the earlier ones are kept and
    to try again in a few minutes; the log names the error's type only. The next request after
    the service is back is handled as usual."""

    def __init__(self, app: ASGIApp, routes: Routes) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started or not service_down(error):
                raise
            log.warning("web: a service is unavailable (%s)", type(error).__name__)
            await self.routes.unavailable(Request(scope))(scope, receive, send)


class Routes:
    def __init__(self, web: Web, pages: Pages) -> None:
        self.web = web
        self.pages = pages
        # the question `_record` stored last, as data and as the `Reply` it was made from
        self._asked: tuple[dict[str, Any] | None, Reply | None] = (None, None)
        self._tokens = _Recent(web.clock)  # CSRF tokens of recent session ids
        self._addresses = _Recent(web.clock)  # pseudonyms of recent client addresses

    # -- pages ---------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        sid = request.cookies.get(COOKIE)
        draft = await self.web.sessions.load(sid) if sid else None
        if sid and draft is not None and not self._idle(draft):
            if await self.finish_filing(draft):  # the next contact after a stopped process
                await self.web.sessions.save(sid, draft)
            if draft.held is None:
                return self.page(request, sid, draft)
            # what was typed when the window had closed: back in the answer field, once
            held, draft.held = draft.held, None
            await self.web.sessions.save(sid, draft)
            back = web_text(self._lang(draft), "timeout.held_back")
            return self.page(request, sid, draft, notice=back, held=held)
        notice, lang = await self._why_closed(sid, draft) if sid else (None, None)
        response = self.first_page(request, notice=notice, lang=lang)
        if sid:
            clear_session_cookie(response)
        return response

    def first_page(
        self,
        request: Request,
        *,
        notice: str | None = None,
        status: int = 200,
        lang: Language | None = None,
        held: str = "",
        form: FormData | None = None,
    ) -> Response:
        """The start: the intro and the first question, computed and not stored. `lang` is
        the language of a conversation that closed, unless the address names one. `held`: an
        answer typed into a conversation that had closed, shown back and carried by the resume
        form into the answer field of the conversation the code opens. `form`: a refused post
        from the first page, whose presets (language, kommune, role, frame) it keeps, as the
        address does for a GET."""
        source: Any = form if form is not None else request.query_params
        presets = self._presets(source)
        if lang is not None and "lang" not in source:
            presets["lang"] = lang
        lang = language_of(presets["lang"], self.web.default_language)
        preview = self._begin(presets, code="")
        embedded = presets["embed"] == "1" or request.headers.get("sec-fetch-dest") == "iframe"
        presets["embed"] = "1" if embedded else ""
        context = {
            "log": preview.log,
            "question": _question_id(preview.last),
            "ask": self._asking(preview),
            "csrf": start_token(self.web.hasher, self.web.clock()),
            "presets": {k: v for k, v in presets.items() if v},
            "notice": notice,
            "first": True,
            "role": preview.role,
            "query": {k: v for k, v in presets.items() if v and k != "lang"},
            "held": held,
        }
        response = self.render(request, "chat.html", lang, context, status=status)
        if request.headers.get(PARTIAL) == "1":
            # chat.js asked for a turn of a conversation that is not there (closed, or the
            # session is gone): it posts the form plainly and gets this page with what was typed
            response.headers["x-ke-closed"] = "1"
        return response

    def page(
        self,
        request: Request,
        sid: str,
        draft: WebDraft,
        *,
        notice: str | None = None,
        status: int = 200,
        held: str = "",
    ) -> Response:
        """The conversation. `held`: a typed answer the last post could not apply, put back
        into the answer field."""
        lang = self._lang(draft)
        now = self.web.clock()
        # The code's own entry is renewed hourly (Sessions.save): the time the code is promised
        # until is that entry's expiry, never later than it.
        until = (draft.code_saved or now) + self.web.draft_ttl_hours * 3600
        partial = request.headers.get(PARTIAL) == "1"
        template = "_chat.html" if partial else "chat.html"
        since = request.headers.get(SINCE, "")
        # chat.js has the transcript up to `since`: only what is newer is rendered (and parsed)
        log = draft.after(int(since)) if partial and since.isdigit() else draft.log
        context: dict[str, Any] = {
            "log": log,
            "question": _question_id(draft.last),
            "ask": self._asking(draft),
            "csrf": self._csrf(sid),
            "presets": {},
            "notice": notice,
            "first": False,
            "code": show_code(draft.code) if draft.code else None,
            "until": view.oslo_time(until, lang),
            "done": draft.reference is not None,
            "identity": bool(draft.identity and draft.identity.get("by")),
            "role": draft.role,
            "held": held,
            # in a frame a login cannot start once the conversation has (ID-porten is not
            # framed, and a window of its own has another session)
            "framed": _framed(request),
            # the server's time-out, stated as a clock time (the warning without JavaScript)
            "closes": view.oslo_clock(now + self.web.limits.idle_minutes * MINUTE),
        }
        response = self.render(request, template, lang, context, status=status)
        if partial:
            # chat.js swaps only fragments it asked for
            response.raw_headers.append(_PARTIAL_HEADER)
        return response

    def render(
        self,
        request: Request,
        template: str,
        lang: Language,
        context: dict[str, Any],
        *,
        status: int = 200,
    ) -> HTMLResponse:
        def t(key: str, **params: Any) -> str:
            return web_text(lang, key, **params)

        def d(key: str, **params: Any) -> str:
            return dialogue_text(lang, key, **params)

        context = {**context, "nonce": request.scope["state"]["nonce"]}
        html = self.pages.render(template, lang, context, t, d)
        response = HTMLResponse(html, status_code=status)
        # (appended to the raw list: `response.headers` would build a MutableHeaders to do it)
        response.raw_headers.append((b"content-language", lang.encode("latin-1")))
        return response

    async def embed(self, request: Request) -> Response:
        presets = self._presets(request.query_params)
        lang = language_of(presets["lang"], self.web.default_language)
        query = {k: v for k, v in presets.items() if v and k != "embed"}
        base = str(request.base_url).rstrip("/")
        snippet = view.embed_snippet(base, query, lang)
        return self.render(request, "embed.html", lang, {"snippet": snippet})

    def unavailable(self, request: Request) -> Response:
        """The page in the conversation's language: the posted form names it (the draft, which
        knows it, is what cannot be read), else `?lang=`, else the browser's."""
        query = request.query_params.get("lang") or request.scope["state"].get("form_lang")
        accepted = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
        lang = language_of(query) if query else client_language(accepted, self.web.default_language)
        said = dialogue_text(lang, "tg.unavailable")
        context = {"message": "", "said": said, "link": "unavailable.again"}
        return self.render(request, "message.html", lang, context, status=503)

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def not_found(self, request: Request, exc: Exception) -> Response:
        lang = language_of(request.query_params.get("lang"), self.web.default_language)
        return self.render(request, "message.html", lang, {"message": "not_found"}, status=404)

    async def too_large(self, request: Request, exc: Exception) -> Response:
        sid, draft = await self._session(request)
        mb = MAX_ATTACHMENT_BYTES // (1024 * 1024)
        notice = web_text(self._lang(draft), "too_large", mb=mb)
        if sid and draft is not None:
            return self.page(request, sid, draft, notice=notice, status=413)
        return self.first_page(request, notice=notice, status=413)

    async def bad_form(self, request: Request, exc: Exception) -> Response:
        """A form the limits refuse (a field over MAX_FIELD, e.g. a whole document pasted as
        one answer, or too many fields): the page again with a notice in the person's language,
        nothing applied (it was a bare English "A field is too large.")."""
        sid, draft = await self._session(request)
        if sid and draft is not None and not self._idle(draft):
            notice = web_text(self._lang(draft), "too_long")
            return self.page(request, sid, draft, notice=notice, status=400)
        lang = language_of(request.query_params.get("lang"), self.web.default_language)
        return self.first_page(request, notice=web_text(lang, "too_long"), status=400)

    # -- the conversation ----------------------------------------------------------------

    async def turn(self, request: Request) -> Response:
        form = await self._form(request)
        sid, draft, too_fast = await self._counted_session(request)
        if not self._csrf_ok(request, sid, form):
            return await self._refused(request, sid, draft, "expired_form", 403, form=form)
        if too_fast:
            return await self._refused(request, sid, draft, "slow_down", 429, form=form)
        embedded = False
        if sid is None or draft is None or self._idle(draft):
            if form.get("first") != "1":
                # The window closed (or the browser lost its session): nothing is applied,
                # the answers so far are in the draft, and what was just typed is shown back.
                notice, lang = await self._why_closed(sid, draft) if sid else (None, None)
                return self.first_page(request, notice=notice, lang=lang, held=_held(form))
            presets = self._presets(form)
            embedded = presets["embed"] == "1"
            draft = self._begin(presets, code=new_code())
            sid = new_session_id()
        if draft.reference is not None:  # filed: only the receipt is left
            return self._after(request, sid, draft, embedded)
        try:
            state = State.from_json(draft.engine)
        except StateError:
            return self.first_page(request)
        user_input, shown = await self._input(form, draft, state)
        if user_input is None:
            return self._after(request, sid, draft, embedded)
        shown = _shown_back(shown)
        if shown:
            draft.add("me", shown, state.language)
        web_sid = sid

        async def before_filing(filing: State) -> None:
            draft.engine = filing.to_json()
            await self.web.sessions.save(web_sid, draft)
            log.info("web: filing, the conversation kept in mode filing")

        result = await self._step(draft, state, user_input, before_filing)
        if result.discard:
            await self.web.sessions.delete(sid, draft)
            return self._deleted(request, result.state.language)
        await self.web.sessions.save(sid, draft)
        return self._after(request, sid, draft, embedded)

    async def _step(
        self,
        draft: WebDraft,
        state: State,
        user_input: UserInput,
        before_filing: Callable[[State], Awaitable[None]] | None = None,
    ) -> Result:
        """One engine turn on `draft` (not saved here): transcript, presets, and after a
        filing the receipt in place of the answers."""
        verified = _verified(draft.identity, state)
        result = await self.web.turns.step(
            state,
            user_input,
            self.web.sessions.upload,
            verified=verified,
            before_filing=before_filing,
        )
        if result.discard:
            return result
        before = draft.seq
        self._record(draft, result.state, result.replies)
        self._preset_kommune(draft, result.state)
        self._preset_identity(draft)
        self._tell_identity(draft, result.state)
        if result.reference is not None:
            # Filed: the transcript goes with the answers (the receipt says so); only this
            # turn's messages, the receipt, stay for this browser session.
            draft.reference = result.reference
            draft.log = draft.after(before)
            await self.web.sessions.forget_answers(draft)
        return result

    async def sweep(self) -> None:
        """The start-up sweep (`bot.runtime.sweep`): conversations a stopped worker left
        mid-filing are finished and saved under their storage key."""

        async def found() -> AsyncIterator[tuple[str, WebDraft]]:
            for key, draft in await self.web.sessions.stored():
                if draft.reference is None and interrupted(draft.engine):
                    yield key, draft

        async def finish(item: tuple[str, WebDraft]) -> bool:
            key, draft = item
            if not await self.finish_filing(draft):
                return False
            await self.web.sessions.save_stored(key, draft)
            return True

        await sweep_within("web", found, finish)

    async def finish_filing(self, draft: WebDraft) -> bool:
        """A draft a stopped process left mid-filing, filed again under the same idempotency
        key: the receipt (the first filing's, if it reached the inbox) or the true message
        (not sent, nothing lost) goes into its transcript. The caller saves the draft."""
        if draft.reference is not None or not interrupted(draft.engine):
            return False
        log.info("web: an interrupted filing is taken up again")
        await self._step(draft, State.from_json(draft.engine), UserInput())
        return True

    async def _input(
        self, form: FormData, draft: WebDraft, state: State
    ) -> tuple[UserInput | None, str]:
        """The form as the engine's input, and how the person's side of it reads in the log."""
        ask = draft.ask
        lang = state.language
        command = str(form.get("command", ""))
        if command in COMMANDS:
            return UserInput(command=command), dialogue_text(lang, f"cmd.{command}")  # type: ignore[arg-type]
        language = str(form.get("language", ""))
        if language in view.LANGUAGES:
            name = dialogue_text(language_of(language), "language.name")
            return UserInput(command="language", arg=language), name
        choice = str(form.get("choice", ""))
        if choice:
            return UserInput(choice=choice), _labels(ask).get(choice, choice)
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            ref = uuid.uuid4().hex
            name = Path(upload.filename).name
            size = upload.size or 0
            content = await upload.read(MAX_ATTACHMENT_BYTES + 1) if worth_reading(size) else None
            if content is not None and not worth_reading(len(content)):
                size, content = len(content), None
            file = upload_of(content, filename=name, ref=ref, size=size)
            if content is not None and file.sha256:
                # kept (encrypted, expiring with the draft) until it is sealed with the referral
                await self.web.sessions.keep_upload(ref, content)
                draft.uploads.append(ref)
            return UserInput(file=file), file.filename
        text = str(form.get("text", ""))
        ticked = tuple(str(v) for v in form.getlist("choices"))
        if ask and ask.get("multi") and ticked and not text.strip():
            labels = _labels(ask)
            return UserInput(choices=ticked), ", ".join(labels.get(c, c) for c in ticked)
        return UserInput(text=text), text

    def _record(self, draft: WebDraft, state: State, replies: list[Reply]) -> None:
        draft.engine = state.to_json()
        role = state.answers.get("submitter.role")
        draft.role = role if isinstance(role, str) else None
        lang = state.language
        asking = None
        for reply in replies:
            if reply.error:
                draft.add("bot", reply.error, lang, error=True)
            if reply.text:
                draft.add("bot", reply.text, lang)
            if reply.step:
                asking = reply
        draft.ask = view.asking_data(asking) if asking is not None else None
        self._asked = (draft.ask, asking)

    def _asking(self, draft: WebDraft) -> Reply | None:
        """`draft.asking`, without building the `Reply` again from its data when it is the one
        `_record` has just stored (the page after a turn)."""
        data, reply = self._asked
        return reply if data is not None and draft.ask is data else draft.asking

    def _after(self, request: Request, sid: str, draft: WebDraft, embedded: bool) -> Response:
        if request.headers.get(PARTIAL) == "1":
            response = self.page(request, sid, draft)
        else:
            response = RedirectResponse("/", status_code=303)
        if request.cookies.get(COOKIE) != sid:
            set_session_cookie(response, sid, embedded=embedded)
        return response

    # -- ID-porten ---------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        """To the provider; the session starts here if it has not (logging in is starting)."""
        assert self.web.oidc is not None
        sid, draft = await self._session(request)
        new = sid is None or draft is None or self._idle(draft)
        if new or sid is None or draft is None:
            presets = self._presets(request.query_params)
            draft = self._begin(presets, code=new_code())
            sid = new_session_id()
        try:
            url, pending = await self.web.oidc.start(_callback_url(request))
        except Exception as error:  # the provider is unreachable: chatting goes on
            log.warning("web: login could not start (%s)", type(error).__name__)
            self._login_failed(draft)
            await self.web.sessions.save(sid, draft)
            return self._after_login(sid, new)
        draft.identity = {"pending": pending}
        await self.web.sessions.save(sid, draft)
        response = RedirectResponse(url, status_code=303)
        if new:
            set_session_cookie(response, sid, embedded=False)
        return response

    async def login_callback(self, request: Request) -> Response:
        assert self.web.oidc is not None
        sid, draft = await self._session(request)
        if sid is None or draft is None:
            return self.first_page(request, notice=web_text(self._lang(None), "login.failed"))
        pending = (draft.identity or {}).get("pending")
        try:
            if not isinstance(pending, dict):
                raise LoginFailed()
            query = {k: str(v) for k, v in request.query_params.items()}
            claims = await self.web.oidc.finish(_callback_url(request), pending, query)
        except LoginFailed:
            draft.identity = None
            self._login_failed(draft)
            await self.web.sessions.save(sid, draft)
            return self._after_login(sid, False)
        pid = claims.get("pid")
        draft.identity = {"by": "idporten", "pid": pid if isinstance(pid, str) else None}
        log.info("web: logged in with ID-porten")
        draft.add("bot", web_text(self._lang(draft), "login.done"), self._lang(draft))
        self._preset_identity(draft)
        # A new session id for the logged-in session (against session fixation: an id known
        # before the login must not open the session after it); the code moves with it.
        new_sid = new_session_id()
        draft.code_saved = None
        await self.web.sessions.save(new_sid, draft)
        await self.web.sessions.drafts.delete("web", sid)
        return self._after_login(new_sid, True)

    def _tell_identity(self, draft: WebDraft, state: State) -> None:
        """Once per case, why a login does not verify this referral: the person logged in writes
        about someone else, or typed a national id that is not the one they logged in with (by
        going back and changing the preset one). Either way the referral is filed as not
        verified and the KE confirms the identity at first contact."""
        identity = draft.identity or {}
        pid = identity.get("pid")
        if identity.get("by") != "idporten" or not pid:
            return
        role = state.answers.get("submitter.role")
        typed = state.answers.get("person.national_id")
        lang = state.language
        if isinstance(role, str) and role != "self" and not identity.get("told_not_self"):
            identity["told_not_self"] = True
            draft.add("bot", web_text(lang, "login.not_self"), lang)
        elif (
            role == "self"
            and isinstance(typed, str)
            and typed != pid
            and identity.get("told_mismatch") != typed
        ):
            identity["told_mismatch"] = typed
            draft.add("bot", web_text(lang, "login.mismatch"), lang)

    def _login_failed(self, draft: WebDraft) -> None:
        lang = self._lang(draft)
        draft.add("bot", web_text(lang, "login.failed"), lang, error=True)

    def _after_login(self, sid: str, new: bool) -> Response:
        response = RedirectResponse("/", status_code=303)
        if new:
            set_session_cookie(response, sid, embedded=False)
        return response

    def _preset_identity(self, draft: WebDraft) -> None:
        """A logged-in person writing about themselves is not asked for their national id:
        the ID token's `pid` answers it (the dialogue still checks it like any answer).

        Only then: ID-porten tells who logged in, not whom the referral is about. A mother
        logged in for her child, a guardian or a service provider is not the person, so their
        `pid` must never become the person's national id; they are asked for it as without a
        login, and the referral is not filed as verified (`_verified`)."""
        identity = draft.identity or {}
        pid = identity.get("pid")
        asking = draft.ask.get("step") if draft.ask else None
        if not pid or identity.get("used") or draft.role != "self":
            return
        if asking != "person.national_id":
            return
        state = State.from_json(draft.engine)
        after, more = self.web.turns.step_now(state, UserInput(text=str(pid)))
        if any(r.error for r in more):
            return
        identity["used"] = True
        draft.add("me", str(pid), after.language)
        self._record(draft, after, more)

    # -- resume, delete, keep alive ------------------------------------------------------

    async def resume(self, request: Request) -> Response:
        form = await self._form(request)
        sid, _ = await self._session(request)
        lang = self._form_lang(form)
        held = _held(form)  # a refused code keeps what the closed window was sent
        if not self._csrf_ok(request, sid, form):
            notice = web_text(lang, "expired_form")
            return self.first_page(request, notice=notice, status=403, held=held, form=form)
        address = self._address_key(request)
        tries = await self.web.counter.hit(f"web-resume:{address}", RESUME_WINDOW)
        if tries > self.web.limits.resume_tries:
            minutes = RESUME_WINDOW // MINUTE
            notice = web_text(lang, "resume.slow_down", minutes=minutes)
            return self.first_page(request, notice=notice, status=429, held=held, form=form)
        code = parse_code(str(form.get("code", "")))
        new_sid = new_session_id()
        draft = await self.web.sessions.resume(code, new_sid) if code else None
        if draft is None:
            log.info("web: a resume code was not found")
            notice = web_text(lang, "resume.bad", hours=self.web.draft_ttl_hours)
            return self.first_page(request, notice=notice, status=400, held=held, form=form)
        if held:
            draft.held = held
            await self.web.sessions.save(new_sid, draft)
        if sid:
            await self.web.sessions.drafts.delete("web", sid)
        embedded = form.get("embed") == "1"
        response = RedirectResponse("/", status_code=303)
        set_session_cookie(response, new_sid, embedded=embedded)
        return response

    async def delete(self, request: Request) -> Response:
        form = await self._form(request)
        sid, draft = await self._session(request)
        if sid is None or not self._csrf_ok(request, sid, form):
            return await self._refused(request, sid, draft, "expired_form", 403)
        lang = self._lang(draft)
        await self.web.sessions.delete(sid, draft)
        return self._deleted(request, lang)

    def _deleted(self, request: Request, lang: Language) -> Response:
        response = self.render(request, "message.html", lang, {"message": "deleted"})
        clear_session_cookie(response)
        return response

    async def new(self, request: Request) -> Response:
        form = await self._form(request)
        sid, draft = await self._session(request)
        if sid is not None and draft is not None and not self._csrf_ok(request, sid, form):
            # a post from elsewhere must not end this browser's conversation or receipt
            return await self._refused(request, sid, draft, "expired_form", 403)
        if sid is not None:
            await self.web.sessions.delete(sid, draft)
        # the new referral starts in the language the last one was in (it fell back to nb)
        response = RedirectResponse(f"/?lang={self._lang(draft)}", status_code=303)
        clear_session_cookie(response)
        return response

    async def keepalive(self, request: Request) -> Response:
        """More time. chat.js posts it from the warning and gets the text (and the new closing
        time in `X-KE-Closes`); without JavaScript the form carries `page=1` and gets the page
        back with the new time and a notice."""
        form = await self._form(request)
        sid, draft = await self._session(request)
        page = form.get("page") == "1"
        if sid is None or draft is None or self._idle(draft):
            if page:
                notice, lang = await self._why_closed(sid, draft) if sid else (None, None)
                return self.first_page(request, notice=notice, lang=lang)
            return PlainTextResponse("closed", status_code=410)
        if not self._csrf_ok(request, sid, form):
            if page:
                return await self._refused(request, sid, draft, "expired_form", 403)
            return PlainTextResponse("forbidden", status_code=403)
        await self.web.sessions.save(sid, draft)
        text = web_text(self._lang(draft), "timeout.extended")
        if page:
            return self.page(request, sid, draft, notice=text)
        closes = view.oslo_clock(self.web.clock() + self.web.limits.idle_minutes * MINUTE)
        return PlainTextResponse(text, headers={"x-ke-closes": closes})

    # -- helpers -------------------------------------------------------------------------

    async def _form(self, request: Request) -> FormData:
        form = await read_form(request)
        lang = form.get("lang")
        if isinstance(lang, str) and lang:
            request.scope["state"]["form_lang"] = lang  # for a page the route cannot finish
        return form

    def _csrf(self, sid: str) -> str:
        """The session's CSRF token (for the check and the page), an HMAC kept for the recent
        session ids as `Sessions.key` keeps their storage keys."""
        return self._tokens.get(sid, lambda s: csrf_token(self.web.hasher, s))

    def _address_key(self, request: Request) -> str:
        """The pseudonym of the client's address the limits count under (kept, as `_csrf`)."""
        return self._addresses.get(
            _address(request), lambda a: self.web.hasher.digest("web address", a)
        )

    def _csrf_ok(self, request: Request, sid: str | None, form: FormData) -> bool:
        """The form's token is this session's, or a start token of the first page."""
        expected = self._csrf(sid) if sid is not None else None
        token = str(form.get("csrf", ""))
        return check_csrf(self.web.hasher, expected, token, self.web.clock())

    def _sid(self, request: Request) -> str | None:
        sid = request.cookies.get(COOKIE)
        return sid if sid and len(sid) <= 100 else None

    async def _session(self, request: Request) -> tuple[str | None, WebDraft | None]:
        sid = self._sid(request)
        return sid, await self.web.sessions.load(sid) if sid is not None else None

    async def _counted_session(self, request: Request) -> tuple[str | None, WebDraft | None, bool]:
        """`_session` and a turn counted against the limits per address and per session (in
        Redis one round trip for the draft and both counters); the last value: too fast.
        Every POST to /turn counts, whether it is then applied or refused."""
        sid = self._sid(request)
        address = self._address_key(request)
        keys: tuple[str, ...] = (f"web-ip:{address}",)
        if sid is None:
            return None, None, self._too_fast(await self.web.counter.hits(keys, MINUTE))
        keys += (f"web-s:{self.web.sessions.key(sid).rpartition(':')[2]}",)
        draft, counts = await self.web.sessions.load_counting(sid, self.web.counter, keys, MINUTE)
        return sid, draft, self._too_fast(counts)

    def _too_fast(self, counts: list[int]) -> bool:
        """The counts of `_counted_session` against the limits (per address, per session)."""
        if counts[0] > self.web.limits.address_turns_per_minute:
            log.info("web: turn limit per address reached")
            return True
        if len(counts) > 1 and counts[1] > self.web.limits.session_turns_per_minute:
            log.info("web: turn limit per session reached")
            return True
        return False

    async def _refused(
        self,
        request: Request,
        sid: str | None,
        draft: WebDraft | None,
        key: str,
        status: int,
        *,
        form: FormData | None = None,
    ) -> Response:
        """A post not applied: the page again with why, and what was typed back in the field.
        Without a conversation, in the language (and presets) the first page's form names."""
        held = _held(form) if form is not None else ""
        if sid and draft is not None and not self._idle(draft):
            notice = web_text(self._lang(draft), key)
            return self.page(request, sid, draft, notice=notice, status=status, held=held)
        lang = self._lang(draft) if draft is not None else self._form_lang(form)
        notice = web_text(lang, key)
        return self.first_page(request, notice=notice, status=status, held=held, form=form)

    async def _why_closed(
        self, sid: str, draft: WebDraft | None
    ) -> tuple[str | None, Language | None]:
        """Why this browser's session no longer opens its draft, in the draft's language."""
        if draft is not None:
            lang = self._lang(draft)
            return web_text(lang, "timeout.closed"), lang
        moved = await self.web.sessions.moved(sid)
        if moved is not None:
            lang = language_of(moved, self.web.default_language)
            return web_text(lang, "resume.moved"), lang
        return None, None

    def _form_lang(self, form: FormData | None) -> Language:
        """The language a first page's form names (a hidden field), else the default."""
        value = form.get("lang") if form is not None else None
        return language_of(value, self.web.default_language)

    def _idle(self, draft: WebDraft) -> bool:
        if draft.reference is not None:
            return False
        return self.web.clock() - draft.seen > self.web.limits.idle_minutes * MINUTE

    def _lang(self, draft: WebDraft | None) -> Language:
        last = draft.last if draft is not None else None
        if last is not None:
            return language_of(last.lang, self.web.default_language)
        return self.web.default_language

    def _presets(self, source: Any) -> dict[str, str]:
        """`kommune`, `lang`, `role` and `embed` from the query (GET) or the first form."""
        kommune = str(source.get("kommune", "") or "").strip()[:60]
        role = str(source.get("role", "") or "")
        return {
            "lang": language_of(source.get("lang"), self.web.default_language),
            "kommune": kommune if kommune.replace(" ", "").isalnum() or not kommune else "",
            "role": "provider" if role == "provider" else "",
            "embed": "1" if source.get("embed") == "1" else "",
        }

    def _begin(self, presets: dict[str, str], *, code: str) -> WebDraft:
        """The start of a conversation with its presets: the same for the first page (shown,
        not stored) and the first answer (stored)."""
        lang = language_of(presets["lang"], self.web.default_language)
        draft = WebDraft(
            engine="", code=code, seen=self.web.clock(), kommune=presets["kommune"] or None
        )
        state, replies = self.web.turns.start(lang, presets["role"] or None)
        self._record(draft, state, replies)
        self._preset_kommune(draft, state)
        return draft

    def _preset_kommune(self, draft: WebDraft, state: State) -> None:
        """`?kommune=` answers the kommune question when the dialogue gets to it (once; a
        kommune the dialogue cannot read is asked as usual)."""
        if not draft.kommune or not draft.ask or draft.ask.get("step") != "kommune":
            return
        preset, draft.kommune = draft.kommune, None
        after, more = self.web.turns.step_now(state, UserInput(text=preset))
        if any(r.error for r in more):
            return
        draft.add("me", view.kommune_label(after), after.language)
        self._record(draft, after, more)


def _verified(identity: dict[str, Any] | None, state: State) -> bool:
    """The inbox shows "identity verified" for what ID-porten proved: that the person the
    referral is about logged in. So only a login as the person themself, with the national id
    in the answers equal to the ID token's `pid`."""
    identity = identity or {}
    pid = identity.get("pid")
    return (
        identity.get("by") == "idporten"
        and isinstance(pid, str)
        and state.answers.get("submitter.role") == "self"
        and state.answers.get("person.national_id") == pid
    )


def _question_id(last: Entry | None) -> str:
    """The transcript entry that asks the current question (the newest, when the guide's):
    the answer field's description."""
    return f"m{last.id}" if last is not None and last.who == "bot" else ""


def _labels(ask: dict[str, Any] | None) -> dict[str, str]:
    """The question's choice labels by id, from its data (as `WebDraft.asking` reads them)."""
    return {str(i): str(label) for i, label in ask.get("choices", ())} if ask else {}


def _held(form: FormData) -> str:
    """The answer typed into a post that is not applied (kept to be shown back)."""
    return _shown_back(str(form.get("text", "") or form.get("held", "")))


def _shown_back(typed: str) -> str:
    """What someone typed, as it may be shown back to them: cleaned as every text field is
    (intake.text.clean_text: NFC, no control, format, invisible or escape characters), at most
    HELD_LIMIT characters; "" when nothing readable is left."""
    try:
        return clean_text(typed[:HELD_LIMIT], max_length=HELD_LIMIT, multiline=True)
    except FieldError:
        return ""


class _Recent:
    """`make(key)` kept for the last RECENT keys and at most RECENT_SECONDS (it starts over when
    full or that old)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._values: dict[str, str] = {}
        self._since = clock()

    def get(self, key: str, make: Callable[[str], str]) -> str:
        now = self._clock()
        if now - self._since > RECENT_SECONDS:
            self._values.clear()
            self._since = now
        value = self._values.get(key)
        if value is None:
            if len(self._values) >= RECENT:
                self._values.clear()
                self._since = now
            value = self._values[key] = make(key)
        return value

    def __contains__(self, key: str) -> bool:
        return key in self._values


def _callback_url(request: Request) -> str:
    return f"{str(request.base_url).rstrip('/')}/login/callback"


def _framed(request: Request) -> bool:
    """The page is shown in another site's frame (a navigation says so; chat.js says so)."""
    headers = request.headers
    return headers.get("sec-fetch-dest") == "iframe" or headers.get("x-ke-framed") == "1"


def _address(request: Request) -> str:
    """The address the limits count per: an IPv4 address, or the /64 network of an IPv6 one
    (one subscriber's line holds a whole /64, so counting single IPv6 addresses would give a
    resume-code guesser 2^64 fresh allowances)."""
    host = request.client.host if request.client else "unknown"
    if ":" not in host:
        return host
    try:
        ip = ipaddress.IPv6Address(host)
    except ValueError:
        return host
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, 64), strict=False))
