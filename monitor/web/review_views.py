"""The review queue: flagged articles with their reasons, and verdicts by key or click.

One page load shows a page of the queue; each verdict is one small JSON request (the page's script
moves on to the next item without reloading). Without JavaScript the same verdict works as a form post.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from monitor.storage import reviews
from monitor.web import state, utcnow

bp = Blueprint("review", __name__)
PAGE_SIZE = 50


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def queue_filter_from_args(args: Any, threshold: float) -> reviews.QueueFilter:
    verdict = args.get("verdict", "unreviewed")
    order = args.get("order", "newest")
    return reviews.QueueFilter(
        verdict=verdict if verdict in (*reviews.VERDICTS, "unreviewed", "any") else "unreviewed",
        query=args.get("q", "").strip()[:200],
        place=args.get("place", "").strip()[:100],
        feed_id=args.get("feed", type=int),
        min_score=_float(args.get("min_score")),
        max_score=_float(args.get("max_score")),
        since=_date(args.get("since")),
        until=_date(args.get("until")),
        order=order if order in ("newest", "oldest", "uncertain", "score") else "newest",
        threshold=threshold,
    )


def _threshold() -> float:
    configured = state().settings.classifier.threshold
    return 0.5 if configured is None else configured


@bp.route("/review")
def queue() -> Any:
    flt = queue_filter_from_args(request.args, _threshold())
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with state().db.reader() as s:
        items = reviews.queue(s, flt, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    has_more = len(items) > PAGE_SIZE
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "review.html",
        items=items[:PAGE_SIZE],
        flt=flt,
        page=page,
        has_more=has_more,
        args=args,
        verdicts=reviews.VERDICTS,
    )


@bp.route("/articles/<int:article_id>")
def article(article_id: int) -> Any:
    with state().db.reader() as s:
        item = reviews.get_article(s, article_id)
        history = reviews.review_history(s, article_id) if item else []
    if item is None:
        abort(404)
    return render_template("article.html", item=item, history=history, verdicts=reviews.VERDICTS)


def _record(article_id: int, verdict: str, note: str) -> int:
    with state().db.transaction() as s:
        return reviews.record_review(s, article_id, g.user.id, verdict, note, utcnow())


@bp.route("/api/articles/<int:article_id>/review", methods=["POST"])
def api_review(article_id: int) -> Any:
    payload = request.get_json(silent=True) or {}
    verdict = str(payload.get("verdict", ""))
    note = str(payload.get("note", ""))
    try:
        review_id = _record(article_id, verdict, note)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    # The commit above happened before this answer: "saved" means durable.
    return jsonify(ok=True, article_id=article_id, verdict=verdict, review_id=review_id)


@bp.route("/articles/<int:article_id>/review", methods=["POST"])
def form_review(article_id: int) -> Any:
    try:
        _record(article_id, request.form.get("verdict", ""), request.form.get("note", ""))
        flash("Verdict saved.")
    except ValueError as exc:
        flash(f"Verdict not saved: {exc}")
    return redirect(url_for("review.article", article_id=article_id))
