"""The web's session pieces: resume codes, the draft record, and the encrypted draft store."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.web.session import (
    CODE_ALPHABET,
    CODE_LENGTH,
    LOG_LIMIT,
    Sessions,
    WebDraft,
    new_code,
    parse_code,
    show_code,
)
from dialogues.types import Choice, Reply
from storage.drafts import DraftCipher, EncryptedDrafts, IdHasher, MemoryValueStore, generate_key


def drafts(clock: list[float]) -> EncryptedDrafts:
    cipher = DraftCipher([generate_key().encode()], clock=lambda: clock[0])
    store = MemoryValueStore(clock=lambda: clock[0])
    return EncryptedDrafts(store, cipher, IdHasher(b"0123456789abcdef"), ttl_seconds=3600)


def test_codes_are_long_random_and_forgiving_to_type() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    code = "0123456789"
    assert parse_code(show_code(code)) == code
    assert parse_code(" o1234 56789 ") == code  # O for 0, spaces, lower case
    assert parse_code("IL234-56789") == "11234" + "56789"
    assert parse_code("12345") is None
    assert parse_code("12345-6789!") is None


def test_a_draft_round_trips_with_its_question() -> None:
    draft = WebDraft(engine="{}", code=new_code(), seen=1.0)
    draft.add("bot", "Hei", "nb")
    reply = Reply(text="Q", step="submitter.role", kind="choice", choices=(Choice("self", "Meg"),))
    from bot.web.view import asking_data

    draft.ask = asking_data(reply)
    again = WebDraft.from_bytes(draft.to_bytes())
    assert again is not None and again.asking == reply
    assert again.log[0].text == "Hei"
    assert WebDraft.from_bytes(b"not json") is None


async def test_stored_encrypted_under_hashed_keys_and_expiring() -> None:
    clock = [1000.0]
    store = drafts(clock)
    await store.save("web", "session-id-1", b"Kari Nordmann")
    raw = dict(store.store._values)  # type: ignore[attr-defined]
    assert all("session-id-1" not in key for key in raw)
    assert all(b"Kari" not in value for _, value in raw.values())
    assert await store.load("web", "session-id-1") == b"Kari Nordmann"
    clock[0] += 3601
    assert await store.load("web", "session-id-1") is None


async def test_resume_moves_the_draft_and_the_old_session_learns_it() -> None:
    clock = [1000.0]
    sessions = Sessions(drafts(clock), clock=lambda: clock[0])
    draft = WebDraft(engine="{}", code=new_code(), seen=0.0)
    await sessions.save("old", draft)
    moved = await sessions.resume(draft.code, "new")
    assert moved is not None and moved.code == draft.code
    assert await sessions.load("old") is None and await sessions.moved("old") is not None
    assert await sessions.load("new") is not None
    # the code now opens the new session; deleting removes code and draft at once
    assert await sessions.resume(draft.code, "newer") is not None
    newer = await sessions.load("newer")
    await sessions.delete("newer", newer)
    assert await sessions.load("newer") is None
    assert await sessions.resume(draft.code, "again") is None


async def test_the_sweep_reads_every_conversation_and_saves_it_by_its_key() -> None:
    """`Sessions.stored` finds each conversation without its session id (the keys are
    pseudonyms), and `save_stored` writes it back where `load` finds it by the id."""
    clock = [1000.0]
    sessions = Sessions(drafts(clock), clock=lambda: clock[0])
    for sid in ("one", "two"):
        await sessions.save(sid, WebDraft(engine=sid, code="", seen=0.0))
    await sessions.keep_upload("u1", b"%PDF-1.4")  # not a conversation
    stored = dict((draft.engine, key) for key, draft in await sessions.stored())
    assert set(stored) == {"one", "two"}
    again = WebDraft(engine="one, filed", code="", seen=0.0, reference="KE-0000-0000")
    await sessions.save_stored(stored["one"], again)
    loaded = await sessions.load("one")
    assert loaded is not None and loaded.reference == "KE-0000-0000"


# -- the draft's stored form: entries a line each, read as far as a page needs ----------------

# What the code before one-entry-a-line wrote (bot/web/session.py at 9ff4f82): drafts stored so
# far (Redis, the SQLite draft file) are this.
BEFORE = (
    b'{"engine":"{\\"answers\\":{\\"a\\":\\"x,\\\\\\"log\\\\\\":[\\"}}","code":"ABCDEFGHJK",'
    b'"seen":1.5,"log":[[1,"bot","Hei! \\"Navn\\"?","nb",false],[2,"me","Kari\\n],[9,\\"bot\\",'
    b'\\"x\\",\\"nb\\",false]","nb",false],[3,"bot","Feil","nb",true]],"seq":3,"ask":{"step":'
    b'"kommune","text":"Q"},"uploads":[],"identity":{"by":"idporten"},"reference":null,'
    b'"role":null,"kommune":null,"code_saved":null,"held":null}'
)
FIELDS = ("engine", "code", "seen", "seq", "ask", "uploads", "identity", "reference", "role")
FIELDS += ("kommune", "code_saved", "held")


def written_before(draft: WebDraft) -> bytes:
    """`WebDraft.to_bytes` as the code before wrote it (every entry parsed and dumped)."""
    data: dict[str, Any] = {name: getattr(draft, name) for name in FIELDS[:3]}
    data["log"] = [[e.id, e.who, e.text, e.lang, e.error] for e in draft.log]
    data |= {name: getattr(draft, name) for name in FIELDS[3:]}
    return orjson.dumps(data)


def entries(draft: WebDraft | None) -> list[tuple[Any, ...]]:
    assert draft is not None
    return [(e.id, e.who, e.text, e.lang, e.error) for e in draft.log]


def test_a_draft_stored_before_loads_and_is_written_as_the_same_json() -> None:
    draft = WebDraft.from_bytes(BEFORE)
    assert draft is not None
    assert entries(draft)[1] == (2, "me", 'Kari\n],[9,"bot","x","nb",false]', "nb", False)
    assert draft.last is not None and draft.last.error
    assert orjson.loads(draft.to_bytes()) == orjson.loads(BEFORE) == json.loads(draft.to_bytes())
    again = WebDraft.from_bytes(draft.to_bytes())  # the new form, read lazily
    assert again is not None and again._entries is None
    assert [e.id for e in again.after(1)] == [2, 3] and entries(again) == entries(draft)
    assert again.to_bytes() == draft.to_bytes()


TEXT = st.text(
    alphabet=st.sampled_from('ab\n\\"[],:{}\x00\u2028æ😀 ')
    | st.characters(blacklist_categories=("Cs",)),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["bot", "me"]), TEXT, st.booleans()), max_size=120),
    st.lists(st.integers(0, 130), min_size=1, max_size=5),
    TEXT,
    st.integers(0, 40),
)
def test_lazy_transcript_is_the_whole_one(
    said: list[tuple[str, str, bool]], shown: list[int], odd: str, turns: int
) -> None:
    """Entries added a turn at a time (saved and loaded between turns, as the web does) give
    the transcript, the fragments and the stored JSON the whole list gives (the code before)."""
    engine = '{"answers":{"t":' + json.dumps(odd + ',"log":[\n') + "}}"
    kept = WebDraft(engine=engine, code=odd, seen=2.0, held=odd, identity={"log": [odd]})
    lazy: WebDraft | None = WebDraft.from_bytes(kept.to_bytes())
    for n, (who, text, error) in enumerate(said):
        assert lazy is not None
        kept.add(who, text, "nn", error=error)
        lazy.add(who, text, "nn", error=error)
        if turns and n % turns == 0:  # a turn's end: saved, loaded
            lazy = WebDraft.from_bytes(lazy.to_bytes())
    assert lazy is not None
    stored = lazy.to_bytes()
    assert orjson.loads(stored) == orjson.loads(written_before(kept))  # any reader reads the same
    loaded = WebDraft.from_bytes(stored)
    assert loaded is not None
    for since in shown:
        fragment = [(e.id, e.who, e.text) for e in loaded.after(since)]
        assert fragment == [(e.id, e.who, e.text) for e in kept.log if e.id > since]
    last, newest = loaded.last, kept.log[-1] if kept.log else None
    assert (last and (last.id, last.text)) == (newest and (newest.id, newest.text))
    assert loaded.to_bytes() == stored  # read and not changed: written back as it was read
    assert entries(loaded) == entries(kept) and len(kept.log) <= LOG_LIMIT
    assert {n: getattr(loaded, n) for n in FIELDS} == {n: getattr(kept, n) for n in FIELDS}


def test_a_damaged_transcript_is_not_a_draft() -> None:
    good = WebDraft(engine="{}", code="", seen=1.0)
    good.add("bot", "Hei", "nb")
    raw = good.to_bytes()
    assert WebDraft.from_bytes(raw) is not None
    assert WebDraft.from_bytes(raw.replace(b"\n]", b"]")) is None
    assert WebDraft.from_bytes(raw.replace(b'"seq"', b'"sek"')) is None


def test_the_oldest_entries_drop_off_as_before() -> None:
    kept = WebDraft(engine="{}", code="", seen=1.0)
    kept.add("bot", "first", "nb")
    lazy = WebDraft.from_bytes(kept.to_bytes())
    for n in range(2, 3 * LOG_LIMIT):
        assert lazy is not None and lazy._entries is None  # the stored lines, not parsed
        for k in range(n % 3 + 1):
            kept.add("me", f"{n}\n{k}", "en", error=k == 1)
            lazy.add("me", f"{n}\n{k}", "en", error=k == 1)
        lazy = WebDraft.from_bytes(lazy.to_bytes())
        assert lazy is not None
        assert [e.id for e in lazy.after(kept.seq - 4)] == [e.id for e in kept.log][-4:]
        assert orjson.loads(lazy.to_bytes()) == orjson.loads(written_before(kept))
    assert len(kept.log) == LOG_LIMIT and entries(lazy) == entries(kept)
