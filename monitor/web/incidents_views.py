"""Incident pages: the list, one incident with its articles, corrections and moving articles."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from monitor.storage import incident_edits
from monitor.storage.models import Incident
from monitor.web import state, utcnow

bp = Blueprint("incidents", __name__)


@bp.route("/incidents")
def index() -> Any:
    since_raw = request.args.get("since", "")
    try:
        since = dt.date.fromisoformat(since_raw) if since_raw else None
    except ValueError:
        since = None
    place = request.args.get("place", "").strip()[:100]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with state().db.reader() as s:
        rows = incident_edits.list_incidents(s, since=since, place=place, limit=101, offset=(page - 1) * 100)
    return render_template(
        "incidents.html",
        incidents=rows[:100],
        has_more=len(rows) > 100,
        page=page,
        since=since_raw,
        place=place,
    )


@bp.route("/incidents/<int:incident_id>")
def show(incident_id: int) -> Any:
    with state().db.reader() as s:
        incident = s.get(Incident, incident_id)
        if incident is None:
            abort(404)
        s.expunge(incident)
        articles = incident_edits.incident_articles(s, incident_id)
        history = incident_edits.incident_history(s, incident_id)
    return render_template(
        "incident.html",
        incident=incident,
        articles=articles,
        history=history,
        editable=incident_edits.EDITABLE,
    )


@bp.route("/incidents/<int:incident_id>/edit", methods=["POST"])
def edit(incident_id: int) -> Any:
    changes = {k: v for k, v in request.form.items() if k in incident_edits.EDITABLE}
    try:
        with state().db.transaction() as s:
            changed = incident_edits.correct_incident(s, incident_id, changes, g.user.id, utcnow())
        flash(f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
    except ValueError as exc:
        flash(f"Not saved: {exc}")
    return redirect(url_for("incidents.show", incident_id=incident_id))


@bp.route("/incidents/<int:incident_id>/move", methods=["POST"])
def move(incident_id: int) -> Any:
    article_id = request.form.get("article_id", type=int)
    target_raw = request.form.get("target", "").strip()
    if article_id is None:
        flash("Choose an article to move.")
        return redirect(url_for("incidents.show", incident_id=incident_id))
    try:
        target = None if target_raw in ("", "new") else int(target_raw)
    except ValueError:
        flash("The target must be an incident number or 'new'.")
        return redirect(url_for("incidents.show", incident_id=incident_id))
    try:
        with state().db.transaction() as s:
            new_id = incident_edits.move_article(s, article_id, target, g.user.id, utcnow())
        flash(f"Article {article_id} moved to incident {new_id}.")
    except ValueError as exc:
        flash(f"Not moved: {exc}")
    return redirect(url_for("incidents.show", incident_id=incident_id))
