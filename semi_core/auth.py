"""Sign-in and roles for a shared studio: accounts with hashed passwords, who may do what,
and a brake on guessing passwords.

Accounts live in `.streamlit/secrets.toml`:

    [annotators]                  # every account: name = "<hash from `semi hash-password`>"
    ada = "pbkdf2_sha256$200000$..."
    lin = "pbkdf2_sha256$200000$..."

    [roles]                       # optional: an account not named here is an annotator
    lin = "admin"

An annotator reviews; an admin also changes settings, starts and cancels runs, exports
and settles disagreements. With no accounts the sign-in is off and everyone may do
everything (the local default: a studio bound to 127.0.0.1).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 200_000

ANNOTATOR, ADMIN = "annotator", "admin"
ROLES = (ANNOTATOR, ADMIN)  # each role may do all that the roles before it may


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    encoded = base64.b64encode(salt).decode(), base64.b64encode(digest).decode()
    return f"{ALGORITHM}${ITERATIONS}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by `hash_password` (constant time)."""
    try:
        algorithm, iterations, salt, digest = stored.split("$")
        if algorithm != ALGORITHM:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.pbkdf2_hmac(
            "sha256", password.encode(), base64.b64decode(salt), int(iterations)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


@functools.cache
def _unknown_name_hash() -> str:
    return hash_password("", salt=bytes(16))


def check_login(accounts: Mapping[str, str], name: str, password: str) -> bool:
    stored = accounts.get(name.strip())
    if not stored:
        # The same work as for a known name, so the time taken does not tell names apart.
        verify_password(password, _unknown_name_hash())
        return False
    return verify_password(password, stored)


# -- roles ---------------------------------------------------------------------------------


def has_role(held: str | None, needed: str) -> bool:
    """Whether the role `held` may do what `needed` may (None: not signed in)."""
    return held in ROLES and ROLES.index(held) >= ROLES.index(needed)


class AccountsError(ValueError):
    """The accounts in the secrets cannot be read; the message says where."""


def _table(secrets_: Mapping[str, Any], name: str) -> dict[str, str]:
    table = secrets_.get(name) or {}
    if not isinstance(table, Mapping) or not all(
        isinstance(value, str) for value in table.values()
    ):
        raise AccountsError(f'[{name}] in secrets.toml must be a table of name = "text" lines')
    return {str(key): value for key, value in table.items()}


@dataclass(frozen=True)
class Accounts:
    """The studio's accounts: each name's password hash and role."""

    passwords: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_secrets(cls, secrets_: Mapping[str, Any]) -> Accounts:
        """From secrets.toml's `[annotators]` (name = hash) and `[roles]` (name = role).
        A role that is not one of ROLES counts as annotator: a typo grants nothing.
        Raises AccountsError when a table is not shaped so, since a studio that reads no
        accounts from a broken file would open to everyone."""
        passwords = _table(secrets_, "annotators")
        named = _table(secrets_, "roles")
        roles = {name: named[name] if named.get(name) in ROLES else ANNOTATOR for name in passwords}
        return cls(passwords, roles)

    @property
    def sign_in_required(self) -> bool:
        return bool(self.passwords)

    def role_of(self, name: str | None) -> str | None:
        """The account's role; None for a name that is no account."""
        return self.roles.get(name) if name else None

    def may(self, name: str | None, needed: str) -> bool:
        """Whether `name` (the signed-in account, None if nobody) may act as `needed`.
        With sign-in off everyone may."""
        return not self.sign_in_required or has_role(self.role_of(name), needed)


# -- failed sign-ins -------------------------------------------------------------------------


class SignInError(Exception):
    """A refused sign-in; the message is the one sentence to show."""


def _duration(seconds: float) -> str:
    if seconds < 90:
        whole = max(math.ceil(seconds), 1)
        return f"{whole} second{'s' * (whole != 1)}"
    return f"{math.ceil(seconds / 60)} minutes"


class SignInThrottle:
    """Failed sign-ins remembered by the server process, per account name and per browser
    session, so that neither a new session nor a new name starts afresh. Once `free`
    attempts failed within `window_s`, the next waits `delay_s`, doubling with each
    further failure up to `max_delay_s`, counted from the last failure."""

    def __init__(self, *, free: int = 5, window_s: float = 900.0, delay_s: float = 30.0,
                 max_delay_s: float = 900.0, max_tracked: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.free, self.window_s = free, window_s
        self.delay_s, self.max_delay_s = delay_s, max_delay_s
        self.max_tracked = max_tracked
        self.clock = clock
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(name: str, session: str) -> list[tuple[str, str]]:
        return [("name", name.strip().casefold()), ("session", session)]

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def _wait_s(self, key: tuple[str, str], now: float) -> float:
        times = self._recent(key, now)
        if len(times) < self.free:
            return 0.0
        delay = min(self.delay_s * 2 ** (len(times) - self.free), self.max_delay_s)
        return max(times[-1] + delay - now, 0.0)

    def wait_s(self, name: str, session: str) -> float:
        """Seconds before `name` may be tried again from `session` (0: now)."""
        with self._lock:
            now = self.clock()
            return max(self._wait_s(key, now) for key in self._keys(name, session))

    def attempt(self, name: str, session: str) -> float:
        """Start an attempt: the seconds to wait when it must wait (nothing is counted),
        else 0 and the attempt counts as failed until `succeeded`. Counting it before the
        password is checked keeps a burst of parallel attempts within the limit."""
        with self._lock:
            now = self.clock()
            wait = max(self._wait_s(key, now) for key in self._keys(name, session))
            if wait > 0:
                return wait
            while len(self._failures) >= self.max_tracked:  # made-up names must not fill memory
                del self._failures[min(self._failures, key=lambda k: self._failures[k][-1])]
            for key in self._keys(name, session):
                self._failures.setdefault(key, []).append(now)
            return 0.0

    def succeeded(self, name: str, session: str) -> None:
        """The attempt was right: the name's and the session's failures are forgotten."""
        with self._lock:
            for key in self._keys(name, session):
                self._failures.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()


SIGN_IN_THROTTLE = SignInThrottle()  # the server process's one memory of failed sign-ins


def sign_in(accounts: Accounts, name: str, password: str, session: str,
            throttle: SignInThrottle = SIGN_IN_THROTTLE) -> str:  # fmt: skip
    """The account name when `password` is right for it; raises SignInError with one
    sentence otherwise, or when this name or session failed too often of late (then the
    password is not even checked)."""
    name = name.strip()
    wait = throttle.attempt(name, session)
    if wait > 0:
        raise SignInError(f"Too many failed sign-ins: try again in {_duration(wait)}.")
    if not check_login(accounts.passwords, name, password):
        raise SignInError("Unknown name or wrong password.")
    throttle.succeeded(name, session)
    return name
