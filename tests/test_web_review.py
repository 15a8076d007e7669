"""Reviewing, correcting incidents, exports and the JSON API, through the app on both databases."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from flask.testing import FlaskClient

from monitor.config import Settings
from monitor.storage import reviews
from monitor.storage.db import Database
from monitor.storage.models import Article, Incident, IncidentChange
from monitor.web import create_app
from tests.support import seed
from tests.support.web import add_analyst, csrf_from, login


@pytest.fixture
def client(settings: Settings, db: Database) -> FlaskClient:
    add_analyst(db)
    client = create_app(settings, db).test_client()
    login(client)
    return client


def _token(client: FlaskClient) -> str:
    return csrf_from(client.get("/review").get_data(as_text=True))


def test_queue_filters_and_orders(db: Database, client: FlaskClient) -> None:
    with db.transaction() as s:
        f1, f2 = seed.feed(s, title="Dawn"), seed.feed(s, title="Geo")
        seed.article(s, f1, "Lawyer shot dead in Saddar", score=0.97)
        seed.article(s, f2, "Constable gunned down in Korangi", score=0.55)
        seed.article(s, f1, "Cricket final tonight", score=0.05, flagged=False)
        old = seed.article(s, f1, "Old case", score=0.8, published_at=seed.NOW - dt.timedelta(days=40))
    page = client.get("/review").get_data(as_text=True)
    assert "Lawyer shot dead" in page and "Constable gunned down" in page
    assert "Cricket final" not in page  # not flagged
    assert "Lawyer" not in client.get("/review?q=korangi").get_data(as_text=True)
    assert "Lawyer" not in client.get(f"/review?feed={f2.id}").get_data(as_text=True)
    since = (seed.NOW - dt.timedelta(days=5)).date().isoformat()
    assert "Old case" not in client.get(f"/review?since={since}").get_data(as_text=True)
    uncertain = client.get("/review?order=uncertain").get_data(as_text=True)
    assert uncertain.index("Constable") < uncertain.index("Lawyer")  # 0.55 is nearest to the threshold
    assert old.id


def test_verdict_is_durable_and_leaves_the_unreviewed_queue(
    db: Database, client: FlaskClient, db_url: str
) -> None:
    with db.transaction() as s:
        article_id = seed.article(s, seed.feed(s), "Polio worker killed in Landhi").id
    response = client.post(
        f"/api/articles/{article_id}/review",
        json={"verdict": "rejected", "note": "a traffic accident"},
        headers={"X-CSRF-Token": _token(client)},
    )
    assert response.status_code == 200
    other = Database(db_url)  # a separate connection sees it: it was committed before the answer
    try:
        with other.reader() as s:
            history = reviews.review_history(s, article_id)
    finally:
        other.dispose()
    assert [(v, n) for _, v, n, _ in history] == [("rejected", "a traffic accident")]
    assert "Polio worker" not in client.get("/review").get_data(as_text=True)
    assert "Polio worker" in client.get("/review?verdict=rejected").get_data(as_text=True)
    bad = client.post(
        f"/api/articles/{article_id}/review",
        json={"verdict": "maybe"},
        headers={"X-CSRF-Token": _token(client)},
    )
    assert bad.status_code == 400


def test_form_verdict_without_javascript(db: Database, client: FlaskClient) -> None:
    with db.transaction() as s:
        article_id = seed.article(s, seed.feed(s), "Trader shot dead").id
    client.post(
        f"/articles/{article_id}/review",
        data={"verdict": "confirmed", "note": "", "csrf_token": _token(client)},
    )
    page = client.get(f"/articles/{article_id}").get_data(as_text=True)
    assert "analyst — confirmed" in page


def test_incident_correction_is_logged_and_locked(db: Database, client: FlaskClient) -> None:
    with db.transaction() as s:
        incident_id = seed.incident(s, deaths=1).id
    token = _token(client)
    client.post(
        f"/incidents/{incident_id}/edit",
        data={"deaths": "3", "victim_group": "journalist", "csrf_token": token},
    )
    with db.reader() as s:
        incident = s.get(Incident, incident_id)
        assert incident is not None
        assert (incident.deaths, incident.victim_group) == (3, "journalist")
        assert set(incident.locked_fields or []) == {"deaths", "victim_group"}
        changes = s.query(IncidentChange).filter_by(incident_id=incident_id).all()
        assert {(c.field, c.old_value, c.new_value) for c in changes} == {
            ("deaths", "1", "3"),
            ("victim_group", None, "journalist"),
        }
    page = client.post(
        f"/incidents/{incident_id}/edit", data={"deaths": "many", "csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)
    assert "Not saved: deaths" in page


def test_moving_articles_between_incidents_recounts(db: Database, client: FlaskClient) -> None:
    with db.transaction() as s:
        feed = seed.feed(s)
        first, second = seed.incident(s, title="A"), seed.incident(s, title="B")
        a1 = seed.article(s, feed, "one", incident=first, url="https://dawn.example/1")
        a2 = seed.article(s, feed, "two", incident=first, url="https://geo.example/2")
        first_id, second_id, a1_id, a2_id = first.id, second.id, a1.id, a2.id
    token = _token(client)
    client.post(
        f"/incidents/{first_id}/move",
        data={"article_id": a2_id, "target": str(second_id), "csrf_token": token},
    )
    client.post(
        f"/incidents/{first_id}/move", data={"article_id": a1_id, "target": "new", "csrf_token": token}
    )
    with db.reader() as s:
        moved = s.get(Article, a2_id)
        assert moved is not None and moved.incident_id == second_id
        target = s.get(Incident, second_id)
        assert target is not None and target.article_count == 1 and target.outlet_count == 1
        new_home = s.get(Article, a1_id)
        assert new_home is not None and new_home.incident_id not in (first_id, second_id, None)
        source = s.get(Incident, first_id)
        assert source is not None and source.article_count == 0


def test_exports_and_api_in_event_data_layout(db: Database, client: FlaskClient) -> None:
    with db.transaction() as s:
        feed = seed.feed(s, title="Dawn")
        incident = seed.incident(s, deaths=2, victim_group="police", method="motorcycle gunmen")
        seed.article(s, feed, "Two policemen shot dead", incident=incident, url="https://dawn.example/a")
    data = json.loads(client.get("/api/incidents").get_data(as_text=True))
    assert data["kind"] == "incidents" and data["count"] == 1
    item = data["items"][0]
    assert (item["place"], item["place_precision"], item["deaths"], item["victim_group"]) == (
        "Orangi Town", "town", 2, "police",
    )  # fmt: skip
    assert item["sources"][0]["url"] == "https://dawn.example/a" and item["sources"][0]["outlet"] == "Dawn"
    csv_text = client.get("/export/incidents.csv").get_data(as_text=True)
    assert csv_text.splitlines()[0].startswith("incident_id,date,place,place_precision")
    assert "https://dawn.example/a" in csv_text
    download = client.get("/export/incidents.json")
    assert "attachment" in download.headers["Content-Disposition"]
    articles = json.loads(client.get("/api/articles?verdict=any").get_data(as_text=True))
    assert articles["items"][0]["title"] == "Two policemen shot dead"
    stats = client.get("/api/stats").get_json()
    assert stats["flagged"] == 1 and stats["incidents"] == 1


def test_silences_from_the_alerts_page(db: Database, client: FlaskClient) -> None:
    token = _token(client)
    client.post(
        "/silences",
        data={"field": "place", "value": "Lyari", "hours": "6", "reason": "known", "csrf_token": token},
    )
    page = client.get("/alerts").get_data(as_text=True)
    assert "Lyari" in page
    refused = client.post(
        "/silences",
        data={"field": "colour", "value": "x", "hours": "6", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Silence not added" in refused.get_data(as_text=True)


def test_dashboard_chart_marks_spikes(db: Database, client: FlaskClient) -> None:
    from monitor.storage.models import SpikeEpisode

    today = dt.datetime.now(dt.UTC).date()
    with db.transaction() as s:
        for offset in range(3):
            seed.incident(s, occurred_on=today - dt.timedelta(days=offset))
        s.add(
            SpikeEpisode(
                series_key="city:pk/karachi",
                series_label="Karachi",
                started_on=today - dt.timedelta(days=2),
                last_alarm_on=today,
                level=1,
                peak_count=3,
                peak_expected=0.5,
                total_count=3,
                status="open",
                created_at=seed.NOW,
                updated_at=seed.NOW,
            )
        )
    page = client.get("/").get_data(as_text=True)
    assert page.count('class="bar"') == 90 and 'class="spike"' in page and "Karachi: from" in page
