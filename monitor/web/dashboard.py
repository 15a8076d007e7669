"""Overview pages: the dashboard (daily incidents with spikes marked), feeds' health, alerts, silences."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from monitor.storage import dashboard as queries
from monitor.storage import reviews
from monitor.web import state, utcnow
from monitor.web.charts import daily_chart, fill_days

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> Any:
    days = min(max(request.args.get("days", 90, type=int) or 90, 7), 730)
    today = utcnow().date()
    start = today - dt.timedelta(days=days - 1)
    with state().db.reader() as s:
        counts = fill_days(queries.incidents_per_day(s, start, today), start, today)
        spans = queries.spike_spans(s, start, today)
        summary = queries.overview(s)
        verdicts = reviews.review_counts(s)
    return render_template(
        "dashboard.html",
        chart=daily_chart(counts, spans),
        summary=summary,
        verdicts=verdicts,
        spans=spans,
        days=days,
        total=sum(c for _, c in counts),
    )


@bp.route("/feeds")
def feeds() -> Any:
    with state().db.reader() as s:
        rows = queries.feeds_health(s)
    return render_template("feeds.html", feeds=rows)


@bp.route("/alerts")
def alerts() -> Any:
    with state().db.reader() as s:
        rows = queries.recent_alerts(s)
        muted = queries.silences(s)
    return render_template("alerts.html", alerts=rows, silences=muted, now=utcnow())


@bp.route("/silences", methods=["POST"])
def add_silence() -> Any:
    form = request.form
    try:
        hours = float(form.get("hours", "24"))
        if not 0 < hours <= 24 * 365:
            raise ValueError("duration must be between 0 and 8760 hours")
        now = utcnow()
        with state().db.transaction() as s:
            queries.add_silence(
                s,
                form.get("field", ""),
                form.get("value", ""),
                now + dt.timedelta(hours=hours),
                form.get("reason", ""),
                g.user.username,
                now,
            )
        flash("Silence added.")
    except ValueError as exc:
        flash(f"Silence not added: {exc}")
    return redirect(url_for("dashboard.alerts"))


@bp.route("/silences/<int:silence_id>/delete", methods=["POST"])
def remove_silence(silence_id: int) -> Any:
    with state().db.transaction() as s:
        removed = queries.remove_silence(s, silence_id)
    flash("Silence removed." if removed else "No such silence.")
    return redirect(url_for("dashboard.alerts"))
