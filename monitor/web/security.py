"""Web security mechanisms: password hashing, CSRF tokens, a login rate limit, response headers.

Pure or in-memory; the views decide when to use them. What each defends against:
- Argon2id password hashes (argon2-cffi): a stolen database does not give away passwords.
- CSRF: every state-changing request carries the session's token (form field or ``X-CSRF-Token``
  header) and, when the browser sends one, an ``Origin`` equal to ours; SameSite cookies are a second layer.
- Login rate limit: a sliding window per client address and per username, so neither a single client
  nor a distributed guess at one account gets more than N tries a minute.
- Headers: a strict Content-Security-Policy (no inline script or style, no third-party origins, no
  framing), nosniff, no referrer, no caching of pages with sensitive names on them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on our own form posts,
    # which the CSRF origin check must refuse; outside links carry rel="noreferrer" anyway.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


# A constant hash to verify against when the user does not exist, so that timing does not tell
# whether a username is valid.
DUMMY_HASH = _hasher.hash("not-a-real-password-" + secrets.token_hex(8))


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds per key; thread-safe, in memory."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def allowed(self, *keys: str) -> bool:
        """True when none of ``keys`` is over its limit (does not record an event)."""
        now = self._clock()
        with self._lock:
            return all(len(self._trim(k, now)) < self.limit for k in keys)

    def hit(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._events.pop(key, None)
