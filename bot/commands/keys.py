"""`ke-intake keys generate|add|list|retire|rewrap`: the KE's recipient keys.

`generate` runs on a KE workstation and writes a passphrase-protected private key (Argon2id) and
its public key; `add` registers the public key with the inbox, so new referrals to that kommune
are sealed to it; `rewrap` re-seals envelopes that are not on the kommune's current keys (after a
rotation) and needs an old private key that opens them. Every change is in the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import Any

from intake.texts import LANGUAGES

MIN_PASSPHRASE = 8
# Texts the inbox commands say as well; the others are `keys.<name>` in bot/staff/texts/.
_SHARED = frozenset({"no_terminal", "key_error", "passphrase_prompt"})


def _t(key: str, lang: str, **params: Any) -> str:
    from bot.staff.texts import t

    return t(key if key in _SHARED else f"keys.{key}", lang, **params)


def register(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang", choices=LANGUAGES, default="nb", help="message language (default nb)"
    )
    parser = subparsers.add_parser(
        "keys", help="KE recipient keys: generate, add, list, retire, rewrap"
    )
    sub = parser.add_subparsers(dest="keys_command", required=True, metavar="ACTION")

    gen = sub.add_parser("generate", parents=[common], help="make a KE key pair (KE workstation)")
    gen.add_argument("--kommune", required=True, help="kommune number (or name)")
    gen.add_argument("--out", required=True, metavar="DIR", help="folder for the two key files")
    gen.set_defaults(handler=run_generate)

    add = sub.add_parser("add", parents=[common], help="register a KE public key with the inbox")
    add.add_argument("--kommune", required=True, help="kommune number (or name)")
    add.add_argument("public_key", metavar="PUBLIC_KEY_FILE")
    add.add_argument(
        "--replace",
        action="store_true",
        help="retire the kommune's other keys: new referrals use only this one (rotation)",
    )
    add.add_argument("--by", default=None, metavar="NAME", help="staff name for the audit log")
    add.set_defaults(handler=run_add)

    lst = sub.add_parser("list", parents=[common], help="list registered keys")
    lst.add_argument("--kommune", help="only this kommune")
    lst.set_defaults(handler=run_list)

    retire = sub.add_parser("retire", parents=[common], help="stop sealing new referrals to a key")
    retire.add_argument("--kommune", required=True)
    retire.add_argument("key_id", metavar="KEY_ID")
    retire.add_argument("--by", default=None, metavar="NAME", help="staff name for the audit log")
    retire.set_defaults(handler=run_retire)

    rewrap = sub.add_parser(
        "rewrap", parents=[common], help="re-seal old envelopes to the current keys"
    )
    rewrap.add_argument("--key", required=True, metavar="PRIVATE_KEY_FILE", help="an old key")
    rewrap.add_argument("--by", default=None, metavar="NAME", help="staff name for the audit log")
    rewrap.set_defaults(handler=run_rewrap)


def _kommune(raw: str, lang: str) -> str | None:
    from intake.errors import FieldError
    from intake.kommuner import validate_kommune
    from intake.messages import message

    try:
        return validate_kommune(raw)
    except FieldError as exc:
        print(f"--kommune: {message(exc.key, lang, **exc.params)}", file=sys.stderr)  # type: ignore[arg-type]
        return None


def _passphrase(lang: str, *, confirm: bool) -> bytes | None:
    from_env = os.environ.get("KE_KEY_PASSPHRASE")
    if from_env is not None:
        phrase = from_env
    else:
        if not sys.stdin.isatty():
            print(_t("no_terminal", lang), file=sys.stderr)
            return None
        phrase = getpass.getpass(_t("passphrase_prompt", lang))
        if confirm and getpass.getpass(_t("passphrase_again", lang)) != phrase:
            print(_t("passphrase_mismatch", lang), file=sys.stderr)
            return None
    if confirm and len(phrase) < MIN_PASSPHRASE:
        print(_t("passphrase_short", lang, n=MIN_PASSPHRASE), file=sys.stderr)
        return None
    return phrase.encode()


def _actor(by: str | None) -> str:
    return by or getpass.getuser()


def _key_error(lang: str, exc: Exception) -> int:
    print(f"{_t('key_error', lang)} ({exc})", file=sys.stderr)
    return 1


def run_generate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from storage.crypto.envelope import key_id
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import generate_recipient_key, save_private_key, save_public_key

    lang = args.lang
    kommune = _kommune(args.kommune, lang)
    if kommune is None:
        return 1
    passphrase = _passphrase(lang, confirm=True)
    if passphrase is None:
        return 1
    key = generate_recipient_key()
    kid = key_id(key.public_key())
    out = Path(args.out)
    private, public = out / f"ke-{kommune}-{kid}.key", out / f"ke-{kommune}-{kid}.pub"
    try:
        save_private_key(private, key, passphrase, kommune)
        save_public_key(public, key.public_key(), kommune)
    except (KeyFileError, OSError) as exc:
        return _key_error(lang, exc)
    print(_t("generated", lang, kommune=kommune, key_id=kid, private=private, public=public))
    return 0


def run_add(args: argparse.Namespace) -> int:
    from bot.bootstrap import App
    from storage.crypto.envelope import key_id
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import load_public_key

    lang = args.lang
    kommune = _kommune(args.kommune, lang)
    if kommune is None:
        return 1
    try:
        found, public = load_public_key(args.public_key)
    except (KeyFileError, OSError) as exc:
        return _key_error(lang, exc)
    if found != kommune:
        print(_t("kommune_mismatch", lang, found=found, kommune=kommune), file=sys.stderr)
        return 1
    kid = key_id(public)
    app = App.from_settings(intake_side=False)
    try:
        before = {k.key_id for k in app.inbox.recipient_keys(kommune)}
        added = app.inbox.add_recipient_key(
            kommune,
            kid,
            public.public_bytes_raw(),
            app.clock(),
            actor=_actor(args.by),
            replace=args.replace,
        )
    finally:
        app.close()
    print(_t("added" if added else "already", lang, key_id=kid, kommune=kommune))
    retired = sorted(before - {kid}) if args.replace else []
    if retired:
        print(_t("retired_others", lang, keys=", ".join(retired)))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from bot.bootstrap import App

    lang = args.lang
    kommune = None
    if args.kommune:
        kommune = _kommune(args.kommune, lang)
        if kommune is None:
            return 1
    app = App.from_settings(intake_side=False)
    try:
        keys = [k for k in app.inbox.all_recipient_keys() if kommune in (None, k.recipient)]
    finally:
        app.close()
    if not keys:
        print(_t("no_keys", lang))
        return 0
    for k in keys:
        state = _t("retired_state" if k.retired else "active", lang)
        added = k.added_at.strftime("%Y-%m-%d %H:%M UTC")
        print(f"{k.recipient}\t{k.key_id}\t{added}\t{state}")
    return 0


def run_retire(args: argparse.Namespace) -> int:
    from bot.bootstrap import App

    lang = args.lang
    kommune = _kommune(args.kommune, lang)
    if kommune is None:
        return 1
    app = App.from_settings(intake_side=False)
    try:
        done = app.inbox.retire_recipient_key(
            kommune, args.key_id, actor=_actor(args.by), at=app.clock()
        )
    finally:
        app.close()
    if not done:
        print(_t("not_registered", lang, key_id=args.key_id, kommune=kommune), file=sys.stderr)
        return 1
    print(_t("retired", lang, key_id=args.key_id, kommune=kommune))
    return 0


def run_rewrap(args: argparse.Namespace) -> int:
    from bot.bootstrap import App
    from storage.crypto.errors import KeyFileError
    from storage.crypto.keys import load_private_key
    from storage.inbox.rewrap import rewrap_inbox

    lang = args.lang
    passphrase = _passphrase(lang, confirm=False)
    if passphrase is None:
        return 1
    try:
        private = load_private_key(args.key, passphrase)
    except (KeyFileError, OSError) as exc:
        return _key_error(lang, exc)
    app = App.from_settings()
    try:
        assert app.signing_key is not None
        counts = rewrap_inbox(
            app.inbox,
            private_key=private,
            verify_keys=app.verify_keys,
            signing_key=app.signing_key,
            actor=_actor(args.by),
            rewrap_note=_note_rewrapper(app, private),
        )
    finally:
        app.close()
    print(_t("rewrapped", lang, **counts))
    return 0


def _note_rewrapper(app: Any, private: Any) -> Any:
    """Staff notes are sealed in the staff tools' own wrapping; re-seal them through its
    functions: open with the old key, seal again to the kommune's current keys."""
    from bot.staff.access import note_verify_keys, open_note, seal_note

    def rewrap(record: Any, event: Any) -> bytes | None:
        signers = note_verify_keys(app, event.at)
        payload = open_note(event.note_envelope, record, private, signers)
        return None if payload is None else seal_note(app, record, payload, event.at)

    return rewrap
