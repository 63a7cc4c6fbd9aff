"""`ke-intake staff add|list|remove` (KE staff accounts, each with their own key) and
`ke-intake staff-web` (the staff inbox in the browser). Both run on the KE's side only.

`staff note-key export FILE` writes this workstation's note verification key; `staff note-key
register FILE --owner NAME` on another workstation of the same KE trusts the notes it signs (the
registry of note keys, bot.staff.access.NoteSigners; the registration is in the audit log).

`staff add` asks the new person for their passphrase (it encrypts their private key, Argon2id)
and their login password, then prints the TOTP link for their authenticator app; scripts set
KE_KEY_PASSPHRASE and KE_STAFF_PASSWORD. `staff remove` retires the person's key and re-seals
every referral to the others with the remover's key (`--by`, whose passphrase is asked).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.bootstrap import App

PASSWORD_ENV = "KE_STAFF_PASSWORD"  # noqa: S105 - the name of a variable


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "staff", help="KE staff accounts, each with their own key: add, list, remove"
    )
    sub = parser.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=("nb", "nn", "en"), default="nb")

    p = sub.add_parser("add", parents=[common], help="add a person with a new key pair")
    p.add_argument("username")
    p.add_argument("--name", required=True, help="full name, as the audit log shows it")
    p.add_argument("--role", choices=("saksbehandler", "leder"), default="saksbehandler")
    p.add_argument(
        "--kommune", action="append", required=True, metavar="K", help="KE served (repeatable)"
    )
    p.add_argument("--oidc-subject", metavar="SUB", help="the person's id at the identity provider")
    p.add_argument(
        "--no-password", action="store_true", help="OpenID Connect login only (no password/TOTP)"
    )
    p.set_defaults(handler=_run(_add))

    p = sub.add_parser("list", parents=[common], help="list staff accounts")
    p.set_defaults(handler=_run(_list))

    p = sub.add_parser(
        "remove", parents=[common], help="remove a person; re-seal everything to the others"
    )
    p.add_argument("username")
    p.add_argument("--by", required=True, metavar="USERNAME", help="who removes (their key)")
    p.set_defaults(handler=_run(_remove))

    p = sub.add_parser(
        "notify", parents=[common], help="send one content-free notice round by SMTP (cron)"
    )
    p.set_defaults(handler=_run(_notify))

    p = sub.add_parser(
        "note-key", help="note signing keys: export this workstation's, register another's"
    )
    note_keys = p.add_subparsers(dest="note_key_command", required=True, metavar="ACTION")
    p = note_keys.add_parser(
        "export", parents=[common], help="write this workstation's note verification key"
    )
    p.add_argument("file", type=Path)
    p.set_defaults(handler=_run(_note_key_export))
    p = note_keys.add_parser(
        "register", parents=[common], help="trust notes signed by another workstation's key"
    )
    p.add_argument("file", type=Path, help="the file `note-key export` wrote there")
    p.add_argument("--owner", required=True, help="whose key it is, as the registry records")
    p.set_defaults(handler=_run(_note_key_register))

    web = subparsers.add_parser("staff-web", help="the KE staff inbox in the browser (KE side)")
    web.add_argument("--host", default="127.0.0.1")
    web.add_argument("--port", type=int, default=8090)
    web.set_defaults(handler=_serve)


def _secret(env: str, prompt: str, *, confirm: bool) -> str | None:
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass(prompt) != first:
        return None
    return first


def _run(action: Any) -> Any:
    def handler(args: argparse.Namespace) -> int:
        from bot.bootstrap import App
        from bot.staff.access import StaffError
        from bot.staff.accounts import AccountStore
        from bot.staff.web.wording import staff_text

        app = App.from_settings(intake_side=False)
        try:
            store = AccountStore(app.settings.data_dir / "staff")
            code: int = action(app, store, args)
            return code
        except StaffError as exc:
            print(staff_text(exc, args.lang), file=sys.stderr)
            return 1
        finally:
            app.close()

    return handler


def _add(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.access import StaffError
    from bot.staff.team import add_staff
    from bot.staff.texts import t

    passphrase = _secret("KE_KEY_PASSPHRASE", "Passordfrase for nøkkelen: ", confirm=True)
    if passphrase is None:
        raise StaffError("no_terminal")
    password = None
    if not args.no_password:
        password = _secret(PASSWORD_ENV, "Passord for innlogging: ", confirm=True)
        if password is None:
            raise StaffError("no_terminal")
    added = add_staff(
        app,
        store,
        username=args.username,
        name=args.name,
        role=args.role,
        recipients=tuple(args.kommune),
        passphrase=passphrase.encode(),
        password=password,
        oidc_subject=args.oidc_subject,
        by=f"staff add ({getpass.getuser()})",
        now=datetime.now(UTC),
    )
    a = added.account
    app.inbox.log_event(
        "staff_added",
        f"staff add ({getpass.getuser()})",
        None,
        {"username": a.username, "role": a.role, "key_id": a.key_id},
    )
    print(t("staff_added", args.lang, name=a.name, username=a.username, key_id=a.key_id))
    if added.totp_uri:
        print(t("staff_totp_uri", args.lang, uri=added.totp_uri))
    return 0


def _list(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.web.wording import wt

    for a in store.all():
        state = "" if a.active else f"  ({wt('staff_removed_state', args.lang)})"
        role = wt(f"role_{a.role}", args.lang)
        kommuner = ",".join(a.recipients)
        print(f"{a.username:<16} {a.name:<28} {role:<15} {kommuner:<10} {a.key_id}{state}")
    return 0


def _remove(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.access import StaffError
    from bot.staff.team import actor_name, remove_staff
    from bot.staff.texts import t

    by = store.get(args.by)
    if by is None or not by.active:
        raise StaffError("staff_unknown", username=args.by)
    if by.username == args.username.strip().lower():
        raise StaffError("staff_not_self")
    passphrase = _secret("KE_KEY_PASSPHRASE", "Passordfrase for nøkkelen din: ", confirm=False)
    if passphrase is None:
        raise StaffError("no_terminal")
    key = store.load_private_key(by, passphrase.encode())
    counts = remove_staff(
        app, store, args.username, private_key=key, by=actor_name(by), now=datetime.now(UTC)
    )
    app.inbox.log_event(
        "staff_removed", actor_name(by), None, {"username": args.username, **counts}
    )
    print(t("staff_removed", args.lang, username=args.username, **counts))
    return 0


def _notify(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.notices import notify_once

    recipients = sorted({r for a in store.active() for r in a.recipients})
    round_ = notify_once(app, recipients, datetime.now(UTC))
    print(f"{len(round_.new)} new, {len(round_.waited)} waiting")
    return 0


def _note_key_export(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.access import StaffError, note_signing_key
    from bot.staff.texts import t
    from storage.crypto.envelope import key_id
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import save_verify_key

    public = note_signing_key(app).public_key()
    try:
        save_verify_key(args.file, public)
    except KeyFileError:
        raise StaffError("out_exists", path=str(args.file)) from None
    print(t("note_key_exported", args.lang, key_id=key_id(public), path=args.file))
    return 0


def _note_key_register(app: App, store: Any, args: argparse.Namespace) -> int:
    from bot.staff.access import NoteSigners, StaffError
    from bot.staff.texts import t
    from storage.crypto.envelope import key_id
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import load_verify_key

    try:
        key = load_verify_key(args.file)
    except KeyFileError:
        raise StaffError("note_key_unreadable", path=str(args.file)) from None
    kid, owner = key_id(key), args.owner.strip()
    if not owner:
        raise StaffError("empty_name")
    signers = NoteSigners.of(app)
    if not signers.register(key, owner, datetime.now(UTC)):
        if kid not in signers.keys_at(None):
            raise StaffError("note_key_retired", key_id=kid)
        print(t("note_key_known", args.lang, key_id=kid))
        return 0
    actor = f"staff note-key ({getpass.getuser()})"
    app.inbox.log_event("note_key_registered", actor, None, {"key_id": kid, "owner": owner})
    print(t("note_key_registered", args.lang, key_id=kid, owner=owner))
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.bootstrap import App
    from bot.staff.web.app import WebConfig, create_app
    from bot.staff.web.guards import is_loopback

    app = App.from_settings(intake_side=False)
    settings = app.settings
    oidc = None
    if settings.staff_oidc_issuer and settings.staff_oidc_client_id:
        from bot.staff.web.oidc import OidcLogin

        secret = settings.staff_oidc_client_secret
        oidc = OidcLogin(
            issuer=settings.staff_oidc_issuer,
            client_id=settings.staff_oidc_client_id,
            client_secret=secret.get_secret_value() if secret else "",
            claim=settings.staff_oidc_claim,
        )
    from datetime import timedelta

    config = WebConfig(
        idle=timedelta(minutes=settings.staff_idle_minutes),
        secure_cookies=not is_loopback(args.host),
        oidc=oidc,
        notice_interval=(
            settings.notice_interval_seconds if settings.smtp_host and settings.notice_to else None
        ),
    )
    web = create_app(app, config=config)
    try:
        uvicorn.run(web, host=args.host, port=args.port, log_level="info", access_log=True)
    finally:
        app.close()
    return 0
