"""A logging filter that blanks anything that looks personal, as a safety net: the adapter logs
only update ids, step ids and timings, but a library (or a future edit) might not."""

from __future__ import annotations

import logging
import re

_PATTERNS = (
    re.compile(r"\b\d{11}\b"),  # national ids
    # Phone numbers with a country code or in spaced groups. A bare run of 8-10 digits is left
    # alone: update and message ids look exactly like that, and they are what we do log.
    re.compile(r"\+\d[\d ]{6,}\d"),
    re.compile(r"\b\d{2,3}(?: \d{2,3}){2,3}\b"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),  # e-mail addresses
    re.compile(r"bot\d+:[\w-]+"),  # bot tokens in URLs
    re.compile(r"\b\d+:[\w-]{20,}\b"),  # bare bot tokens
    re.compile(r"'text': '[^']*'|\"text\": \"[^\"]*\""),  # message text in dumped updates
)


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # Exception text can quote request parameters; keep only the type.
            record.exc_text = f"{type(record.exc_info[1]).__name__} (details redacted)"
            record.exc_info = None
        return True


def install(logger: logging.Logger | None = None) -> None:
    target = logger or logging.getLogger()
    if not target.handlers:
        target.addFilter(RedactingFilter())
    for handler in target.handlers:
        handler.addFilter(RedactingFilter())
