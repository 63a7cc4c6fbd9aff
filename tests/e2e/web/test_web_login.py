"""Optional login with ID-porten, against a real local OpenID Connect provider
(oidc-provider-mock, started here, with the PKCE check its token endpoint lacks in front of it:
tests/webchat/oidc.py): authorization code with PKCE (S256) through authlib; a stolen code
without our verifier gets no token; the national id comes from the ID token and is not asked
again when the person files for themself, and only then is the referral verified in the inbox;
a relative who logs in, or a typed id that is not the login's, files as not verified; chatting
without logging in stays possible."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.web.security import COOKIE
from bot.web.wording import web_text
from intake.identifiers import parse_national_id
from tests.conversations import load
from tests.e2e.web.test_web_embed import kommune_site
from tests.e2e.web.test_web_referral import open_referral
from tests.serving import free_port
from tests.synthetic import synthetic_id
from tests.webchat.oidc import TOKEN, Provider, oidc_provider
from tests.webchat.person import Person
from tests.webchat.server import WebServer, server_env, web_server

pytestmark = pytest.mark.slow
SCRIPT = "nn_adult_self"
CLIENT = "ke-intake-web"
KOMMUNE_PORT = free_port()
KOMMUNE = f"http://127.0.0.1:{KOMMUNE_PORT}"  # a kommune's site that embeds the chat
SECRET = "test-client-secret"


def today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[Provider, str]]:
    oidc = pytest.importorskip("oidc_provider_mock")
    pid = str(load(SCRIPT, today()).answers["person.national_id"])
    users = [oidc.User(sub="kari", claims={"pid": pid, "name": "Kari Nordmann"})]
    with oidc_provider(users) as running:
        yield running, pid


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, provider: tuple[Provider, str]
) -> Iterator[WebServer]:
    tmp = tmp_path_factory.mktemp("web-login")
    env = server_env(
        tmp / "data",
        KE_WEB_OIDC_ISSUER=provider[0].issuer,
        KE_WEB_OIDC_CLIENT_ID=CLIENT,
        KE_WEB_OIDC_CLIENT_SECRET=SECRET,
        KE_WEB_EMBED_ORIGINS=KOMMUNE,
    )
    with web_server(tmp, env=env) as running:
        yield running


def log_in(contexts: Any, server: WebServer, provider: Provider, *, js: bool) -> Any:
    """The chat's start page in nn, then through the provider's login page as kari."""
    contexts.allow(provider.issuer)
    # the provider mock's own login page loads a stylesheet from a CDN; it is not our page,
    # and the request is cut off here rather than left to time out
    contexts.allow("https://cdn.jsdelivr.net/")
    page = contexts.page(js=js)
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{server.url}/?lang=nn")
    page.click(f"text={web_text('nn', 'login')}")
    page.wait_for_url(f"{provider.issuer}/**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of a SHA-256, unpadded
    assert "code_verifier" not in query  # the verifier never leaves our server
    return page


def session_id(page: Any) -> str:
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), "")


def inbox_says_verified(server: WebServer, reference: str) -> bool:
    """What the staff inbox prints for the record (its flags name an unverified identity)."""
    from bot.bootstrap import App
    from bot.settings import Settings
    from bot.staff.reading import flags
    from bot.staff.texts import t

    app = App.from_settings(
        Settings(_env_file=None, data_dir=server.data_dir),  # type: ignore[call-arg]
        intake_side=False,
    )
    try:
        record = next(r for r in app.inbox.list() if r.reference == reference)
        shown = flags(record, "nb", can_verify=True)
        return t("unverified_chat", "nb") not in shown
    finally:
        app.close()


def test_a_logged_in_person_is_not_asked_their_national_id(
    contexts: Any, server: WebServer, provider: tuple[Provider, str], tmp: Path
) -> None:
    oidc, pid = provider
    page = log_in(contexts, server, oidc, js=True)
    before = session_id(page)
    assert before  # the session began at /login
    refused = len(oidc.check.refused)
    with page.expect_navigation(url=f"{server.url}/"):
        page.click('button[name="sub"][value="kari"]')
    assert web_text("nn", "login.done") in page.inner_text("#log")
    # a new session id once logged in (session fixation), and the old one opens nothing
    assert session_id(page) not in (before, "")
    stale = httpx.get(f"{server.url}/", cookies={COOKIE: before})
    assert web_text("nn", "login.done") not in stale.text
    # our client's verifier hashed to its challenge: the provider's PKCE check let it through
    assert len(oidc.check.refused) == refused
    person = Person(page, js=True, tmp=tmp)
    reference = person.complete(load(SCRIPT, today()))
    assert "person.national_id" not in person.steps
    # the inbox shows who filed as verified (the readable channel column says so)
    referral, _ = open_referral(server, reference, channel="web_idporten")
    assert referral["person"]["national_id"] == pid
    assert referral["meta"]["channel"] == "web_idporten"
    assert inbox_says_verified(server, reference)
    assert pid not in server.logs()


def test_a_stolen_code_without_the_verifier_gets_no_token(
    contexts: Any, server: WebServer, provider: tuple[Provider, str]
) -> None:
    """The code on its way back through the browser is all an eavesdropper sees: redeemed
    with a wrong verifier or none, the provider refuses it; our server's redemption works."""
    oidc, _ = provider
    page = log_in(contexts, server, oidc, js=False)
    caught: list[str] = []

    def steal(route: Any) -> None:
        """The provider's redirect back to us, read on its way (a redirect's target is not
        routed in Playwright, so the provider's answer is)."""
        if route.request.method != "POST":
            route.continue_()
            return
        response = route.fetch(max_redirects=0)
        location = response.headers["location"]
        caught.append(location)
        code = parse_qs(urlsplit(location).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{server.url}/login/callback",
            "client_id": CLIENT,
            "client_secret": SECRET,
        }
        for verifier in ("x" * 64, None):
            data = form | ({"code_verifier": verifier} if verifier else {})
            answer = httpx.post(oidc.issuer + TOKEN, data=data, timeout=10)
            assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
        route.fulfill(response=response)

    page.route(f"{oidc.issuer}/oauth2/authorize*", steal)
    with page.expect_navigation(url=f"{server.url}/"):
        page.click('button[name="sub"][value="kari"]')
    assert caught
    assert oidc.check.refused[-2:] == [
        "the code_verifier does not match the code_challenge",
        "no code_verifier",
    ]
    assert web_text("nn", "login.done") in page.inner_text("#log")


def test_a_relative_who_logs_in_is_not_the_person(
    contexts: Any, server: WebServer, provider: tuple[Provider, str], tmp: Path
) -> None:
    """A mother logged in for her child: the login's id is not the child's, so the child's is
    asked (as without a login) and she is told why. Filed, it is not verified: the rule is the
    same one the next test files through (`bot.web.app._verified`)."""
    oidc, pid = provider
    page = log_in(contexts, server, oidc, js=True)
    with page.expect_navigation(url=f"{server.url}/"):
        page.click('button[name="sub"][value="kari"]')
    script = load("mother_child", today())
    person = Person(page, js=True, tmp=tmp)
    for _ in range(40):
        if person.step() == "person.national_id":
            break
        person.answer(script)
    assert person.step() == "person.national_id"
    assert web_text("nn", "login.not_self") in person.transcript()
    assert pid not in person.transcript()


def test_a_typed_id_that_is_not_the_login_files_as_not_verified(
    contexts: Any, server: WebServer, provider: tuple[Provider, str], tmp: Path
) -> None:
    oidc, pid = provider
    page = log_in(contexts, server, oidc, js=False)
    with page.expect_navigation(url=f"{server.url}/"):
        page.click('button[name="sub"][value="kari"]')
    script = load(SCRIPT, today())
    person = Person(page, js=False, tmp=tmp)
    for _ in range(40):
        if person.steps[-1:] == ["person.given_name"]:
            break
        person.answer(script)
    assert person.step() != "person.national_id"  # answered by the login
    person.press("back", name="command")
    assert person.step() == "person.national_id"
    born = parse_national_id(pid).birth_date
    other = synthetic_id(born, start=int(pid[6:9]) + 1)
    person.type(other)
    assert web_text("nn", "login.mismatch") in person.transcript()
    reference = person.complete(script)
    referral, _ = open_referral(server, reference, channel="web")
    assert referral["person"]["national_id"] == other
    assert not inbox_says_verified(server, reference)


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
    contexts: Any, server: WebServer, provider: tuple[Provider, str], tmp: Path
) -> None:
    page = log_in(contexts, server, provider[0], js=False)
    # a forged callback (another state, a made-up code) logs nobody in
    page.goto(f"{server.url}/login/callback?code=forged&state=not-the-one")
    assert web_text("nn", "login.failed") in page.inner_text("#log")
    assert web_text("nn", "login.done") not in page.inner_text("#log")
    # and chatting goes on without a login
    assert Person(page, js=False, tmp=tmp).step() is not None


def test_in_a_kommune_frame_the_login_opens_a_window_of_its_own(
    contexts: Any, server: WebServer, provider: tuple[Provider, str], tmp: Path
) -> None:
    """ID-porten refuses to be shown in a frame, so in the kommune's frame the login link opens
    the chat in a window of its own (and says so); once a conversation has started in the frame
    no login is offered there (the new window would hold another session). Found by the
    acceptance audit of issue 12: the link navigated the frame to the provider."""
    oidc, _ = provider
    for origin in (oidc.issuer, "https://cdn.jsdelivr.net/", KOMMUNE):
        contexts.allow(origin)
    page = contexts.page(js=True)
    page.context.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    with kommune_site(server, KOMMUNE_PORT):
        page.goto(f"{KOMMUNE}/kontakt/nn")
        frame = page.frames[1]
        frame.wait_for_selector("#answer")
        link = frame.locator(f"a:has-text('{web_text('nn', 'login')}')")
        assert link.get_attribute("target") == "_blank"
        assert web_text("nn", "login.new_window") in link.inner_text()
        assert "embed" not in (link.get_attribute("href") or "")
        with page.context.expect_page() as opened:
            link.click()
        window = opened.value
        window.wait_for_url(f"{oidc.issuer}/**")
        with window.expect_navigation(url=f"{server.url}/"):
            window.click('button[name="sub"][value="kari"]')
        assert web_text("nn", "login.done") in window.inner_text("#log")
        # started in the frame: no login there, after a turn in place and after a reload
        Person(frame, js=True, tmp=tmp, keyboard=page.keyboard).press("self")
        assert frame.locator(".login").count() == 0
        page.reload()
        page.frames[1].wait_for_selector("#answer")
        assert page.frames[1].locator(".login").count() == 0
