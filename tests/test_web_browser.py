"""The review app in a real headless Chromium: log in, review by keyboard, correct an incident, and
neither hostile feed content nor a cross-site form can act in the analyst's browser."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Settings
from monitor.storage import reviews
from monitor.storage.db import Database
from monitor.storage.models import Incident, Silence
from monitor.web import create_app
from tests.support import browser as browser_support
from tests.support import seed
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.web import PASSWORD, LiveServer, add_analyst

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    yield from browser_support.launch()


@pytest.fixture
def sqlite_settings(make_settings, sqlite_url: str) -> Settings:
    return make_settings(env={"MONITOR_DATABASE_URL": sqlite_url})


@pytest.fixture
def site(sqlite_settings: Settings, sqlite_url: str) -> Iterator[tuple[LiveServer, Database]]:
    db = Database(sqlite_url)
    add_analyst(db)
    with LiveServer(create_app(sqlite_settings, db)) as server:
        yield server, db
    db.dispose()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    context = chromium.new_context()
    page = context.new_page()
    yield page
    context.close()


def _login(page: Any, server: LiveServer) -> None:
    page.goto(server.url("/login"))
    page.fill('input[name="username"]', "analyst")
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(server.url("/"))


def test_keyboard_review_is_one_page_load_plus_one_request_per_verdict(page: Any, site: Any) -> None:
    server, db = site
    with db.transaction() as s:
        feed = seed.feed(s, title="Dawn")
        for n in range(50):
            seed.article(
                s, feed, f"Worker number {n} shot dead", published_at=seed.NOW - dt.timedelta(minutes=n)
            )
    _login(page, server)
    seen: list[tuple[str, str, str]] = []
    page.on("request", lambda r: seen.append((r.method, r.resource_type, r.url)))
    page.goto(server.url("/review"))
    page.wait_for_selector("#queue .item.current")
    loads = len(seen)
    for n in range(50):
        page.keyboard.press("c" if n % 2 == 0 else "r")
        page.locator("#queue .item.done").nth(n).wait_for()
    after = seen[loads:]
    documents = [r for r in seen if r[1] == "document"]
    assert len(documents) == 1, documents
    assert len(after) == 50 and all(m == "POST" and "/api/articles/" in u for m, _, u in after)
    with db.reader() as s:
        counts = reviews.review_counts(s)
    assert counts == {"confirmed": 25, "rejected": 25, "unsure": 0}
    assert "Saved" in page.inner_text("#status")


def test_correct_an_incident_in_the_browser(page: Any, site: Any) -> None:
    server, db = site
    with db.transaction() as s:
        incident_id = seed.incident(s, deaths=1, place_name="Lyari").id
    _login(page, server)
    page.goto(server.url(f"/incidents/{incident_id}"))
    page.fill('input[name="deaths"]', "4")
    page.fill('input[name="place_name"]', "Orangi Town")
    page.click("text=Save corrections")
    page.wait_for_selector(".flash")
    assert "Saved" in page.inner_text(".flash")
    with db.reader() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None and (incident.deaths, incident.place_name) == (4, "Orangi Town")


HOSTILE_SNIPPETS = [
    "<script>window.__xss='script'</script>",
    '<img src="http://127.0.0.1:9/x.png" onerror="window.__xss=\'img\'">',
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "<a href=\"javascript:window.__xss='js-link'\">click</a>",
    '"><script>window.__xss="attr"</script>',
    "<iframe src=\"javascript:parent.__xss='iframe'\"></iframe>",
    "<style>body{background:url(http://127.0.0.1:9/bg)}</style>",
    "{{7*7}}${7*7}<%= 7*7 %>",
    '<meta http-equiv="refresh" content="0;url=http://127.0.0.1:9/">',
    '<form action="http://127.0.0.1:9/"><button>go</button></form>',
]


def _watch(page: Any, own_origin: str) -> tuple[list[str], list[str]]:
    outside: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(own_origin) else outside.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return outside, dialogs


def test_hostile_feed_content_neither_runs_nor_loads_anything(page: Any, site: Any) -> None:
    server, db = site
    with db.transaction() as s:
        feed = seed.feed(s, title=HOSTILE_SNIPPETS[0])
        incident = seed.incident(s, title=HOSTILE_SNIPPETS[1], place_name=HOSTILE_SNIPPETS[2])
        ids = [
            seed.article(
                s, feed, snippet, summary=snippet, reasons=[snippet], incident=incident,
                url="javascript:window.__xss='href'" if n == 0 else None,
            ).id
            for n, snippet in enumerate(HOSTILE_SNIPPETS)
        ]  # fmt: skip
    _login(page, server)
    outside, dialogs = _watch(page, server.url("/").rstrip("/"))
    for path in [
        "/review",
        "/",
        "/incidents",
        f"/incidents/{incident.id}",
        "/feeds",
        *(f"/articles/{i}" for i in ids),
    ]:
        page.goto(server.url(path))
        page.wait_for_load_state("load")
        assert page.evaluate("window.__xss") is None, path
        assert page.evaluate("parent.__xss") is None, path
    # The title link of the javascript: article is inert in the queue too.
    page.goto(server.url("/review"))
    page.keyboard.press("o")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None
    assert outside == [] and dialogs == []
    assert "49" not in page.inner_text("#queue")  # template syntax in feed text is not evaluated


def test_a_cross_site_form_cannot_change_anything(page: Any, site: Any, tmp_path: Path) -> None:
    server, db = site
    attacker = LocalHTTPServer().start()
    try:
        html = (
            f'<form id="f" method="post" action="{server.url("/silences")}">'
            '<input name="field" value="place"><input name="value" value="Karachi">'
            '<input name="hours" value="999">'
            '</form><script>document.getElementById("f").submit()</script>'
        )
        attacker.route("/", Reply(200, html.encode(), {"Content-Type": "text/html"}))
        _login(page, server)
        page.goto(attacker.url("/"))
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert "CSRF check failed" in page.content()
    finally:
        attacker.stop()
    with db.reader() as s:
        assert s.query(Silence).count() == 0
