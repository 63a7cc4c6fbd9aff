"""The one composition root: settings -> engine -> inbox -> sealer -> `app.file(...)`.

Every entry point (the CLI, the Telegram and Rasa adapters, the terminal chat) builds an App here
instead of wiring storage itself. Building one applies pending migrations and, on the intake
side, loads or creates the service's signing key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import Engine

from bot.runtime.clock import oslo_date, utcnow
from bot.settings import Settings
from intake.filing import Receipt, Sealer, file_referral, validated
from intake.model import Attachment, Referral
from intake.reference import RANDOM_BYTES, make_reference
from intake.rules import Policy
from intake.texts import Language
from storage.files import create_once
from storage.inbox import Inbox, SqlInbox

log = logging.getLogger(__name__)

DEMO_PASSPHRASE = b"demo"
DEMO_RECIPIENT = "demo"
RECEIVING_SECONDS = 60.0  # how long the list of kommuner with a KE key is trusted
# How long a turn waits for that list (or the inbox's first open) before going on without it:
# a database that froze must not hold the turn, nor, in Telegram, the event loop of every chat.
RECEIVING_WAIT_SECONDS = 1.0


class Background:
    """One call at a time in a daemon thread (a hung one never blocks the process's exit),
    waited for a bounded time: `run` returns its result, raises its error, or raises
    TimeoutError while it is still running. A later `run` takes the same call's outcome; once
    the call has outlasted one wait it is not waited for again (TimeoutError at once until it
    ends): the callers are turns on an event loop, which would otherwise stop every chat for
    `wait` at each turn while the database stays frozen."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._future: Future[Any] | None = None
        self._overdue = False  # the call in `_future` has outlasted a wait

    def run(self, work: Callable[[], Any], wait: float) -> Any:
        with self._lock:
            future = self._future
            if future is None:
                future = self._future = Future()
                self._overdue = False
                threading.Thread(target=_settle, args=(future, work), daemon=True).start()
            elif self._overdue:
                wait = 0.0
        try:
            done, _ = wait_futures([future], timeout=wait)
            if not done:
                with self._lock:
                    if self._future is future:
                        self._overdue = True
                raise TimeoutError("still running")
            return future.result()
        finally:
            if future.done():
                with self._lock:
                    if self._future is future:
                        self._future = None


def _settle(future: Future[Any], work: Callable[[], Any]) -> None:
    try:
        future.set_result(work())
    except BaseException as error:
        future.set_exception(error)


@dataclass
class App:
    """Filing and reading on one inbox: the SQL one `from_settings` opens (its `engine` is
    disposed on `close`), or any other `Inbox`, such as the in-memory twin."""

    settings: Settings
    inbox: Inbox
    signing_key: Ed25519PrivateKey | None
    engine: Engine | None = None
    demo: bool = False
    clock: Callable[[], dt.datetime] = utcnow
    _sealer: Sealer | None = field(default=None, repr=False)
    _receiving: tuple[float, frozenset[str]] | None = field(default=None, repr=False)
    _reading: Background = field(default_factory=Background, repr=False)

    @classmethod
    def from_settings(
        cls, settings: Settings | None = None, *, demo: bool = False, intake_side: bool = True
    ) -> App:
        """Build the app. `intake_side=False` (a KE workstation) never creates a signing key;
        it verifies filings with the signing key or `signing.pub` it finds, if any."""
        from storage.inbox.db import describe, make_engine, upgrade

        settings = settings or Settings()
        if demo:
            settings = settings.with_synthetic_ids()
            log.warning(
                "demo mode: synthetic national ids allowed, demo KE key in %s", _demo_dir(settings)
            )
        engine = make_engine(settings.sqlalchemy_url)
        try:
            upgrade(engine)
            log.info("inbox database: %s", describe(engine))
            signing_key = _signing_key(settings, create=intake_side or demo)
            inbox = SqlInbox(
                engine,
                idempotency_secret=_idempotency_secret(settings),
                verify_keys=_verify_keys(settings, signing_key),
            )
        except BaseException:
            engine.dispose()
            raise
        return cls(
            settings=settings, engine=engine, inbox=inbox, signing_key=signing_key, demo=demo
        )

    @property
    def sealer(self) -> Sealer:
        if self._sealer is None:
            from storage.crypto.sealer import EnvelopeSealer

            if self.signing_key is None:
                raise RuntimeError("this app has no signing key; it cannot file referrals")
            self._sealer = EnvelopeSealer(self.inbox.recipient_keys, self.signing_key)
        return self._sealer

    @property
    def verify_keys(self) -> Mapping[str, Ed25519PublicKey]:
        return self.inbox.verify_keys or {}

    def receiving(self) -> frozenset[str] | None:
        """The kommuner with an active KE key (read again after RECEIVING_SECONDS, so a key
        registered while a channel runs is seen); None (unknown: nobody is refused) in demo
        mode, where the demo key is registered for any kommune at its first filing, and when
        the inbox cannot be read just now. Read in a worker thread: one that takes more than
        RECEIVING_WAIT_SECONDS (a frozen database) leaves the list as it was meanwhile."""
        if self.demo:
            return None
        now = time.monotonic()
        if self._receiving is None or now - self._receiving[0] > RECEIVING_SECONDS:
            try:
                keys = self._reading.run(self.inbox.all_recipient_keys, RECEIVING_WAIT_SECONDS)
            except TimeoutError:
                log.warning("registered KE keys not read in time; the list as it was")
                return self._receiving[1] if self._receiving is not None else None
            except Exception as error:  # the filing will say what is wrong; asking goes on
                log.warning("registered KE keys not readable (%s)", type(error).__name__)
                return None
            self._receiving = (now, frozenset(k.recipient for k in keys if not k.retired))
        return self._receiving[1]

    def policy(self) -> Policy:
        # Ages and dates in the rules are Norwegian calendar days.
        return self.settings.policy(oslo_date(self.clock()))

    def file(
        self,
        referral: Referral | Mapping[str, Any],
        *,
        channel: str,
        language: Language,
        idempotency_key: str | None,
        attachments: Sequence[tuple[Attachment, bytes]] = (),
    ) -> Receipt:
        """Validate, seal and store one referral; raises InvalidReferral, storing nothing."""
        from storage.crypto.body import pack_body

        policy = self.policy()
        if self.demo:
            # Judge first: an invalid referral must not leave even a demo key registration.
            self._ensure_demo_key(validated(referral, policy).kommune)
        receipt = file_referral(
            referral,
            policy=policy,
            channel=channel,
            language=language,
            idempotency_key=idempotency_key,
            attachments=attachments,
            inbox=self.inbox,
            sealer=self.sealer,
            pack_body=pack_body,
            clock=self.clock,
            new_id=uuid.uuid4,
            new_reference=lambda: make_reference(secrets.token_bytes(RANDOM_BYTES)),
        )
        log.info(
            "referral filed: reference=%s channel=%s duplicate=%s",
            receipt.reference,
            channel,
            receipt.duplicate,
        )
        return receipt

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    # -- demo ------------------------------------------------------------------------------

    def demo_private_key_file(self) -> Path:
        return _demo_dir(self.settings) / "demo-ke.key"

    def _ensure_demo_key(self, kommune: str) -> None:
        """Register the demo KE key for the referral's kommune when it has none."""
        if self.inbox.recipient_keys(kommune):
            return
        from storage.crypto.envelope import RecipientKey
        from storage.crypto.keys import load_public_key

        public = _demo_dir(self.settings) / "demo-ke.pub"
        if not public.exists():
            _create_demo_keys(self.settings)
        _, key = load_public_key(public)
        recipient = RecipientKey.of(key)
        self.inbox.add_recipient_key(
            kommune,
            recipient.key_id,
            key.public_bytes_raw(),
            self.clock(),
            actor="demo",
        )
        log.warning(
            "demo mode: registered the demo KE key %s for kommune %s", recipient.key_id, kommune
        )


OPEN_RETRY_SECONDS = 10.0


class LazyApp:
    """A `Filer` that opens the App (database, keys) on the first filing, once, so a chat
    that never sends never touches the inbox. Safe to share between threads."""

    def __init__(self, settings: Settings, *, demo: bool = False) -> None:
        self.settings, self.demo = settings, demo
        self._app: App | None = None
        self._lock = threading.Lock()
        self._retry_at = 0.0  # a failed open is tried again for the kommuner after this
        self._opening = Background()

    def app(self) -> App:
        with self._lock:
            if self._app is None:
                self._app = App.from_settings(self.settings, demo=self.demo)
            return self._app

    def file(self, referral: Referral, **options: Any) -> Receipt:
        """`App.file` on the App opened at the first call."""
        return self.app().file(referral, **options)

    def close(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.close()
                self._app = None

    def try_open(self, channel: str) -> bool:
        """Open the App now if the inbox can be reached: a database down at start stops no
        channel (the first filing tries again, and the person is told if it fails)."""
        try:
            self.app()
        except Exception as error:
            log.warning(
                "%s: the inbox is not reachable yet (%s); running, filing once it is",
                channel,
                type(error).__name__,
            )
            return False
        return True

    def receiving(self) -> frozenset[str] | None:
        """`App.receiving` (None in demo mode, without opening the App, and while the inbox
        cannot be opened: nobody is refused for it, the filing says what is wrong)."""
        if self.demo:
            return None
        if self._app is None and time.monotonic() < self._retry_at:
            return None  # tried just now: not on every turn while the database is down
        try:
            app = self._app or self._opening.run(self.app, RECEIVING_WAIT_SECONDS)
        except TimeoutError:
            return None  # still opening (the connect gives up within its time-out)
        except Exception as error:
            self._retry_at = time.monotonic() + OPEN_RETRY_SECONDS
            log.warning("registered KE keys not readable (%s)", type(error).__name__)
            return None
        return app.receiving()


def _demo_dir(settings: Settings) -> Path:
    return settings.data_dir / "demo-keys"


def _create_demo_keys(settings: Settings) -> None:
    from storage.crypto.keys import (
        Argon2Params,
        generate_recipient_key,
        save_private_key,
        save_public_key,
    )
    from storage.files import exclusive_lock

    folder = _demo_dir(settings)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Workers sharing a data dir (and threads of one) may all find no pair at their first
    # filing: under this lock one makes it and the others find it, so every demo filing is
    # sealed to the key in demo-ke.key (the public file is written last and is the sign).
    with exclusive_lock(folder / ".lock"):
        if (folder / "demo-ke.pub").exists():
            return
        key = generate_recipient_key()
        # The passphrase is public ("demo"), so a memory-hard KDF would only slow every start.
        cheap = Argon2Params.cheap_for_tests()
        save_private_key(
            folder / "demo-ke.key",
            key,
            DEMO_PASSPHRASE,
            DEMO_RECIPIENT,
            argon2=cheap,
            overwrite=True,
        )
        save_public_key(folder / "demo-ke.pub", key.public_key(), DEMO_RECIPIENT)
    log.warning("demo mode: created a demo KE key pair in %s (passphrase: demo)", folder)


# -- signing key and secrets -----------------------------------------------------------------


def signing_key_path(settings: Settings) -> Path:
    return settings.signing_key_file or settings.data_dir / "signing.key"


def _signing_key(settings: Settings, *, create: bool) -> Ed25519PrivateKey | None:
    from storage.crypto.keys import load_or_create_signing_key, load_signing_key

    path = signing_key_path(settings)
    phrase = settings.signing_key_passphrase
    secret = phrase.get_secret_value().encode() if phrase else None
    if not create:
        return load_signing_key(path, secret) if path.exists() else None
    public = path.with_suffix(".pub")
    key, created = load_or_create_signing_key(path, secret, verify_key=public)
    if created:
        log.warning(
            "created a new intake signing key at %s; give %s to the KE workstations", path, public
        )
    return key


def _verify_keys(
    settings: Settings, signing_key: Ed25519PrivateKey | None
) -> dict[str, Ed25519PublicKey]:
    """The intake's own key, plus every verify key (`*.pub`) next to it or in verify-keys/."""
    from storage.crypto.keys import load_verify_key, read_key_file_info, verify_keys_for

    keys: list[Ed25519PublicKey] = [signing_key.public_key()] if signing_key else []
    path = signing_key_path(settings)
    candidates = [
        path.with_suffix(".pub"),
        *sorted((settings.data_dir / "verify-keys").glob("*.pub")),
    ]
    for candidate in candidates:
        if candidate.is_file() and read_key_file_info(candidate).kind == "verify-key":
            keys.append(load_verify_key(candidate))
    return verify_keys_for(*keys)


def _idempotency_secret(settings: Settings) -> bytes:
    """From KE_ID_HASH_SECRET (shared by all workers), else a per-installation secret file."""
    if settings.id_hash_secret is not None:
        base = settings.id_hash_secret.get_secret_value().encode()
    else:
        path = settings.data_dir / "inbox.secret"
        if not path.exists() and create_once(path, secrets.token_hex(32), folder_mode=0o777):
            log.info(
                "created the idempotency secret %s (set KE_ID_HASH_SECRET for several workers)",
                path,
            )
        base = path.read_text().strip().encode()
    return hmac.new(base, b"ke-intake inbox idempotency", hashlib.sha256).digest()
