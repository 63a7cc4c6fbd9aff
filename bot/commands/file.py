"""`ke-intake file REFERRAL.json`: file a referral from a file (service providers' systems,
scripts). Prints the reference on stdout.

Exit codes: 0 filed (or already filed under the same --idempotency-key); 1 the referral breaks a
rule (one `field.id: message` line per problem on stderr, nothing stored); 2 the file cannot be
read or is not a JSON object; 3 the receiving kommune has no registered KE key; 4 the inbox
(database or signing key) is not available.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.referral_file import load_referral_json
from intake.texts import LANGUAGES, Language

# intake.model.Channel's values, spelled out so building the parser stays cheap (a test checks);
# never a verified one: only a login can say who filed.
CHANNELS = ("terminal", "telegram", "rasa", "web", "file")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "file",
        help="file a referral from a JSON file into the KE inbox (prints the reference)",
        description="Validate, seal and file a referral JSON file; print its reference.",
    )
    parser.add_argument("file", metavar="REFERRAL.json", help="the referral as JSON")
    parser.add_argument(
        "--attach",
        action="append",
        default=[],
        metavar="FILE",
        help="an attachment the referral lists (matched by its sha256); repeatable",
    )
    parser.add_argument(
        "--allow-synthetic", action="store_true", help="accept synthetic national ids (tests)"
    )
    parser.add_argument(
        "--channel",
        default="file",
        choices=CHANNELS,
        help="the channel to record (default: file)",
    )
    parser.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="a retry with the same key files once and prints the same reference",
    )
    parser.add_argument("--demo", action="store_true", help="demo mode: demo KE key, synthetic ids")
    parser.add_argument(
        "--lang", choices=LANGUAGES, default="nb", help="message language (default nb)"
    )
    parser.set_defaults(handler=run)


def _attachments(data: dict[str, Any], paths: list[str]) -> tuple[list[Any], bool]:
    """(metadata, bytes) pairs for --attach files; False when a file matches no listed one."""
    import hashlib

    from pydantic import ValidationError

    from intake.model import Attachment

    listed = [a for a in data.get("attachments") or [] if isinstance(a, dict)]
    pairs: list[Any] = []
    for path in paths:
        with open(path, "rb") as handle:
            content = handle.read()
        digest = hashlib.sha256(content).hexdigest()
        meta = next((a for a in listed if a.get("sha256") == digest), None)
        if meta is None:
            return [], False
        try:
            pairs.append((Attachment.model_validate(meta), content))
        except ValidationError:
            continue  # validation of the referral reports the bad metadata
    return pairs, True


def run(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.bootstrap import App
    from bot.settings import Settings
    from intake.filing import InvalidReferral
    from intake.messages import message
    from storage.crypto.errors import KeyFileError, NoRecipientKeysError

    lang = args.lang
    data, problem = load_referral_json(args.file)
    if data is None:
        print(f"{args.file}: {message(problem, lang)}", file=sys.stderr)
        return 2
    try:
        attachments, matched = _attachments(data, args.attach)
    except OSError as exc:
        name = exc.filename or "?"
        print(message("attachment_unreadable", lang, name=name), file=sys.stderr)
        return 2
    if not matched:
        print(f"attachments: {message('attachment_mismatch', lang)}", file=sys.stderr)
        return 1

    settings = Settings()
    settings = settings.with_synthetic_ids(args.allow_synthetic)
    if args.demo:
        print(message("file_demo", lang), file=sys.stderr)
    try:
        app = App.from_settings(settings, demo=args.demo)
    except (SQLAlchemyError, KeyFileError) as exc:
        return _unavailable(lang, exc)
    try:
        receipt = app.file(
            data,
            channel=args.channel,
            language=lang,
            idempotency_key=args.idempotency_key,
            attachments=attachments,
        )
    except InvalidReferral as exc:
        for v in exc.violations:
            print(f"{v.field}: {message(v.key, lang, **v.params)}", file=sys.stderr)
        return 1
    except NoRecipientKeysError as exc:
        print(message("file_no_keys", lang, kommune=exc.recipient), file=sys.stderr)
        return 3
    except SQLAlchemyError as exc:
        return _unavailable(lang, exc)
    finally:
        app.close()
    print(receipt.reference)
    if receipt.duplicate:
        print(message("file_duplicate", lang), file=sys.stderr)
    return 0


def _unavailable(lang: Language, exc: Exception) -> int:
    from intake.messages import message

    # The exception's class only: driver messages may quote connection details.
    print(message("file_unavailable", lang, what=type(exc).__name__), file=sys.stderr)
    return 4
