"""Where the private key's passphrase comes from on a KE workstation: `KE_KEY_PASSPHRASE`
(scripts, tests) or an interactive prompt that does not echo."""

from __future__ import annotations

import getpass
import os
import sys

from bot.staff.texts import t

ENV = "KE_KEY_PASSPHRASE"


def read_passphrase(lang: str) -> bytes | None:
    """The passphrase, or None when there is no way to ask (no variable, no terminal)."""
    from_env = os.environ.get(ENV)
    if from_env is not None:
        return from_env.encode()
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(t("passphrase_prompt", lang)).encode()


def default_actor(by: str | None) -> str:
    """Who the audit log names: `--by`, else the workstation's login name."""
    name = (by or "").strip()
    return name or getpass.getuser()
