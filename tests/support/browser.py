"""Headless Chromium for tests (Debian's package, driven by Playwright; no browser download).

Skips with a clear reason when Chromium is not installed, unless MONITOR_REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    configured = os.environ.get("MONITOR_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch() -> Iterator[Any]:
    path = chromium_path()
    if path is None:
        message = "headless Chromium not found (Debian: apt-get install chromium; or set MONITOR_CHROMIUM)"
        if os.environ.get("MONITOR_REQUIRE_BROWSER") == "1":
            pytest.fail(f"MONITOR_REQUIRE_BROWSER=1 but {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
