"""Checks of settings that go beyond types: things `monitor config check` reports before they bite.

Pure: takes the settings, returns a list of human-readable problems. Network checks of SMTP and Slack
(which need their servers' answers) live with the alert channels.
"""

from __future__ import annotations

from monitor.config import Settings


def check_settings(settings: Settings) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for feed in settings.feeds:
        if feed.url in seen:
            problems.append(f"feed {feed.url} is listed twice")
        seen.add(feed.url)
    if settings.email.enabled and not settings.email.recipients:
        problems.append("email.enabled is true but email.recipients is empty")
    if settings.email.enabled and settings.email.security == "none" and settings.email.require_tls:
        problems.append('email.security is "none" while email.require_tls is true: mail would never be sent')
    if settings.slack.enabled and settings.slack.webhook_url is None:
        problems.append("slack.enabled is true but MONITOR_SLACK_WEBHOOK_URL is not set")
    return problems
