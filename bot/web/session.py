"""What the web keeps per conversation, and where: one encrypted draft per browser session in
the shared draft store (`storage.drafts.EncryptedDrafts`: memory in one process, Redis for
several workers), plus its companions under the same keys and expiry:

- `web:<session id>`: the `WebDraft` (engine state, transcript, the question shown now).
- `code:<resume code>`: the session id the code opens; the code moves the draft to a new session.
- `moved:<session id>`: a marker that the draft moved on (the old window is told so).
- `upload:<upload id>`: the bytes of an uploaded document until it is sealed with the referral.

The browser holds only the opaque session id, in an HttpOnly cookie set when the person sends
a first answer. Nothing in a storage key names a person: every id is hashed (IdHasher) first.

Resume codes: 10 characters of Crockford base32 (50 bits). With the per-address limit on tries
(`Settings.web_resume_limit` per 15 minutes) and codes expiring with their draft, guessing any
one of a million live codes takes on the order of 2^30 tries per success.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import orjson

from dialogues.types import Choice, Reply
from storage.counters import WindowCounter
from storage.drafts import EncryptedDrafts

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_LENGTH = 10
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
CODE_RENEW_SECONDS = 3600
LOG_LIMIT = 80  # transcript entries kept (the oldest drop off; the answers stay in the engine)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def parse_code(raw: str) -> str | None:
    """What a person typed (any case, spaces, dashes, O for 0) -> the code, or None."""
    cleaned = "".join(c for c in raw.upper() if c.isalnum()).translate(_CONFUSABLE)
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def reply_to_data(reply: Reply) -> dict[str, Any]:
    # By hand: `dataclasses.asdict` deep-copies field by field and cost more than this turn's
    # draft encryption.
    data = {name: getattr(reply, name) for name in _REPLY_FIELDS}
    data["choices"] = [[c.id, c.label] for c in reply.choices]
    return data


_REPLY_FIELDS = tuple(f.name for f in fields(Reply))


def reply_from_data(data: dict[str, Any]) -> Reply:
    values = dict(data)
    values["choices"] = tuple(Choice(str(i), str(label)) for i, label in data.get("choices", ()))
    values["selected"] = tuple(data.get("selected", ()))
    progress = data.get("progress")
    values["progress"] = tuple(progress) if progress else None
    return Reply(**values)


@dataclass
class Entry:
    """One message in the transcript: from the guide ("bot") or the person ("me")."""

    id: int
    who: str
    text: str
    lang: str
    error: bool = False


class WebDraft:
    """A conversation as the web keeps it between turns. Stored as one JSON object (`to_bytes`)
    whose transcript is written one entry a line; a turn parses only the entries its page shows
    (`after`, `last`) and writes the others back as they were read (`log` parses them all)."""

    def __init__(
        self,
        engine: str,  # dialogues State.to_json(); "" once filed (the answers are gone)
        code: str,
        seen: float,
        log: list[Entry] | None = None,
        seq: int = 0,
        ask: dict[str, Any] | None = None,  # the Reply asking now, as data
        uploads: list[str] | None = None,  # upload ids held for this draft
        identity: dict[str, Any] | None = None,  # from ID-porten, when the person logged in
        reference: str | None = None,  # set once filed
        role: str | None = None,  # the submitter's role once answered (for input purposes)
        kommune: str | None = None,  # `?kommune=`, answered when the dialogue asks for it
        code_saved: float | None = None,  # when the code's index entry was last renewed
        held: str | None = None,  # a typed answer to put back in the field (after a closed window)
    ) -> None:
        self.engine = engine
        self.code = code
        self.seen = seen
        self.seq = seq
        self.ask = ask
        self.uploads = [] if uploads is None else uploads
        self.identity = identity
        self.reference = reference
        self.role = role
        self.kommune = kommune
        self.code_saved = code_saved
        self.held = held
        # The transcript is one of: `_entries` (parsed; from then on the list is the draft's)
        # or `_body` (the entries' JSON as stored: each after ",\n" but the first; parsed only
        # as far as asked for).
        self._entries: list[Entry] | None = [] if log is None else log
        self._body = b""
        self._last: Entry | None = None  # the newest entry, once parsed from `_body`

    @property
    def log(self) -> list[Entry]:
        """The whole transcript (for a whole page). The list is the draft's from then on."""
        if self._entries is None:
            self._entries = _parsed(self._body)
        return self._entries

    @log.setter
    def log(self, entries: list[Entry]) -> None:
        self._entries = entries

    def after(self, shown: int) -> list[Entry]:
        """The entries newer than `shown` (the fragment chat.js asks for): only those parsed."""
        if self._entries is not None:
            return [e for e in self._entries if e.id > shown]
        body = self._body
        start = end = len(body)
        while start > 0:  # ids only grow down the transcript: from the newest back
            line = body.rfind(b"\n", 0, end) + 1
            if _id_at(body, line) <= shown:
                break
            start, end = line, line - 2  # the line before ends with ",\n"
        return _parsed(body[start:])

    @property
    def last(self) -> Entry | None:
        """The newest entry, or None."""
        if self._entries is not None:
            return self._entries[-1] if self._entries else None
        if self._last is None and self._body:
            self._last = _parsed(self._body[self._body.rfind(b"\n") + 1 :])[0]
        return self._last

    def add(self, who: str, text: str, lang: str, *, error: bool = False) -> None:
        """A new entry; the oldest beyond `LOG_LIMIT` drop off. Entry ids are consecutive
        (each is the next `seq`, and only the oldest are ever dropped), so the transcript
        keeps the entries of the last `LOG_LIMIT` ids."""
        self.seq += 1
        entry = Entry(self.seq, who, text, lang, error)
        if self._entries is not None:
            self._entries.append(entry)
            del self._entries[:-LOG_LIMIT]
            return
        line = orjson.dumps([entry.id, who, text, lang, error])
        body = self._body
        if body:
            start, oldest = 0, self.seq - LOG_LIMIT
            while start != -1 and _id_at(body, start) <= oldest:
                start = body.find(b"\n", start)
                start = start + 1 if start != -1 else -1
            body = body[start:] + b",\n" + line if start != -1 else line
        else:
            body = line
        self._body, self._last = body, entry

    @property
    def asking(self) -> Reply | None:
        return reply_from_data(self.ask) if self.ask else None

    def to_bytes(self) -> bytes:
        """The draft's JSON: the fields in `_FIELDS` order, the transcript a list of short lists,
        each entry after a newline (which JSON text never holds raw: the entries are found by it
        without parsing). Any JSON reader reads it as before; entries read here and not changed
        are written back as they were read. orjson writes the same compact JSON as
        `json.dumps` at a fraction of its cost."""
        if self._entries is None:
            body = self._body
        else:
            body = b",\n".join(
                [orjson.dumps([e.id, e.who, e.text, e.lang, e.error]) for e in self._entries]
            )
        log = orjson.Fragment(b"[\n" + body + b"\n]") if body else []
        return orjson.dumps(
            {name: log if name == "log" else getattr(self, name) for name in _FIELDS}
        )

    @classmethod
    def from_bytes(cls, raw: bytes) -> WebDraft | None:
        """A draft `to_bytes` wrote, or one written before entries were a line each (all
        parsed at once); None for what is neither."""
        try:
            start = raw.find(_LOG_OPEN)
            if start == -1:  # written before, or an empty transcript
                data = orjson.loads(raw)
                data["log"] = [Entry(*entry) for entry in data.get("log", [])]
                return cls(**data)
            # the transcript's end: the last raw newline (after it, the other fields' JSON)
            end = raw.rfind(_LOG_CLOSE)
            body = raw[start + len(_LOG_OPEN) : end]
            if end < start or body[:1] != b"[" or body[-1:] != b"]":
                return None
            # the other fields parsed now, the transcript as it is
            draft = cls(**orjson.loads(raw[:start] + raw[end + len(_LOG_CLOSE) :]))
            draft._entries, draft._body = None, body
            return draft
        except (ValueError, TypeError, KeyError):
            return None


# What `to_bytes` writes before the transcript: JSON strings and a number, whose text holds no raw
# newline nor an unescaped quote, so the first `_LOG_OPEN` is the transcript's. The stored order
# is this one (the code before wrote the same).
_FIELDS = (
    "engine",
    "code",
    "seen",
    "log",
    "seq",
    "ask",
    "uploads",
    "identity",
    "reference",
    "role",
    "kommune",
    "code_saved",
    "held",
)
_LOG_OPEN = b',"log":[\n'
_LOG_CLOSE = b"\n]"


def _id_at(body: bytes, line: int) -> int:
    """The id of the entry whose line starts at `line` ("[id,...")."""
    return int(body[line + 1 : body.index(b",", line)])


def _parsed(body: bytes) -> list[Entry]:
    return [Entry(*entry) for entry in orjson.loads(b"[" + body + b"]")]


KEYS_KEPT = 1024  # storage keys of recent session ids (a turn loads and saves under one)


class Sessions:
    def __init__(self, drafts: EncryptedDrafts, *, clock: Callable[[], float] = time.time) -> None:
        self.drafts = drafts
        self.clock = clock
        self._keys: dict[str, str] = {}

    def key(self, sid: str) -> str:
        """The draft's storage key (an HMAC pseudonym of the session id), computed once for
        the load and the save of a turn and for the session's rate counter."""
        key = self._keys.get(sid)
        if key is None:
            if len(self._keys) >= KEYS_KEPT:
                self._keys.clear()
            key = self._keys[sid] = self.drafts.key("web", sid)
        return key

    async def load(self, sid: str) -> WebDraft | None:
        raw = await self.drafts.load_at(self.key(sid), "web")
        return WebDraft.from_bytes(raw) if raw is not None else None

    async def load_counting(
        self, sid: str, counter: WindowCounter, counts: tuple[str, ...], window_seconds: int
    ) -> tuple[WebDraft | None, list[int]]:
        """`load` and `counter.hits` together (`EncryptedDrafts.load_counting`)."""
        raw, hits = await self.drafts.load_counting(self.key(sid), counter, counts, window_seconds)
        return (WebDraft.from_bytes(raw) if raw is not None else None), hits

    async def save(self, sid: str, draft: WebDraft) -> None:
        now = self.clock()
        draft.seen = now
        renew = bool(draft.code) and (
            draft.code_saved is None or now - draft.code_saved > CODE_RENEW_SECONDS
        )
        if renew:
            draft.code_saved = now
        await self.drafts.save_at(self.key(sid), draft.to_bytes())
        if renew:
            # The code expires with the draft: its entry is renewed as the draft is saved
            # (hourly is enough: the draft itself lives for days).
            await self.drafts.save("code", draft.code, sid.encode("ascii"))

    async def stored(self) -> list[tuple[str, WebDraft]]:
        """Every readable conversation with its storage key (for the start-up sweep)."""
        found = []
        for key, raw in await self.drafts.items("web"):
            draft = WebDraft.from_bytes(raw)
            if draft is not None:
                found.append((key, draft))
        return found

    async def save_stored(self, key: str, draft: WebDraft) -> None:
        """`save` by the storage key `stored` gave (the session id is not known there)."""
        draft.seen = self.clock()
        await self.drafts.save_at(key, draft.to_bytes())

    async def moved(self, sid: str) -> str | None:
        """The language of a draft that moved to another session, or None."""
        marker = await self.drafts.load("moved", sid)
        return marker.decode("ascii", "replace") if marker is not None else None

    async def delete(self, sid: str, draft: WebDraft | None) -> None:
        """Everything of this conversation, at once: draft, code, uploads."""
        await self.drafts.delete_at(self.key(sid))
        self._keys.pop(sid, None)
        if draft is not None:
            if draft.code:
                await self.drafts.delete("code", draft.code)
            if draft.uploads:
                await self.drafts.delete("upload", *draft.uploads)

    async def forget_answers(self, draft: WebDraft) -> None:
        """After filing: the code and the uploads go; only the receipt stays for this session."""
        if draft.code:
            await self.drafts.delete("code", draft.code)
        if draft.uploads:
            await self.drafts.delete("upload", *draft.uploads)
        draft.code, draft.uploads, draft.engine = "", [], ""

    async def resume(self, code: str, new_sid: str) -> WebDraft | None:
        """Move the draft the code opens to `new_sid`; the old session is told it moved."""
        raw_sid = await self.drafts.load("code", code)
        if raw_sid is None:
            return None
        old_sid = raw_sid.decode("ascii")
        draft = await self.load(old_sid)
        if draft is None or draft.code != code:
            return None
        draft.code_saved = None  # the code now opens the new session
        await self.save(new_sid, draft)
        await self.drafts.delete("web", old_sid)
        last = draft.last
        language = last.lang if last is not None else ""
        await self.drafts.save("moved", old_sid, language.encode("ascii", "replace"))
        return draft

    async def keep_upload(self, upload_id: str, content: bytes) -> None:
        await self.drafts.save("upload", upload_id, content)

    async def upload(self, upload_id: str) -> bytes | None:
        return await self.drafts.load("upload", upload_id)
