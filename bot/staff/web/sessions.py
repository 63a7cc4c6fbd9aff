"""Server-side staff sessions and the login throttle.

The cookie carries only an opaque random id. Everything else (who is logged in, the CSRF token,
the unlocked private key) stays in this process's memory and is dropped at logout, after the
idle time or at the absolute limit: an unlocked key never reaches a disk or a cookie. One
staff-web process per KE installation; a restart logs everyone out, by design.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.staff.web.guards import new_token

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

MAX_SESSIONS = 2000  # anonymous login-page sessions included; the oldest go first


@dataclass
class Session:
    id: str
    csrf: str
    created: datetime
    last_seen: datetime
    username: str | None = None
    via: str | None = None  # "password" or "oidc"
    private_key: X25519PrivateKey | None = None
    # Opened-referral summaries for the queue and search; dropped with the session.
    cache: dict[str, Any] = field(default_factory=dict)
    # OpenID Connect state and nonce while a login is under way.
    pending: dict[str, str] = field(default_factory=dict)
    flash: list[str] = field(default_factory=list)

    @property
    def unlocked(self) -> bool:
        return self.private_key is not None

    def lock(self) -> None:
        self.private_key = None
        self.cache.clear()


class SessionStore:
    def __init__(
        self,
        clock: Callable[[], datetime],
        *,
        idle: timedelta = timedelta(minutes=15),
        absolute: timedelta = timedelta(hours=10),
    ) -> None:
        self.clock = clock
        self.idle = idle
        self.absolute = absolute
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def new(self) -> Session:
        now = self.clock()
        session = Session(
            id=secrets.token_urlsafe(32), csrf=new_token(), created=now, last_seen=now
        )
        self._sessions[session.id] = session
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> tuple[Session | None, bool]:
        """The live session for the cookie, and whether one existed but has just expired."""
        if not session_id:
            return None, False
        session = self._sessions.get(session_id)
        if session is None:
            return None, False
        now = self.clock()
        if now - session.last_seen > self.idle or now - session.created > self.absolute:
            self.drop(session)
            return None, session.username is not None
        return session, False

    def touch(self, session: Session) -> None:
        session.last_seen = self.clock()
        self._sessions.move_to_end(session.id)

    def remaining(self, session: Session) -> timedelta:
        return max(timedelta(0), session.last_seen + self.idle - self.clock())

    def rotate(self, session: Session) -> Session:
        """A fresh id and token at login (no session fixation); pending login state kept."""
        self.drop(session)
        fresh = self.new()
        fresh.pending = session.pending
        return fresh

    def drop(self, session: Session) -> None:
        session.lock()
        self._sessions.pop(session.id, None)

    def drop_user(self, username: str) -> None:
        for session in [s for s in self._sessions.values() if s.username == username]:
            self.drop(session)


class LoginThrottle:
    """Failed logins slow down: after `free` failures for a username or a client address, each
    further attempt must wait 2, 4, 8 ... seconds (at most `cap`) after the last failure. A
    success clears the username's count."""

    def __init__(
        self, clock: Callable[[], datetime], *, free: int = 3, cap: timedelta = timedelta(minutes=5)
    ) -> None:
        self.clock = clock
        self.free = free
        self.cap = cap
        self._failures: dict[str, tuple[int, datetime]] = {}

    def wait(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for these keys (0: now)."""
        now = self.clock()
        longest = timedelta(0)
        for key in keys:
            count, last = self._failures.get(key, (0, now))
            if count < self.free:
                continue
            delay = min(self.cap, timedelta(seconds=2 ** (count - self.free + 1)))
            longest = max(longest, last + delay - now)
        return int(longest.total_seconds() + 0.999) if longest > timedelta(0) else 0

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            count, _ = self._failures.get(key, (0, now))
            self._failures[key] = (count + 1, now)
        if len(self._failures) > 10 * MAX_SESSIONS:
            self._failures.clear()  # a flood of names must not grow memory without bound

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)


class TotpReplay:
    """A TOTP code is accepted once: the last time step used per account is remembered."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def fresh(self, username: str, step: int) -> bool:
        if self._last.get(username, -1) >= step:
            return False
        self._last[username] = step
        return True
