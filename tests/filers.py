"""Stand-ins for `App.file` where a test is about a channel, not the inbox: they record what
they were given and answer with a receipt, or raise what the test tells them to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from intake.filing import Receipt


@dataclass
class RecordingFiler:
    """Files everything (references KE-TEST-0001, ...) unless `fail` is set: then it raises
    `fail` (an exception instance) or, when `fail` is True, a RuntimeError."""

    filed: list[tuple[Any, list[tuple[Any, bytes]], str]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: bool | BaseException = False

    def file(
        self,
        referral: Any,
        *,
        channel: str,
        language: str,
        idempotency_key: str | None,
        attachments: Any = (),
    ) -> Receipt:
        self.calls.append({"channel": channel, "language": language, "key": idempotency_key})
        if isinstance(self.fail, BaseException):
            raise self.fail
        if self.fail:
            raise RuntimeError("inbox unavailable")
        self.filed.append((referral, list(attachments), channel))
        return Receipt(f"KE-TEST-{len(self.filed):04d}", dt.datetime.now(dt.UTC), False)
