"""JSON API and exports (CSV and JSON), behind the same login as the pages. See docs/api.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, jsonify, request

from monitor import export
from monitor.storage import dashboard as queries
from monitor.storage import exports, reviews
from monitor.web import state, utcnow
from monitor.web.review_views import queue_filter_from_args

bp = Blueprint("api", __name__)


def _dates() -> tuple[dt.date | None, dt.date | None]:
    def parse(name: str) -> dt.date | None:
        raw = request.args.get(name, "")
        try:
            return dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    return parse("since"), parse("until")


def _limit(default: int, cap: int) -> int:
    return min(max(request.args.get("limit", default, type=int) or default, 1), cap)


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/api/stats")
def stats() -> Any:
    with state().db.reader() as s:
        summary = queries.overview(s)
        verdicts = reviews.review_counts(s)
    return jsonify({**summary.__dict__, "reviews": verdicts})


@bp.route("/api/incidents")
def incidents() -> Any:
    since, until = _dates()
    with state().db.reader() as s:
        records = exports.incident_records(s, since=since, until=until, limit=_limit(500, 10000))
    return Response(
        export.to_json(records, kind="incidents", generated_at=utcnow()), mimetype="application/json"
    )


@bp.route("/api/articles")
def articles() -> Any:
    flt = queue_filter_from_args(request.args, state().settings.classifier.threshold or 0.5)
    with state().db.reader() as s:
        records = exports.article_records(s, flt, limit=_limit(500, 10000))
    return Response(
        export.to_json(records, kind="articles", generated_at=utcnow()), mimetype="application/json"
    )


@bp.route("/export/incidents.<fmt>")
def export_incidents(fmt: str) -> Any:
    since, until = _dates()
    with state().db.reader() as s:
        records = exports.incident_records(s, since=since, until=until)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "csv":
        return _download(export.incidents_csv(records), "text/csv", f"incidents-{stamp}.csv")
    if fmt == "json":
        body = export.to_json(records, kind="incidents", generated_at=utcnow())
        return _download(body, "application/json", f"incidents-{stamp}.json")
    return jsonify(error="format must be csv or json"), 404


@bp.route("/export/articles.<fmt>")
def export_articles(fmt: str) -> Any:
    args = request.args.to_dict()
    args.setdefault("verdict", "any")
    from werkzeug.datastructures import MultiDict

    flt = queue_filter_from_args(MultiDict(args), state().settings.classifier.threshold or 0.5)
    with state().db.reader() as s:
        records = exports.article_records(s, flt)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "csv":
        return _download(export.articles_csv(records), "text/csv", f"articles-{stamp}.csv")
    if fmt == "json":
        body = export.to_json(records, kind="articles", generated_at=utcnow())
        return _download(body, "application/json", f"articles-{stamp}.json")
    return jsonify(error="format must be csv or json"), 404
