"""`monitor incidents list|show|update`: read the incidents, and run the extraction-and-grouping job once.

Thin layer over :mod:`monitor.storage.incidents` and :mod:`monitor.storage.incident_edits`. Titles,
place names and links come from news sites: they are made safe (control characters and escape sequences
removed, one line, cut) before they reach the terminal; ``--json`` output is JSON-escaped.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import click
from sqlalchemy import select

from monitor.cli.context import AppContext, pass_app
from monitor.cli.feeds import safe_text
from monitor.storage import incident_edits
from monitor.storage import incidents as store
from monitor.storage.models import Extraction, Incident


def _toll(deaths: int | None, injured: int | None) -> str:
    dead = "?" if deaths is None else str(deaths)
    return f"{dead} dead" + (f", {injured} hurt" if injured else "")


def _record(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "occurred_on": incident.occurred_on.isoformat(),
        "title": incident.title,
        "place_key": incident.place_key,
        "place_name": incident.place_name,
        "place_precision": incident.place_precision,
        "city": incident.city,
        "province": incident.province,
        "country": incident.country,
        "deaths": incident.deaths,
        "injured": incident.injured,
        "victim_group": incident.victim_group,
        "method": incident.method,
        "outlet_count": incident.outlet_count,
        "article_count": incident.article_count,
        "status": incident.status,
        "locked_fields": list(incident.locked_fields or []),
    }


@click.group("incidents")
def incidents_group() -> None:
    """Incidents: killings grouped from the reports of every outlet."""


@incidents_group.command("list")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Only from this date.")
@click.option("--place", default="", help="Only places whose name contains this text.")
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON lines instead of a table.")
@pass_app
def list_incidents(app: AppContext, since: dt.datetime | None, place: str, limit: int, as_json: bool) -> None:
    """Active incidents, newest first."""
    db = app.database()
    with db.reader() as s:
        rows = incident_edits.list_incidents(
            s, since=since.date() if since else None, place=place, limit=limit
        )
    if as_json:
        for row in rows:
            click.echo(json.dumps(_record(row), ensure_ascii=True))
        return
    if not rows:
        click.echo("no incidents")
        return
    header = ("id".rjust(6), "date".ljust(10), "place".ljust(28), "toll".ljust(16), "victims".ljust(16))
    click.echo("  ".join([*header, "method".ljust(17), "outlets", "title"]))
    for row in rows:
        click.echo(
            f"{row.id:>6}  {row.occurred_on.isoformat():<10}  {safe_text(row.place_name or '-', 28):<28}  "
            f"{_toll(row.deaths, row.injured):<16}  {safe_text(row.victim_group or '-', 16):<16}  "
            f"{safe_text(row.method or '-', 17):<17}  {row.outlet_count:>7}  {safe_text(row.title, 70)}"
        )


@incidents_group.command("show")
@click.argument("incident_id", type=int)
@pass_app
def show_incident(app: AppContext, incident_id: int) -> None:
    """One incident: its facts, and every article with its outlets, toll and link."""
    db = app.database()
    with db.reader() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            raise click.ClickException(f"no incident {incident_id}")
        record = _record(incident)
        articles = incident_edits.incident_articles(s, incident_id)
        tolls = {
            row.article_id: (row.deaths, row.injured)
            for row in s.scalars(
                select(Extraction).where(Extraction.article_id.in_([a.id for a in articles]))
            )
        }
    place = ", ".join(
        safe_text(v, 60)
        for v in (record["place_name"], record["city"], record["province"], record["country"])
        if v
    )
    lines = [
        f"incident {record['id']}: {safe_text(record['title'], 200)}",
        f"  date:      {record['occurred_on']}",
        f"  place:     {place or '-'} "
        f"[{safe_text(record['place_key'] or '-', 80)}, {record['place_precision'] or '-'}]",
        f"  toll:      {_toll(record['deaths'], record['injured'])}",
        f"  victims:   {safe_text(record['victim_group'] or '-', 40)}",
        f"  method:    {safe_text(record['method'] or '-', 40)}",
        f"  outlets:   {record['outlet_count']} independent, {record['article_count']} articles",
        f"  status:    {record['status']}",
    ]
    if record["locked_fields"]:
        lines.append(f"  corrected: {', '.join(safe_text(str(f), 30) for f in record['locked_fields'])}")
    lines.append("  articles:")
    for article in articles:
        when = (
            article.published_at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            if article.published_at
            else "-"
        )
        deaths, injured = tolls.get(article.id, (None, None))
        outlets = ", ".join(safe_text(o, 40) for o in article.outlets) or safe_text(
            store.host_of(article.url), 40
        )
        lines.append(f"    [{article.id}] {when}  {outlets}  ({_toll(deaths, injured)})")
        lines.append(f"        {safe_text(article.title, 150)}")
        lines.append(f"        {safe_text(article.url, 200)}")
    click.echo("\n".join(lines))


@incidents_group.command("update")
@pass_app
def update(app: AppContext) -> None:
    """Extract facts from flagged articles and group them into incidents (once)."""
    summary = store.update_incidents(app.database(), app.settings, dt.datetime.now(dt.UTC))
    click.echo(str(summary))


COMMANDS = (incidents_group,)
