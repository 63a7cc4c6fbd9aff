"""A KE installation for the staff web tests: a data directory with the intake's signing key,
staff accounts (cheap Argon2 so tests stay fast), referrals filed at chosen times, and a clock
the tests move."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp

from bot.bootstrap import App
from bot.settings import Settings
from bot.staff.accounts import Account, AccountStore
from bot.staff.team import add_staff
from tests.fixtures.referrals import valid_referral

PASSPHRASE = "Fire ord er bedre enn ett"
PASSWORD = "riktig hest batteri stift"
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class KE:
    data_dir: Path
    clock: Clock = field(default_factory=Clock)
    app: App = field(init=False)
    store: AccountStore = field(init=False)

    def __post_init__(self) -> None:
        settings = Settings(data_dir=self.data_dir, allow_synthetic_ids=True)
        self.app = App.from_settings(settings)  # intake side: it files the test referrals
        self.app.clock = self.clock
        self.store = AccountStore(self.data_dir / "staff")

    def add(
        self,
        username: str,
        name: str,
        role: str = "saksbehandler",
        *,
        kommune: str = "0301",
        oidc_subject: str | None = None,
        password: bool = True,
    ) -> Account:
        added = add_staff(
            self.app,
            self.store,
            username=username,
            name=name,
            role=role,  # type: ignore[arg-type]
            recipients=(kommune,),
            passphrase=PASSPHRASE.encode(),
            password=PASSWORD if password else None,
            oidc_subject=oidc_subject,
            by="test",
            now=self.clock(),
            cheap_kdf=True,
        )
        return added.account

    def code(self, username: str) -> str:
        account = self.store.get(username)
        assert account is not None and account.totp_secret
        return pyotp.TOTP(account.totp_secret).at(self.clock().timestamp())

    def file(self, at: dt.datetime | None = None, **changes: Any) -> str:
        """File the example referral (with `person` fields changed) at `at`."""
        data = copy.deepcopy(valid_referral())
        data["person"].update(changes)
        saved = self.clock.now
        if at is not None:
            self.clock.now = at
        try:
            receipt = self.app.file(data, channel="file", language="nn", idempotency_key=None)
        finally:
            self.clock.now = saved
        return receipt.reference

    def close(self) -> None:
        self.app.close()


@contextmanager
def installation(tmp_path: Path) -> Iterator[KE]:
    ke = KE(tmp_path / "ke")
    try:
        yield ke
    finally:
        ke.close()
