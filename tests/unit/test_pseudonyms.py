import base64
import hmac
import os

from hypothesis import given
from hypothesis import strategies as st

from storage.drafts import IdHasher
from storage.drafts.pseudonyms import _base32

SECRET = b"0123456789abcdef"


def stdlib(twenty: bytes) -> str:
    return base64.b32encode(twenty).decode("ascii").rstrip("=").lower()


@given(st.binary(min_size=20, max_size=20))
def test_base32_is_the_stdlibs(twenty: bytes) -> None:
    assert _base32(twenty) == stdlib(twenty)


def test_base32_edges_and_random() -> None:
    for twenty in (bytes(20), b"\xff" * 20, b"\x80" + bytes(19), bytes(19) + b"\x01"):
        assert _base32(twenty) == stdlib(twenty)
    for _ in range(20_000):
        twenty = os.urandom(20)
        assert _base32(twenty) == stdlib(twenty)


@given(st.text(), st.one_of(st.none(), st.integers(), st.text()))
def test_digest_is_the_keys_stored_so_far(kind: str, ident: object) -> None:
    # the digest as every stored draft's key was computed before (base64.b32encode)
    message = "\x1f".join("" if part is None else str(part) for part in (kind, ident))
    mac = hmac.digest(SECRET, message.encode("utf-8"), "sha256")
    assert IdHasher(SECRET).digest(kind, ident) == stdlib(mac[:20])


def test_digest_known_value() -> None:
    # pinned: the key the code before this one (base64.b32encode) computed
    assert IdHasher(SECRET).digest("web", "abc") == "yhb4ffl6d746w27a7b3xz7j77uzytwhj"
