"""The web app keeps out whoever has not logged in, refuses cross-site changes and escapes what it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from monitor.config import Settings
from monitor.storage.db import Database
from monitor.web import create_app
from tests.support import seed
from tests.support.web import PASSWORD, add_analyst, csrf_from, login


@pytest.fixture
def app(settings: Settings, db: Database) -> Iterator[Flask]:
    yield create_app(settings, db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _concrete(rule: str) -> str:
    return re.sub(r"<(?:int:)?[a-z_]+>", "1", rule).replace("<fmt>", "csv")


def test_every_route_needs_login(app: Flask, client: FlaskClient) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.login", "favicon"):
            continue
        path = _concrete(rule.rule.replace("<fmt>", "csv"))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            checked += 1
            if path.startswith(("/api/", "/export/")):
                assert response.status_code == 401, (method, path)
            else:
                assert response.status_code == 302, (method, path)
                assert response.headers["Location"].startswith("/login"), (method, path)
    assert checked >= 15


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    response = login(client)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200
    token = csrf_from(client.get("/").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/").status_code == 302


def test_cookie_is_secure_behind_tls(make_settings, db: Database, db_url: str) -> None:
    settings = make_settings(env={"MONITOR_DATABASE_URL": db_url, "MONITOR_WEB__BEHIND_TLS": "true"})
    add_analyst(db)
    client = create_app(settings, db).test_client()
    response = login(client)
    assert "Secure" in response.headers["Set-Cookie"]
    assert client.get("/").headers["Strict-Transport-Security"]


def test_wrong_password_and_disabled_account_are_refused(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    assert login(client, password="wrong password!").status_code == 401
    assert login(client, username="nobody").status_code == 401
    from monitor.storage import reviews

    with db.transaction() as s:
        reviews.set_active(s, "analyst", False)
    assert login(client).status_code == 401


def test_login_is_rate_limited(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    for _ in range(5):
        assert login(client, password="wrong password!").status_code == 401
    # Even the right password is refused until the window passes.
    assert login(client, password=PASSWORD).status_code == 429


def test_login_redirects_only_to_local_paths(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    page = client.get("/login?next=//evil.example/x")
    token = csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": "analyst", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/"


def test_changes_need_the_csrf_token_and_our_origin(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    with db.transaction() as s:
        article_id = seed.article(s, seed.feed(s), "A worker shot dead").id
    login(client)
    token = csrf_from(client.get("/review").get_data(as_text=True))
    url = f"/api/articles/{article_id}/review"
    assert client.post(url, json={"verdict": "confirmed"}).status_code == 403
    assert (
        client.post(url, json={"verdict": "confirmed"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    )
    foreign = {"X-CSRF-Token": token, "Origin": "http://evil.example"}
    assert client.post(url, json={"verdict": "confirmed"}, headers=foreign).status_code == 403
    ok = client.post(url, json={"verdict": "confirmed"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.get_json()["ok"] is True
    # Login itself is protected against login CSRF.
    assert client.post("/login", data={"username": "analyst", "password": PASSWORD}).status_code == 403


def test_security_headers_on_every_page(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    for response in (client.get("/login"), login(client), client.get("/review")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"


HOSTILE = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def test_third_party_text_is_escaped_in_pages(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    with db.transaction() as s:
        incident = seed.incident(s, title=HOSTILE, place_name=HOSTILE)
        seed.article(
            s,
            seed.feed(s, title=HOSTILE),
            HOSTILE,
            summary=HOSTILE,
            url="javascript:alert(1)",
            incident=incident,
            reasons=[HOSTILE],
        )
    login(client)
    for path in ("/review", f"/incidents/{incident.id}", "/incidents", "/feeds", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>window.__xss" not in html, path
        assert "<img src=x" not in html, path
        assert 'href="javascript:' not in html, path
    review = client.get("/review").get_data(as_text=True)
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in review


def test_csv_export_defuses_formulas(db: Database, client: FlaskClient) -> None:
    add_analyst(db)
    with db.transaction() as s:
        incident = seed.incident(s, title='=HYPERLINK("http://evil.example","click")')
        seed.article(s, seed.feed(s), "@SUM(1+1)", incident=incident)
    login(client)
    body = client.get("/export/incidents.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body
    assert "\n=HYPERLINK" not in body and ",=HYPERLINK" not in body
    articles = client.get("/export/articles.csv").get_data(as_text=True)
    assert "'@SUM(1+1)" in articles
