"""`ke-intake diagram`: the dialogue flow as Mermaid, generated from the flow data."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "diagram",
        help="print (or write) the dialogue flow as a Mermaid diagram",
        description="Render dialogues/data/flow.json as Markdown with a Mermaid flowchart.",
    )
    parser.add_argument("--out", type=Path, help="write to this file, e.g. docs/FLOW.md")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from dialogues.diagram import markdown

    text = markdown()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0
