"""`ke-intake inbox ...`: the KE staff's tools on a workstation that holds the private key.

Reading commands that need no key: `list`, `stats` (without --key), `audit-verify`.
Opening commands (audit-logged): `show`, `export`, `stats --key`.
Case work (audit-logged, notes sealed to the KE keys): `status`, `assign`, `purge`.
Every error is one line on stderr and a non-zero exit code; staff text is in bokmål unless
`--lang nn|en`.
"""

from __future__ import annotations

import argparse
from typing import Any

from intake.texts import LANGUAGES

STATUSES = ("received", "in_review", "coordinator_appointed", "closed")
OUTCOMES = ("plan_started", "coordinator_only", "declined", "forwarded", "withdrawn")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inbox",
        help="the KE inbox: list, show, search, export, status, assign, reopen, stats, audit",
        description="Work with the sealed KE inbox (staff side).",
    )
    sub = parser.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="staff language (default nb)"
    )
    key_help = "the KE private key file (passphrase from KE_KEY_PASSPHRASE or a prompt)"
    keyed = argparse.ArgumentParser(add_help=False)
    keyed.add_argument("--key", metavar="FILE", required=True, help=key_help)
    key_optional = argparse.ArgumentParser(add_help=False)
    key_optional.add_argument("--key", metavar="FILE", help=key_help)
    by_optional = argparse.ArgumentParser(add_help=False)
    by_optional.add_argument(
        "--by", metavar="NAME", help="staff name for the audit log (default: login name)"
    )
    by_required = argparse.ArgumentParser(add_help=False)
    by_required.add_argument("--by", metavar="NAME", required=True, help="staff name")

    p = sub.add_parser("list", parents=[common], help="list referrals (no key needed)")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--kommune", metavar="K", help="kommune number or name, or a KE id")
    p.set_defaults(handler=_run("list"))

    p = sub.add_parser(
        "show", parents=[common, keyed, by_optional], help="open and show a referral"
    )
    p.add_argument("reference", metavar="REF")
    p.set_defaults(handler=_run("show"))

    p = sub.add_parser(
        "export",
        parents=[common, keyed, by_optional],
        help="export a referral as JSON or a PDF laid out like the referral form",
    )
    p.add_argument("reference", metavar="REF")
    p.add_argument("--format", choices=("json", "pdf"), required=True)
    p.add_argument("--out", metavar="FILE", required=True)
    p.add_argument(
        "--attachments",
        action="store_true",
        help="also write the attachments beside FILE (FILE-vedlegg-N.ext)",
    )
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(handler=_run("export"))

    p = sub.add_parser(
        "status", parents=[common, by_required], help="change the status (with a sealed note)"
    )
    p.add_argument("reference", metavar="REF")
    p.add_argument(
        "status", metavar="STATUS", help="the code or the Norwegian word: " + ", ".join(STATUSES)
    )
    p.add_argument(
        "--outcome", metavar="O", help=f"with closed (code or word): {', '.join(OUTCOMES)}"
    )
    p.add_argument("--note", metavar="TEXT", required=True, help="why (sealed to the KE keys)")
    p.set_defaults(handler=_run("status"))

    p = sub.add_parser(
        "reopen", parents=[common, by_required], help="reopen a closed case (with a reason)"
    )
    p.add_argument("reference", metavar="REF")
    p.add_argument("--note", metavar="TEXT", required=True, help="why (sealed to the KE keys)")
    p.set_defaults(handler=_run("reopen"))

    p = sub.add_parser(
        "search",
        parents=[common, keyed, by_optional],
        help="find referrals by name, national id or reference (logged, never the query)",
    )
    p.add_argument("query", metavar="QUERY")
    p.add_argument("--kommune", metavar="K", help="kommune number or name, or a KE id")
    p.set_defaults(handler=_run("search"))

    p = sub.add_parser("audit", parents=[common], help="the audit log as a table, verified")
    p.add_argument("--reference", metavar="REF")
    p.add_argument("--actor", metavar="NAME", help="part of the name")
    p.add_argument("--action", metavar="ACTION")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="only the last N")
    p.set_defaults(handler=_run("audit"))

    p = sub.add_parser("assign", parents=[common, by_required], help="appoint a coordinator")
    p.add_argument("reference", metavar="REF")
    p.add_argument("--coordinator", metavar="NAME", required=True)
    p.set_defaults(handler=_run("assign"))

    p = sub.add_parser(
        "stats",
        parents=[common, key_optional, by_optional],
        help="the KE overview (request types only with --key, which opens and logs each one)",
    )
    p.add_argument("--kommune", metavar="K", help="kommune number or name, or a KE id")
    p.set_defaults(handler=_run("stats"))

    p = sub.add_parser(
        "purge",
        parents=[common, by_required],
        help="crypto-shred withdrawn referrals and closed ones past retention",
    )
    p.add_argument("--retention-days", type=int, default=90, metavar="DAYS")
    p.set_defaults(handler=_run("purge"))

    p = sub.add_parser("audit-verify", parents=[common], help="verify the audit log's chain")
    p.set_defaults(handler=_run("audit-verify"))


def _run(action: str) -> Any:
    def handler(args: argparse.Namespace) -> int:
        from bot.staff.cli import run

        return run(action, args)

    return handler
