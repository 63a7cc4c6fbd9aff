"""The terminal's filings under way, kept so that killing `ke-intake chat` mid-filing loses
nothing and sends nothing twice.

The terminal keeps no unfinished conversation (the person is at the screen; end of input sends
nothing). Only while a filing runs is the engine's state kept, encrypted, in the draft file
beside the inbox (`drafts.sqlite3`, kind `terminal`, `bot.runtime.drafts`), with the process
id; the outcome removes it. The next `ke-intake chat` on the same data directory takes up one
left by a process that is gone (`orphan`) before anything else: the engine files it again
under the same idempotency key (`engine.step` in mode "filing"), so the person gets the receipt
(the first filing's, if it reached the inbox) or the true message (not sent now: the
conversation goes on at its summary, and "send" tries again)."""

from __future__ import annotations

import asyncio
import json
import logging
import os

from bot.runtime.sweep import interrupted
from dialogues.state import State
from storage.drafts import EncryptedDrafts

log = logging.getLogger(__name__)

KIND = "terminal"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class Pending:
    def __init__(self, drafts: EncryptedDrafts) -> None:
        self.drafts = drafts

    def keep(self, state: State) -> None:
        """Before the filing: the state in mode "filing", under this process."""
        record = {"pid": os.getpid(), "engine": state.to_json()}
        asyncio.run(self.drafts.save(KIND, state.draft_id, json.dumps(record).encode()))
        log.info("terminal: filing, kept until its outcome")

    def done(self, state: State) -> None:
        """The filing has an outcome (shown to the person): nothing left to finish."""
        asyncio.run(self.drafts.delete(KIND, state.draft_id))

    def orphan(self) -> State | None:
        """A filing left by a process that is gone, taken over by this one (or None)."""
        for _key, raw in asyncio.run(self.drafts.items(KIND)):
            try:
                record = json.loads(raw)
                pid, engine_json = int(record["pid"]), str(record["engine"])
            except (ValueError, KeyError, TypeError):
                continue
            if _alive(pid) or not interrupted(engine_json):
                continue
            state = State.from_json(engine_json)
            self.keep(state)  # ours now: another terminal starting will not take it too
            log.info("terminal: an interrupted filing is taken up again")
            return state
        return None
