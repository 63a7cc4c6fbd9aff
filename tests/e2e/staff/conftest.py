"""The staff web in Chromium: one prepared KE (accounts, referrals over several months), one
`ke-intake staff-web` process and a local OpenID Connect provider per module; one browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.staffweb.harness import KE, T0
from tests.staffweb.server import StaffServer, staff_server
from tests.webchat.browser import AXE, axe_violations

OIDC_CLIENT = "ke-staff"


@dataclass
class Site:
    server: StaffServer
    ke: KE
    references: list[str]
    oidc_url: str
    mail: list[bytes]


class Mailbox:
    """The KE's mailbox: a local aiosmtpd server collecting what staff-web sends."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.content)
        return "250 OK"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from aiosmtpd.controller import Controller
    from oidc_provider_mock import run_server_in_thread

    from tests.serving import free_port

    tmp = tmp_path_factory.mktemp("staff-web")
    ke = KE(tmp / "ke")
    ke.add("kari", "Kari Saksbehandler")
    ke.add("lise", "Lise Leder", "leder")
    ke.add("ola", "Ola Oidc", password=False, oidc_subject="ola@oslo.kommune.no")
    ke.add("per", "Per Tastatur")
    refs = [
        ke.file(T0),
        ke.file(T0 + dt.timedelta(days=35), given_name="Per", family_name="Hansen"),
        ke.file(T0 + dt.timedelta(days=70), given_name="Anne", family_name="Berg"),
    ]
    ke.close()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        with run_server_in_thread() as oidc:
            issuer = f"http://localhost:{oidc.server_port}"
            env = {
                "KE_STAFF_OIDC_ISSUER": issuer,
                "KE_STAFF_OIDC_CLIENT_ID": OIDC_CLIENT,
                "KE_STAFF_OIDC_CLIENT_SECRET": "test-secret",
                "KE_SMTP_HOST": "127.0.0.1",
                "KE_SMTP_PORT": str(smtp.port),
                "KE_NOTICE_TO": "ke@oslo.kommune.example",
                "KE_NOTICE_INTERVAL_SECONDS": "3600",
            }
            with staff_server(tmp / "ke", tmp / "staff-web.log", **env) as server:
                yield Site(server, KE(tmp / "ke"), refs, issuer, mailbox.received)
    finally:
        smtp.stop()


class Pages:
    def __init__(self, browser: Any, site: Site) -> None:
        self.browser = browser
        self.site = site
        self.contexts: list[Any] = []
        self.foreign: list[str] = []
        self.errors: list[str] = []

    def new(self, *, width: int = 1280) -> Any:
        context = self.browser.new_context(
            viewport={"width": width, "height": 900}, locale="nb-NO", accept_downloads=True
        )
        context.set_default_timeout(10_000)
        context.add_init_script(path=str(AXE))
        self.contexts.append(context)
        ours = self.site.server.url
        allowed = (ours, self.site.oidc_url, "data:")

        def route(route: Any) -> None:
            # Nothing leaves this machine (the provider's own page asks a CDN for its CSS);
            # only a request from one of our pages counts against us.
            if route.request.url.startswith(allowed):
                route.continue_()
                return
            if route.request.frame.url.startswith(ours):
                self.foreign.append(route.request.url)
            route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def pages(browser: Any, site: Site) -> Iterator[Pages]:
    opened = Pages(browser, site)
    yield opened
    opened.close()
    assert not opened.foreign, opened.foreign
    csp = [e for e in opened.errors if "Content Security Policy" in e]
    assert not csp, csp


def no_axe_violations(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], (page.url, violations)


__all__ = ["Pages", "Site", "no_axe_violations"]
