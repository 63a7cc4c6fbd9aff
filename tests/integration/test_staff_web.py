"""The staff web through its HTTP interface (Starlette's test client; the browser tests in
tests/e2e/test_staff_browser.py drive the same pages in Chromium): login with password and TOTP,
the throttle, unlocking, the queue with and without the key, search, a case and its actions, the
audit trail of all of it, and the security headers and CSRF refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.staff.web.app import WebConfig, create_app
from tests.fixtures.referrals import personal_strings, valid_referral
from tests.staffweb.harness import KE, PASSPHRASE, PASSWORD, T0, installation

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def ke(tmp_path: Path) -> Iterator[KE]:
    with installation(tmp_path) as ke:
        ke.add("kari", "Kari Saksbehandler")
        ke.add("lise", "Lise Leder", "leder")
        yield ke


def client(ke: KE) -> TestClient:
    web = create_app(ke.app, store=ke.store, config=WebConfig(secure_cookies=False), clock=ke.clock)
    return TestClient(web, base_url="http://testserver", follow_redirects=False)


def csrf(page: str) -> str:
    match = CSRF.search(page)
    assert match, page
    return match.group(1)


def login(c: TestClient, ke: KE, username: str = "kari", unlock: bool = True) -> None:
    token = csrf(c.get("/login").text)
    r = c.post(
        "/login",
        data={"csrf": token, "username": username, "password": PASSWORD, "code": ke.code(username)},
    )
    assert r.status_code == 303 and r.headers["location"] == "/unlock", r.text
    if unlock:
        token = csrf(c.get("/unlock").text)
        r = c.post("/unlock", data={"csrf": token, "passphrase": PASSPHRASE})
        assert r.status_code == 303 and r.headers["location"] == "/"


def actions(ke: KE) -> list[tuple[str, str | None, str]]:
    return [(e.action, e.reference, e.actor) for e in ke.app.inbox.audit_entries()]


def test_login_unlock_queue_case_and_actions_are_all_audited(ke: KE) -> None:
    ref = ke.file(T0)
    person = valid_referral()["person"]
    name = f"{person['given_name']} {person['family_name']}"
    c = client(ke)
    login(c, ke, unlock=False)
    locked = c.get("/").text
    assert ref in locked and name not in locked  # nothing personal before unlocking
    token = csrf(c.get("/unlock").text)
    assert c.post("/unlock", data={"csrf": token, "passphrase": PASSPHRASE}).status_code == 303
    queue = c.get("/").text
    assert name in queue
    page = c.get(f"/case/{ref}").text
    assert name in page and "Samtalespråk" in page and "nynorsk" in page
    token = csrf(page)
    r = c.post(
        f"/case/{ref}/status",
        data={"csrf": token, "status": "under behandling", "note": "Ringt opp mor"},
    )
    assert r.status_code == 303, r.text
    r = c.post(
        f"/case/{ref}/assign",
        data={"csrf": token, "coordinator": "Ola Koordinator", "note": ""},
    )
    assert r.status_code == 303, r.text
    page = c.get(f"/case/{ref}").text
    assert "Ringt opp mor" in page and "Koordinator oppnevnt" in page
    record = ke.app.inbox.get(ref)
    assert record is not None and record.status == "coordinator_appointed"
    who = "Kari Saksbehandler (kari)"
    trail = actions(ke)
    for entry in [
        ("login", None, who),
        ("unlocked", None, who),
        ("queue_viewed", None, who),
        ("opened", ref, who),
        ("status_changed", ref, who),
        ("assigned", ref, who),
    ]:
        assert entry in trail
    audit = c.get("/audit").text
    assert "Status endret" in audit and "Loggen er hel" in audit


def test_search_by_name_national_id_and_reference_is_logged_without_the_query(ke: KE) -> None:
    ref = ke.file(T0)
    other = ke.file(T0, given_name="Per", family_name="Hansen", national_id="10915596784")
    c = client(ke)
    login(c, ke)
    token = csrf(c.get("/search").text)
    for query, kind, hits in [
        ("ingrid test", "name", [ref]),
        ("15858500092", "national_id", [ref]),
        (other.lower(), "reference", [other]),
        ("nobody", "name", []),
    ]:
        page = c.post("/search", data={"csrf": token, "q": query}).text
        for h in hits:
            assert h in page
        last = ke.app.inbox.audit_entries()[-1]
        assert last.action == "searched" and dict(last.details) == {"kind": kind, "hits": hits}
        assert query not in str(last.details)


def test_duplicates_and_the_interim_answer_warning(ke: KE) -> None:
    first = ke.file(T0)
    second = ke.file(T0.replace(day=20))
    ke.clock.now = T0.replace(month=4, day=1)  # 30 days after the first
    c = client(ke)
    login(c, ke)
    page = c.get(f"/case/{first}").text
    assert "Mulig dublett" in page and second in page
    assert "over en måned uten svar" in page
    token = csrf(page)
    c.post(f"/case/{first}/note", data={"csrf": token, "note": "Brev sendt", "interim": "1"})
    page = c.get(f"/case/{first}").text
    assert "over en måned uten svar" not in page and "foreløpig svar" in page


def test_failed_logins_slow_down_and_are_logged_without_the_name(ke: KE) -> None:
    c = client(ke)
    token = csrf(c.get("/login").text)
    for _ in range(3):
        r = c.post("/login", data={"csrf": token, "username": "kari", "password": "x", "code": "1"})
        assert r.status_code == 400
    r = c.post(
        "/login",
        data={"csrf": token, "username": "kari", "password": PASSWORD, "code": ke.code("kari")},
    )
    assert r.status_code == 429 and "Vent 2 sekunder" in r.text
    ke.clock.advance(seconds=31)  # a fresh TOTP step too
    login(c, ke, unlock=False)
    failed = [e for e in ke.app.inbox.audit_entries() if e.action == "login_failed"]
    assert len(failed) == 3 and all("kari" not in str(e.details) for e in failed)


def test_idle_sessions_end(ke: KE) -> None:
    c = client(ke)
    login(c, ke)
    ke.clock.advance(minutes=16)
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login?expired=1"


def test_headers_cookies_and_csrf(ke: KE) -> None:
    c = client(ke)
    r = c.get("/login")
    csp = r.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'self'" in csp
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    login(c, ke)
    ref = ke.file(T0)
    r = c.post(f"/case/{ref}/status", data={"csrf": "wrong", "status": "in_review", "note": "x"})
    assert r.status_code == 403
    r = c.post(
        f"/case/{ref}/status",
        data={"csrf": csrf(c.get("/").text), "status": "in_review", "note": "x"},
        headers={"origin": "https://evil.example"},
    )
    assert r.status_code == 403
    assert ke.app.inbox.get(ref).status == "received"  # type: ignore[union-attr]


def test_nothing_personal_in_the_audit_log(ke: KE) -> None:
    ref = ke.file(T0)
    c = client(ke)
    login(c, ke)
    c.get("/")
    c.get(f"/case/{ref}")
    token = csrf(c.get("/search").text)
    c.post("/search", data={"csrf": token, "q": "Testesen"})
    text = str([(e.actor, e.details) for e in ke.app.inbox.audit_entries()])
    for value in personal_strings(valid_referral()):
        assert value not in text


def test_an_attachment_downloads_under_the_reference_and_is_logged(ke: KE) -> None:
    import hashlib

    from intake.model import Attachment

    content = b"%PDF-1.4\n% fullmakt\n%%EOF\n"
    meta = Attachment(
        kind="power_of_attorney",
        filename="fullmakt ingrid.pdf",
        media_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    data = valid_referral()
    data["attachments"] = [meta.model_dump(mode="json")]
    receipt = ke.app.file(
        data, channel="file", language="nb", idempotency_key=None, attachments=[(meta, content)]
    )
    ref = receipt.reference
    c = client(ke)
    login(c, ke)
    page = c.get(f"/case/{ref}").text
    assert "Last ned vedlegg 1" in page
    r = c.post(f"/case/{ref}/attachment", data={"csrf": csrf(page), "n": "1"})
    assert r.status_code == 200 and r.content == content
    assert r.headers["content-disposition"] == f'attachment; filename="{ref}-vedlegg-1.pdf"'
    last = ke.app.inbox.audit_entries()[-1]
    assert (last.action, last.reference, dict(last.details)) == (
        "attachment_downloaded",
        ref,
        {"n": 1},
    )


def test_an_altered_status_history_is_named_on_the_case_page(ke: KE) -> None:
    import sqlalchemy as sa

    ref = ke.file(T0)
    c = client(ke)
    login(c, ke)
    token = csrf(c.get(f"/case/{ref}").text)
    c.post(f"/case/{ref}/note", data={"csrf": token, "note": "Brev sendt"})
    assert "STATUSHISTORIKKEN" not in c.get(f"/case/{ref}").text.upper()
    with ke.app.engine.begin() as conn:  # behind the application's back
        conn.execute(sa.text("UPDATE status_events SET actor = 'Mallory' WHERE note IS NOT NULL"))
    page = c.get(f"/case/{ref}").text
    assert "Statushistorikken til" in page and "statushendelse 2 er endret" in page, page


def test_an_altered_status_history_is_flagged_in_the_queue(ke: KE) -> None:
    """The queue (and a search's rows) flag the referral whose history the case page names."""
    import sqlalchemy as sa

    ref, other = ke.file(T0), ke.file(T0)
    c = client(ke)
    login(c, ke)
    token = csrf(c.get(f"/case/{ref}").text)
    c.post(f"/case/{ref}/note", data={"csrf": token, "note": "Brev sendt"})
    assert "Statushistorikk endret" not in c.get("/").text
    with ke.app.engine.begin() as conn:  # behind the application's back
        conn.execute(sa.text("UPDATE status_events SET actor = 'Mallory' WHERE note IS NOT NULL"))
    rows = {
        reference: row
        for row in c.get("/").text.split("<tr>")[1:]
        for reference in (ref, other)
        if f">{reference}<" in row
    }
    assert "Statushistorikk endret" in rows[ref] and "Statushistorikk endret" not in rows[other]
    token = csrf(c.get("/search").text)
    found = c.post("/search", data={"csrf": token, "q": ref}).text
    assert "Statushistorikk endret" in found
