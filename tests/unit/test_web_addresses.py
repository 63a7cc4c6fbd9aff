"""The limits per address count an IPv6 client by its /64 network (a home line or a phone gets a
whole /64, so one guesser could take a fresh allowance of resume tries from each of 2^64
addresses); IPv4, and IPv4 mapped into IPv6, count per address. Found by the acceptance audit
of issue 12: the resume-code limit was per single IPv6 address."""

from __future__ import annotations

import warnings
from types import SimpleNamespace
from typing import Any

from bot.settings import Settings
from bot.web.app import _address, create_app
from bot.web.build import build_web
from tests.unit.test_web_app import csrf

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def at(host: str) -> Any:
    return SimpleNamespace(client=SimpleNamespace(host=host))


def test_an_ipv6_client_counts_by_its_64_network() -> None:
    assert _address(at("2001:db8:1:2:aaaa::1")) == _address(at("2001:db8:1:2:ffff::9"))
    assert _address(at("2001:db8:1:2::1")) != _address(at("2001:db8:1:3::1"))
    assert _address(at("203.0.113.7")) == "203.0.113.7"
    assert _address(at("::ffff:203.0.113.7")) == "203.0.113.7"


def test_resume_tries_from_one_64_share_one_limit() -> None:
    values = {"allow_synthetic_ids": True, "id_hash_secret": "x" * 32, "draft_store": "memory"}
    web = build_web(Settings(_env_file=None, web_resume_tries=2, **values), None)  # type: ignore[call-arg]
    app = create_app(web)
    statuses = []
    for n in range(3):
        c = TestClient(app, base_url="https://testserver", client=(f"2001:db8:5:6::{n + 1}", 1))
        token = csrf(c.get("/").text)
        statuses.append(c.post("/resume", data={"csrf": token, "code": "0000000000"}).status_code)
    assert statuses == [400, 400, 429]
