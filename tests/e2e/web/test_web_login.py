"""Optional login with ID-porten, against a real local OpenID Connect provider
(oidc-provider-mock, started here): authorization code with PKCE through authlib; the national
id comes from the ID token and is not asked again; chatting without logging in stays possible."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.web.wording import web_text
from tests.conversations import load
from tests.e2e.web.test_web_referral import open_referral
from tests.webchat.person import Person
from tests.webchat.server import WebServer, server_env, web_server

pytestmark = pytest.mark.slow
SCRIPT = "nn_adult_self"


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, str]]:
    oidc = pytest.importorskip("oidc_provider_mock")
    pid = load(SCRIPT, today()).answers["person.national_id"]
    users = [oidc.User(sub="kari", claims={"pid": pid, "name": "Kari Nordmann"})]
    with oidc.run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://127.0.0.1:{server.server_port}", str(pid)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, provider: tuple[str, str]
) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web-login")
    env = server_env(
        tmp / "data",
        KE_WEB_OIDC_ISSUER=provider[0],
        KE_WEB_OIDC_CLIENT_ID="ke-intake-web",
        KE_WEB_OIDC_CLIENT_SECRET="test-client-secret",
    )
    with web_server(tmp, env=env) as running:
        yield running


def test_a_logged_in_person_is_not_asked_their_national_id(
    contexts: Any, server: WebServer, provider: tuple[str, str], tmp: Path
) -> None:
    issuer, pid = provider
    contexts.allow(issuer)
    # the provider mock's own login page loads a stylesheet from a CDN; it is not our page,
    # and the request is cut off here rather than left to time out
    contexts.allow("https://cdn.jsdelivr.net/")
    page = contexts.page(js=True)
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{server.url}/?lang=nn")
    page.click(f"text={web_text('nn', 'login')}")
    page.wait_for_url(f"{issuer}/**")
    assert "code_challenge=" in page.url and "code_challenge_method=S256" in page.url
    with page.expect_navigation(url=f"{server.url}/"):
        page.click('button[name="sub"][value="kari"]')
    assert web_text("nn", "login.done") in page.inner_text("#log")
    person = Person(page, js=True, tmp=tmp)
    reference = person.complete(load(SCRIPT, today()))
    assert "person.national_id" not in person.steps
    # the inbox shows who filed as verified (the readable channel column says so)
    referral, _ = open_referral(server, reference, channel="web_idporten")
    assert referral["person"]["national_id"] == pid
    assert referral["meta"]["channel"] == "web_idporten"
    from storage.render import identity_verified

    assert identity_verified("web_idporten") and not identity_verified("web")
    assert pid not in server.logs()


def test_chatting_without_logging_in_stays_possible(
    contexts: Any, server: WebServer, tmp: Path
) -> None:
    page = contexts.page(js=False)
    page.goto(f"{server.url}/?lang=nn")
    person = Person(page, js=False, tmp=tmp)
    script = load(SCRIPT, today())
    for _ in range(60):
        if person.step() == "person.national_id":
            break
        person.answer(script)
    assert person.step() == "person.national_id"


def test_a_callback_that_does_not_match_the_login_is_refused(
    contexts: Any, server: WebServer, provider: tuple[str, str], tmp: Path
) -> None:
    issuer, _ = provider
    contexts.allow(issuer)
    contexts.allow("https://cdn.jsdelivr.net/")
    page = contexts.page(js=False)
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{server.url}/?lang=en")
    page.click(f"text={web_text('en', 'login')}")
    page.wait_for_url(f"{issuer}/**")
    # a forged callback (another state, a made-up code) logs nobody in
    page.goto(f"{server.url}/login/callback?code=forged&state=not-the-one")
    assert web_text("en", "login.failed") in page.inner_text("#log")
    assert web_text("en", "login.done") not in page.inner_text("#log")
    # and chatting goes on without a login
    assert Person(page, js=False, tmp=tmp).step() is not None
