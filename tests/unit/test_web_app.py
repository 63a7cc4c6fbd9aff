"""The web chat's HTTP contract, in process (Starlette's test client over HTTPS): no cookie
before the first answer, the cookie's attributes, CSRF on every POST, the CSP and headers,
rate limits with a localized message, body limits, delete at once, resume by code."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest

from bot.settings import Settings
from bot.web.build import build_web
from bot.web.security import COOKIE
from bot.web.wording import web_text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def client(**settings: Any) -> TestClient:
    values = {"allow_synthetic_ids": True, "id_hash_secret": "x" * 32, "draft_store": "memory"}
    values |= settings
    web = build_web(Settings(_env_file=None, **values), None)  # type: ignore[call-arg]
    from bot.web.app import create_app

    return TestClient(create_app(web), base_url="https://testserver")


def csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def step(html: str) -> str | None:
    found = re.search(r'data-step="([^"]+)"', html)
    return found.group(1) if found else None


def start(c: TestClient, query: str = "") -> str:
    page = c.get(f"/{query}")
    first = c.post(
        "/turn",
        data={"csrf": csrf(page.text), "first": "1", "lang": "nb", "text": "meg selv"},
        follow_redirects=False,
    )
    assert first.status_code == 303
    return c.get("/").text


def test_the_first_page_stores_nothing_and_sets_strict_headers() -> None:
    c = client()
    page = c.get("/?kommune=4601&lang=nn&role=provider")
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and f'nonce="{nonce.group(1)}"' in page.text
    assert "default-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert '<html lang="nn"' in page.text
    # the provider role preset: the first question is not the role
    assert step(page.text) not in (None, "submitter.role")
    assert c.get("/?lang=nn").headers["content-security-policy"] != csp  # a fresh nonce


def test_the_first_answer_sets_an_opaque_strict_cookie() -> None:
    c = client()
    page = c.get("/")
    response = c.post(
        "/turn",
        data={"csrf": csrf(page.text), "first": "1", "lang": "nb", "choice": "self"},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert attribute in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40 and "self" not in value
    assert step(c.get("/").text) not in (None, step(page.text))


def test_in_another_sites_frame_the_cookie_is_partitioned() -> None:
    c = client()
    page = c.get("/?embed=1")
    response = c.post(
        "/turn",
        data={"csrf": csrf(page.text), "first": "1", "embed": "1", "choice": "self"},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "SameSite=None" in cookie and "Partitioned" in cookie and "Secure" in cookie


@pytest.mark.parametrize("path", ["/turn", "/delete", "/resume", "/keepalive"])
def test_a_post_without_the_csrf_token_is_refused(path: str) -> None:
    c = client()
    asked = step(start(c))
    response = c.post(path, data={"text": "Kari", "code": "0123456789"}, follow_redirects=False)
    assert (
        response.status_code in (403, 410)
        or "expired_form" in response.text
        or (web_text("nb", "expired_form") in response.text)
    )
    assert response.status_code != 303
    # nothing moved on
    assert step(c.get("/").text) == asked


def test_a_token_of_another_session_is_refused() -> None:
    a, b = client(), client()
    page_a = start(a)
    start(b)
    response = b.post("/turn", data={"csrf": csrf(page_a), "text": "Kari"})
    assert response.status_code == 403


def test_too_many_turns_get_a_polite_message_in_the_persons_language() -> None:
    c = client(web_session_turns_per_minute=3)
    html = start(c)
    token = csrf(html)
    statuses = [c.post("/turn", data={"csrf": token, "text": "?"}).status_code for _ in range(4)]
    assert statuses[-1] == 429
    assert web_text("nb", "slow_down") in c.post("/turn", data={"csrf": token, "text": "x"}).text


def test_the_turn_limit_per_address_counts_every_session_from_it() -> None:
    c = client(web_address_turns_per_minute=4, web_session_turns_per_minute=100)
    start(c)  # one turn
    c.cookies.clear()
    html = start(c)  # a second session from the same address: its first turn
    token = csrf(html)
    statuses = [c.post("/turn", data={"csrf": token, "text": "?"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_delete_removes_the_draft_and_its_code_at_once() -> None:
    c = client()
    html = start(c)
    code = re.search(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", html)
    assert code
    gone = c.post("/delete", data={"csrf": csrf(html)})
    assert web_text("nb", "deleted") in gone.text
    assert COOKIE in gone.headers["set-cookie"] and "Max-Age=0" in gone.headers["set-cookie"]
    page = c.get("/")
    assert "data-step" in page.text and COOKIE not in c.cookies
    # the code opens nothing any more
    again = c.post("/resume", data={"csrf": csrf(page.text), "code": code.group(0)})
    assert again.status_code == 400
    assert web_text("nb", "resume.bad", hours=72) in again.text


def test_resume_by_code_moves_the_conversation() -> None:
    c = client()
    html = start(c)
    code = re.search(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", html)
    assert code
    asked = step(html)
    c.cookies.clear()  # the browser was closed
    page = c.get("/")
    assert COOKIE not in page.headers.get("set-cookie", "")
    moved = c.post("/resume", data={"csrf": csrf(page.text), "code": code.group(0).lower()})
    assert step(moved.text) == asked


def test_resume_tries_are_limited_per_address() -> None:
    c = client(web_resume_tries=3)
    page = c.get("/")
    token = csrf(page.text)
    codes = [f"00000{n:05d}" for n in range(4)]
    statuses = [c.post("/resume", data={"csrf": token, "code": x}).status_code for x in codes]
    assert statuses == [400, 400, 400, 429]


def test_a_body_over_the_limit_is_refused_with_a_page() -> None:
    c = client()
    html = start(c)
    big = b"%PDF-" + b"0" * (11 * 1024 * 1024)
    response = c.post(
        "/turn",
        data={"csrf": csrf(html)},
        files={"file": ("big.pdf", big, "application/pdf")},
    )
    assert response.status_code == 413
    assert web_text("nb", "too_large", mb=10) in response.text
    assert step(response.text) == step(html)  # nothing lost


def test_the_embed_snippet_has_a_frame_and_a_plain_link() -> None:
    page = client().get("/embed?kommune=4601&lang=en")
    assert "&lt;iframe" in page.text and "embed=1" in page.text
    assert "&lt;a href=" in page.text and "kommune=4601" in page.text


def test_every_nonce_of_the_policy_is_the_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy is built once around its nonce: a policy naming the nonce twice (a style
    nonce besides the script's) gets the response's nonce in both places, not a marker."""
    from bot.web import security

    plain = security.content_security_policy

    def two(nonce: str, frame_ancestors: Any) -> str:
        return plain(nonce, frame_ancestors).replace(
            "style-src 'self'", f"style-src 'nonce-{nonce}'"
        )

    monkeypatch.setattr(security, "content_security_policy", two)
    csp = client().get("/").headers["content-security-policy"]
    nonces = re.findall(r"'nonce-([^']+)'", csp)
    assert len(nonces) == 2 and nonces[0] == nonces[1] and "\x00" not in nonces[0]
