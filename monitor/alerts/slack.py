"""Slack delivery through an incoming webhook (Block Kit JSON, built by ``render``).

- 2xx: delivered; the body (Slack answers ``ok``) is the server's answer.
- 429: temporary, with the server's Retry-After honoured (a well-known tool lost messages by ignoring it).
- 5xx, timeouts, connection errors: temporary.
- other 4xx (``invalid_payload``, ``no_service``, ``channel_is_archived``, a revoked webhook): permanent.
- 3xx: permanent; webhooks do not redirect, and following one could post an alert somewhere else.
- Pacing: at most one message per ``min_interval_seconds`` (Slack allows about one per second).
- The webhook URL must be https, except for a loopback address (a local test server or catcher).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from monitor.alerts import rules
from monitor.alerts import text as t
from monitor.config import SlackSettings
from monitor.errors import PermanentDeliveryError, TemporaryDeliveryError

CHANNEL = "slack"


def webhook_problem(url: str | None) -> str | None:
    """Why this webhook URL cannot be used, or None."""
    if not url:
        return "MONITOR_SLACK_WEBHOOK_URL is not set"
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the Slack webhook URL is not a valid URL"
    host = parts.hostname or ""
    if not host:
        return "the Slack webhook URL has no host"
    if parts.scheme == "https":
        return None
    loopback = host == "localhost"
    with contextlib.suppress(ValueError):
        loopback = loopback or ipaddress.ip_address(host).is_loopback
    if parts.scheme == "http" and loopback:
        return None
    return "the Slack webhook URL must be https:// (it is a secret: never send it in clear text)"


class SlackSender:
    def __init__(
        self, settings: SlackSettings, *, sleep: Any = time.sleep, clock: Any = time.monotonic
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock
        self._last_post: float | None = None

    @property
    def url(self) -> str | None:
        return self.settings.webhook_url.get_secret_value() if self.settings.webhook_url else None

    def _pace(self) -> None:
        if self._last_post is None or self.settings.min_interval_seconds <= 0:
            return
        wait = self.settings.min_interval_seconds - (self._clock() - self._last_post)
        if wait > 0:
            self._sleep(wait)

    def send(self, payload: dict[str, Any], now: dt.datetime) -> str:
        url = self.url
        problem = webhook_problem(url)
        if problem or url is None:
            raise PermanentDeliveryError(CHANNEL, problem or "no webhook")
        self._pace()
        try:
            response = httpx.post(
                url, json=payload, timeout=self.settings.timeout_seconds, follow_redirects=False
            )
        except httpx.TimeoutException as exc:
            raise TemporaryDeliveryError(CHANNEL, f"webhook timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise TemporaryDeliveryError(
                CHANNEL, f"webhook unreachable: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            self._last_post = self._clock()
        body = t.one_line(response.text, 300)
        answer = f"HTTP {response.status_code} {body}".strip()
        status = response.status_code
        if 200 <= status < 300:
            return answer
        if status == 429:
            retry_after = rules.parse_retry_after(response.headers.get("Retry-After"), now)
            raise TemporaryDeliveryError(
                CHANNEL,
                f"rate limited: {answer} (Retry-After {retry_after})",
                retry_after_seconds=retry_after,
            )
        if status >= 500:
            retry_after = rules.parse_retry_after(response.headers.get("Retry-After"), now)
            raise TemporaryDeliveryError(CHANNEL, f"server error: {answer}", retry_after_seconds=retry_after)
        raise PermanentDeliveryError(CHANNEL, f"webhook refused the message: {answer}")
