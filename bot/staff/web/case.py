"""One referral: everything the PDF shows, plus age, language, identity, attachments, the
status history with notes, possible duplicates, the § 11a warning; and the actions on it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.staff import casework
from bot.staff.access import (
    Opened,
    StaffError,
    case_info,
    note_verify_keys,
    open_note,
    open_referral,
)
from bot.staff.accounts import Account
from bot.staff.cases import duplicates
from bot.staff.history import full_case_info
from bot.staff.reading import EXTENSIONS, export_json, history_problems
from bot.staff.team import actor_name
from bot.staff.web.app import Redirect, Web
from bot.staff.web.data import interim_answered, summaries, visible, waiting
from bot.staff.web.sessions import Session
from bot.staff.web.wording import staff_text
from bot.staff.workflow import TRANSITIONS
from storage.inbox import OUTCOMES, InboxRecord, StatusEvent
from storage.render import Labels, identity_verified, referral_pdf
from storage.render.document import build_document
from storage.render.formatting import OSLO


@dataclass(frozen=True)
class HistoryLine:
    event: StatusEvent
    kind: str  # "status", "note" or "reopen"
    note: str | None
    interim: bool
    unreadable: bool


def _record(web: Web, account: Account, reference: str) -> InboxRecord:
    record = web.app.inbox.get(reference.upper())
    if record is None or record.recipient not in account.recipients:
        raise HTTPException(404)
    return record


def _history_warning(web: Web, record: InboxRecord, lang: str) -> str | None:
    """What the status chain says about an altered history (as `inbox show` says it)."""
    from bot.staff.texts import t

    found = history_problems(web.app, record, lang)
    if found is None:
        return None
    return t("history_altered_show", lang, reference=record.reference, problems=found)


def _history(
    web: Web, record: InboxRecord, events: list[StatusEvent], session: Session
) -> list[HistoryLine]:
    assert session.private_key is not None
    lines = []
    previous: tuple[str, str | None] | None = None
    for event in events:
        note = None
        payload: dict[str, Any] | None = None
        if event.note_envelope is not None:
            signers = note_verify_keys(web.app, event.at)
            payload = open_note(event.note_envelope, record, session.private_key, signers)
            text = payload.get("note") if payload else None
            note = text if isinstance(text, str) else None
        kind = payload.get("kind") if payload else None
        if kind not in ("status", "note", "reopen"):
            same = previous == (event.status, event.outcome)
            kind = "note" if same and event.note_envelope is not None else "status"
        lines.append(
            HistoryLine(
                event,
                str(kind),
                note,
                bool(payload and payload.get("interim")),
                event.note_envelope is not None and payload is None,
            )
        )
        previous = (event.status, event.outcome)
    return lines


def routes(web: Web) -> list[Route]:
    def page(
        request: Request,
        session: Session,
        account: Account,
        record: InboxRecord,
        *,
        error: tuple[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        assert session.private_key is not None
        lang = web.lang(request)
        try:
            opened = open_referral(web.app, record, session.private_key)
        except StaffError as exc:
            return web.render(
                request, "error.html", session, 403, message_text=staff_text(exc, lang)
            )
        web.app.inbox.log_access(record.reference, "open", actor_name(account), web.now())
        info = case_info(web.app, record)
        document = build_document(opened.referral, info, Labels(lang))  # type: ignore[arg-type]
        records = visible(web, account)
        opened_all = summaries(web, session, records)
        summary = opened_all.get(record.reference)
        dupes = duplicates(list(opened_all.values())).get(record.reference, [])
        events = web.app.inbox.status_events(record.reference)
        flash = list(session.flash)
        session.flash.clear()
        return web.render(
            request,
            "case.html",
            session,
            status_code,
            record=record,
            document=document,
            summary=summary,
            referral=opened.referral,
            attachments=_attachments(opened),
            history=_history(web, record, events, session),
            history_warning=_history_warning(web, record, lang),
            duplicates=dupes,
            waiting=waiting(web, record, interim_answered(web)),
            identity_verified=identity_verified(record.channel),
            next_statuses=sorted(TRANSITIONS.get(record.status, frozenset())),
            outcomes=OUTCOMES,
            staff_names=[a.name for a in web.store.active()],
            error=error,
            flash=flash,
            today=web.now().astimezone(OSLO).date(),
        )

    async def show(request: Request) -> Response:
        session, account = web.guard(request, unlocked=True)
        record = _record(web, account, request.path_params["reference"])
        return page(request, session, account, record)

    def action(name: str, run: Any, *, leader: bool = False) -> Any:
        async def handler(request: Request) -> Response:
            session, account = web.guard(request, unlocked=True, leader=leader)
            form = await web.form(request, session)
            form["_lang"] = web.lang(request)
            record = _record(web, account, request.path_params["reference"])
            try:
                done = run(record, form, account, session)
            except StaffError as exc:
                message = staff_text(exc, web.lang(request))
                return page(
                    request, session, account, record, error=(name, message), status_code=400
                )
            if isinstance(done, Response):
                return done
            session.flash.append(done)
            raise Redirect("/" if name == "delete" else f"/case/{record.reference}")

        return handler

    def do_status(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        status = casework.status_code(form.get("status", ""))
        outcome = casework.outcome_code(form.get("outcome")) if status == "closed" else None
        casework.change_status(
            web.app, record, status, outcome, form.get("note", ""), actor_name(account), web.now()
        )
        return "done_status"

    def do_assign(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        note = form.get("note", "").strip() or form.get("coordinator", "")
        casework.assign(
            web.app, record, form.get("coordinator", ""), actor_name(account), web.now(), note
        )
        return "done_assign"

    def do_note(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        interim = form.get("interim") == "1"
        casework.add_note(
            web.app, record, form.get("note", ""), actor_name(account), web.now(), interim=interim
        )
        return "done_note"

    def do_reopen(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        casework.reopen(web.app, record, form.get("note", ""), actor_name(account), web.now())
        return "done_reopen"

    def do_withdraw(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        casework.withdraw(web.app, record, form.get("note", ""), actor_name(account), web.now())
        return "done_withdraw"

    def do_delete(record: InboxRecord, form: dict[str, str], account: Account, _: Session) -> str:
        if form.get("confirm") != "1":
            raise StaffError("delete_confirm")
        casework.delete(web.app, record, actor_name(account), web.now())
        return "done_delete"

    def do_export(
        record: InboxRecord, form: dict[str, str], account: Account, session: Session
    ) -> Response:
        assert session.private_key is not None
        fmt = form.get("format")
        if fmt not in ("pdf", "json"):
            raise StaffError("export_format")
        opened = open_referral(web.app, record, session.private_key)
        web.app.inbox.log_access(record.reference, "export", actor_name(account), web.now())
        if fmt == "pdf":
            lang = form.get("_lang", "nb")
            data = referral_pdf(
                opened.referral,
                full_case_info(web.app, opened, session.private_key, lang, web.now()),
                language=lang if lang in ("nb", "nn", "en") else "nb",  # type: ignore[arg-type]
            )
            media = "application/pdf"
        else:
            data = export_json(web.app, record, opened.referral)
            media = "application/json"
        return _download(data, media, f"{record.reference}.{fmt}")

    def do_attachment(
        record: InboxRecord, form: dict[str, str], account: Account, session: Session
    ) -> Response:
        assert session.private_key is not None
        opened = open_referral(web.app, record, session.private_key)
        try:
            n = int(form.get("n", ""))
            meta = opened.referral.attachments[n - 1]
        except (ValueError, IndexError):
            raise StaffError("attachment_unknown") from None
        content = opened.attachments.get(meta.sha256)
        if content is None or n < 1:
            raise StaffError("attachment_unknown")
        web.audit("attachment_downloaded", account, record.reference, {"n": n})
        # Named after the reference, never the uploaded name: file names may be personal.
        name = f"{record.reference}-vedlegg-{n}{EXTENSIONS.get(meta.media_type, '')}"
        return _download(content, meta.media_type, name)

    return [
        Route("/case/{reference}", show, methods=["GET"]),
        Route("/case/{reference}/status", action("status", do_status), methods=["POST"]),
        Route("/case/{reference}/assign", action("assign", do_assign), methods=["POST"]),
        Route("/case/{reference}/note", action("note", do_note), methods=["POST"]),
        Route("/case/{reference}/reopen", action("reopen", do_reopen), methods=["POST"]),
        Route("/case/{reference}/withdraw", action("withdraw", do_withdraw), methods=["POST"]),
        Route(
            "/case/{reference}/delete", action("delete", do_delete, leader=True), methods=["POST"]
        ),
        Route("/case/{reference}/export", action("export", do_export), methods=["POST"]),
        Route(
            "/case/{reference}/attachment", action("attachment", do_attachment), methods=["POST"]
        ),
    ]


def _attachments(opened: Opened) -> list[tuple[int, Any, bool]]:
    return [
        (n, meta, meta.sha256 in opened.attachments)
        for n, meta in enumerate(opened.referral.attachments, start=1)
    ]


def _download(data: bytes, media_type: str, filename: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "cache-control": "no-store",
        },
    )
