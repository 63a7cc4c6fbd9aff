"""Reading a referral JSON file given on the command line (`validate`, `file`)."""

from __future__ import annotations

import json
from typing import Any


def load_referral_json(path: str) -> tuple[dict[str, Any] | None, str]:
    """The file's JSON object, or None and the message key saying why not."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return None, "file_unreadable"
    try:
        data = json.loads(raw.decode("utf-8-sig"))  # a BOM from Windows editors is harmless
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "file_not_json"
    if not isinstance(data, dict):
        return None, "file_not_object"
    return data, ""
