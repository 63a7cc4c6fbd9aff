"""A caseworker's day in Chromium: log in (keyboard only), unlock, find a referral by name,
open it, change its status, appoint a coordinator, see it all on the audit page, see the
overview's charts and tables; OpenID Connect login; the idle warning; axe on every page."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest

from tests.e2e.staff.conftest import Pages, Site, no_axe_violations
from tests.fixtures.referrals import personal_strings, valid_referral
from tests.staffweb.harness import PASSPHRASE, PASSWORD

pytestmark = pytest.mark.slow


def code(site: Site, username: str) -> str:
    account = site.ke.store.get(username)
    assert account is not None and account.totp_secret
    return pyotp.TOTP(account.totp_secret).now()


def tab_to(page: Any, selector: str, limit: int = 30) -> None:
    """Press Tab until `selector` has the focus: it is reachable by keyboard, in order."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reachable with Tab")


def log_in_by_keyboard(page: Any, site: Site, username: str) -> None:
    page.goto(f"{site.server.url}/login")
    no_axe_violations(page)
    tab_to(page, "#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#code")
    page.keyboard.type(code(site, username))
    page.keyboard.press("Enter")
    page.wait_for_url("**/unlock")
    no_axe_violations(page)
    tab_to(page, "#passphrase")
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site.server.url}/")


def test_a_caseworkers_day(pages: Pages, site: Site) -> None:
    page = pages.new()
    log_in_by_keyboard(page, site, "kari")
    no_axe_violations(page)
    assert page.get_by_role("cell", name="Anne Berg").count() == 1
    assert "Over en måned" in page.inner_text("main")  # all three are months old by now

    page.get_by_role("link", name="Søk").click()
    page.wait_for_url("**/search")  # axe on the page that came, not the one going
    no_axe_violations(page)
    page.get_by_label("Navn, fødselsnummer eller referanse").fill("per hans")
    page.get_by_role("button", name="Søk", exact=True).click()
    assert page.get_by_role("status").inner_text().strip() == "1 treff."
    no_axe_violations(page)
    reference = site.references[1]
    page.get_by_role("link", name=reference).click()
    page.wait_for_url(f"**/case/{reference}")
    no_axe_violations(page)
    assert "Per Hansen" in page.inner_text("h1")
    # The same national id under another name, 35 days apart: flagged, with links.
    assert page.get_by_text("Mulig dublett:").count() == 1
    assert page.get_by_role("link", name=site.references[0]).count() == 1

    page.get_by_label("Ny status").select_option(label="Under behandling")
    page.get_by_label("Begrunnelse").first.fill("Ringt opp, venter på legeopplysninger")
    page.get_by_role("button", name="Lagre status").click()
    assert page.get_by_role("status").inner_text().strip() == "Status er endret."
    page.get_by_label("Koordinatorens navn").fill("Lise Leder")
    page.get_by_role("button", name="Oppnevn", exact=True).click()
    assert "Koordinator er oppnevnt." in page.get_by_role("status").inner_text()
    history = page.get_by_role("table").filter(has_text="Tidspunkt").inner_text()
    assert "Ringt opp, venter på legeopplysninger" in history
    assert "Koordinator oppnevnt" in history
    no_axe_violations(page)

    with page.expect_download() as download:
        page.get_by_role("button", name="Last ned PDF").click()
    assert download.value.suggested_filename == f"{reference}.pdf"

    page.get_by_role("link", name="Revisjonslogg").click()
    page.wait_for_url("**/audit")
    no_axe_violations(page)
    page.get_by_label("Referanse").fill(reference)
    page.get_by_role("button", name="Vis").click()
    log = page.get_by_role("table").inner_text()
    for event in ("Åpnet", "Status endret", "Koordinator oppnevnt", "Eksportert"):
        assert event in log
    assert "Kari Saksbehandler (kari)" in log
    assert "Loggen er hel" in page.inner_text("main")

    page.get_by_role("link", name="Oversikt").click()
    page.wait_for_url("**/overview")
    no_axe_violations(page)
    for caption in ("Meldinger per måned", "Meldinger etter kanal", "Åpne saker etter alder"):
        figure = page.get_by_role("figure", name=caption)
        image = figure.get_by_role("img")
        assert image.get_attribute("alt").startswith("Stolpediagram")
        assert image.evaluate("(img) => img.complete && img.naturalWidth > 0")
        assert figure.get_by_role("table").count() == 1
    months = page.get_by_role("table", name="Meldinger per måned (tabell)").inner_text()
    assert "2026-03\t1" in months and "2026-04\t1" in months and "2026-05\t1" in months
    requests = page.get_by_role("table", name="Meldinger etter hva det meldes behov for (tabell)")
    assert "Individuell plan\t3" in requests.inner_text()
    coordinators = page.get_by_role("table", name="Koordinatorer").inner_text()
    assert "Lise Leder\t1\t1" in coordinators


def test_openid_connect_login(pages: Pages, site: Site) -> None:
    page = pages.new()
    page.goto(f"{site.server.url}/login")
    page.get_by_role("link", name="Logg inn med kommunens innlogging").click()
    page.wait_for_url(f"{site.oidc_url}/**")
    page.locator("input[name=sub]").fill("ola@oslo.kommune.no")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/unlock")
    assert "Ola Oidc" in page.inner_text("header")
    page.get_by_label("Passordfrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Lås opp").click()
    page.wait_for_url(f"{site.server.url}/")
    no_axe_violations(page)


def test_unknown_openid_subject_is_refused(pages: Pages, site: Site) -> None:
    page = pages.new()
    page.goto(f"{site.server.url}/login/oidc")
    page.locator("input[name=sub]").fill("someone@else.example")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/login/oidc/callback**")
    assert "ingen ansatt" in page.get_by_role("alert").inner_text()


def test_idle_warning_and_extension_and_narrow_screen(pages: Pages, site: Site) -> None:
    page = pages.new(width=320)
    page.clock.install()
    log_in_by_keyboard(page, site, "per")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow  # reflow at 320 CSS px
    dialog = page.get_by_role("dialog", name="Økten avsluttes snart")
    assert not dialog.is_visible()
    page.clock.fast_forward("13:30")
    dialog.wait_for(state="visible")
    no_axe_violations(page)
    dialog.get_by_role("button", name="Fortsett økten").press("Enter")
    dialog.wait_for(state="hidden")


def test_leder_sees_staff_and_saksbehandler_does_not(pages: Pages, site: Site) -> None:
    page = pages.new()
    log_in_by_keyboard(page, site, "lise")
    page.get_by_role("link", name="Ansatte").click()
    page.wait_for_url("**/staff")
    no_axe_violations(page)
    assert page.get_by_role("row", name="Kari Saksbehandler").count() == 1
    other = pages.new()
    other.goto(f"{site.server.url}/staff")
    other.wait_for_url("**/login")


def test_the_running_server_sent_a_notice_without_content(site: Site) -> None:
    deadline = time.monotonic() + 15
    while not site.mail and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(site.mail) == 1
    text = site.mail[0].decode()
    assert "Subject: 3 ny(e) melding(er) i innboksen" in text
    assert "Revisjonslogg:" in text
    for secret in [*site.references, *personal_strings(valid_referral()), "Hansen", "Berg"]:
        assert secret not in text
