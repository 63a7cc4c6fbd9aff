"""`ke-intake schema`: print the referral's JSON Schema (schema version 1)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "schema",
        help="print the referral's JSON Schema",
        description="Print the JSON Schema of a referral (canonical field ids, REFERRAL.md).",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from intake.model import json_schema

    try:
        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
        sys.stdout.flush()
    except BrokenPipeError:  # `ke-intake schema | head` is a normal way to read it
        sys.stderr.close()
    return 0
