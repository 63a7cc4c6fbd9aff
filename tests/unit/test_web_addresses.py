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


def test_a_clients_address_is_not_kept_in_plain_past_an_hour() -> None:
    """The address's pseudonym is kept for recent addresses (it is an HMAC each turn), but an
    address is personal: on a quiet worker one stayed in memory until 1,024 others had come."""
    now = [1_800_000_000.0]
    values = {"allow_synthetic_ids": True, "id_hash_secret": "x" * 32, "draft_store": "memory"}
    web = build_web(Settings(_env_file=None, **values), None)  # type: ignore[call-arg]
    web.clock = lambda: now[0]
    app = create_app(web)
    routes = app.app.router.routes[0].endpoint.__self__  # type: ignore[attr-defined]
    first = TestClient(app, base_url="https://testserver", client=("203.0.113.7", 1))
    first.post("/resume", data={"csrf": csrf(first.get("/").text), "code": "0000000000"})
    assert "203.0.113.7" in routes._addresses
    now[0] += 3601
    other = TestClient(app, base_url="https://testserver", client=("198.51.100.9", 1))
    other.post("/resume", data={"csrf": csrf(other.get("/").text), "code": "0000000000"})
    assert "203.0.113.7" not in routes._addresses
    assert "198.51.100.9" in routes._addresses
