"""`ke-intake validate FILE.json`: judge a referral file as the inbox would.

Exit 0 and one OK line for a valid referral; exit 1 and one `field.id: message` line per problem;
exit 2 when the file cannot be read or is not a JSON object. Messages are built from message keys
only, so nothing the file contains (a national id, a name) is ever echoed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from bot.referral_file import load_referral_json
from intake.texts import LANGUAGES, language_or_default


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a referral JSON file against the schema and the rules",
        description="Check a referral JSON file against the schema and REFERRAL.md's rules.",
    )
    parser.add_argument("file", metavar="FILE.json", help="the referral as JSON")
    parser.add_argument(
        "--allow-synthetic",
        action="store_true",
        help="accept synthetic national ids (Tenor, H- and NAV test numbers)",
    )
    parser.add_argument(
        "--on",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="judge age-dependent rules as of this date (default: today)",
    )
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="message language (default: the KE_LANGUAGE setting, else nb)",
    )
    parser.set_defaults(handler=run)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected a date as YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bot.settings import Settings
    from intake.kommuner import kommune_name
    from intake.messages import message
    from intake.rules import Policy, validate_referral

    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. KE_CONSENT_AGE=sixteen
        names = ", ".join(sorted({"KE_" + str(e["loc"][0]).upper() for e in exc.errors()}))
        print(message("settings_invalid", args.lang or "nb", names=names), file=sys.stderr)
        return 2
    lang = args.lang or language_or_default(settings.language)
    data, problem = load_referral_json(args.file)
    if data is None:
        print(f"{args.file}: {message(problem, lang)}", file=sys.stderr)
        return 2
    policy = Policy(
        today=args.on or dt.date.today(),
        allow_synthetic=args.allow_synthetic or settings.allow_synthetic_ids,
        consent_age=settings.consent_age,
    )
    referral, violations = validate_referral(data, policy)
    if referral is None or violations:
        for v in violations:
            print(f"{v.field}: {message(v.key, lang, **v.params)}")
        return 1
    name = kommune_name(referral.kommune)
    print(message("validate_ok", lang, kommune=f"{referral.kommune} {name}"))
    return 0
