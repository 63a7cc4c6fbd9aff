"""The web's session pieces: resume codes, the draft record, and the encrypted draft store."""

from __future__ import annotations

from bot.web.session import (
    CODE_ALPHABET,
    CODE_LENGTH,
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
