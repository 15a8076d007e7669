"""`monitor poll --once` and `monitor stats`.

`poll --once` polls the due feeds (``--all``: every enabled feed) in one round of :mod:`monitor.pipeline`.
A person at a terminal sees a progress bar; otherwise each feed's outcome is a structured log line.
The classifier is used when one is available (``monitor.classify.load_classifier``); without it the
poll still runs and the new articles wait, queued, for classification.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.cli.context import AppContext, pass_app
from monitor.errors import ModelError
from monitor.pipeline import Classifier, Poller, PollSummary
from monitor.storage import polling as poll_store

log = logging.getLogger("monitor.poll")


def load_optional_classifier(app: AppContext) -> Classifier | None:
    """The trained classifier, or None (with a warning) when the module or its artifact is missing."""
    try:
        from monitor.classify import load_classifier  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        log.warning("no classifier module yet: articles are stored unclassified (queued)")
        return None
    try:
        classifier: Classifier = load_classifier(app.settings)
        return classifier
    except ModelError as exc:
        log.warning("classifier unavailable, articles are stored queued: %s", exc)
        return None


def _log_outcome(outcome: poll_store.PollOutcome) -> None:
    extra = {
        "feed_id": outcome.feed_id,
        "status": outcome.status,
        "http_status": outcome.http_status,
        "duration_ms": outcome.duration_ms,
        "new": outcome.new_articles,
        "updated": outcome.updated_articles,
    }
    if outcome.failed:
        extra["error_kind"] = outcome.error_kind
    log.info("feed %s: %s", outcome.feed_id, outcome.status, extra=extra)


def _summary_lines(summary: PollSummary) -> list[str]:
    rate = summary.feeds / summary.duration_seconds if summary.duration_seconds else 0.0
    return [
        f"feeds polled: {summary.feeds} in {summary.duration_seconds:.1f} s ({rate:.0f} feeds/s)",
        f"  ok: {summary.ok}   not modified: {summary.not_modified}   failed: {summary.failed}",
        f"articles: {summary.new_articles} new, {summary.updated_articles} updated"
        f" ({summary.entries} entries read)",
    ]


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll once and exit (the scheduled service is `monitor run`).")
@click.option("--all", "include_all", is_flag=True, help="Poll every enabled feed, due or not.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_app
def poll_command(app: AppContext, once: bool, include_all: bool, as_json: bool) -> None:
    """Fetch the due feeds, store new and changed articles, record each feed's outcome."""
    if not once:
        raise click.UsageError("use `monitor poll --once` (the scheduler runs with `monitor run`)")
    db = app.database()
    classifier = load_optional_classifier(app)
    poller = Poller(app.settings, db, classifier=classifier)
    feeds = poller.due(include_all=include_all)
    if sys.stderr.isatty() and feeds:
        console = Console(stderr=True)
        columns = (
            TextColumn("polling"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
        )
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("", total=len(feeds))

            def advance(outcome: poll_store.PollOutcome) -> None:
                failed = "" if not outcome.failed else f"[red]{escape(str(outcome.error_kind))}[/red]"
                progress.update(task, advance=1, description=failed)

            poller.on_feed = advance
            summary = poller.run_once(feeds=feeds)
    else:
        poller.on_feed = _log_outcome
        summary = poller.run_once(feeds=feeds)
    if as_json:
        click.echo(json.dumps({**vars(summary), "classified": classifier is not None}))
        return
    for line in _summary_lines(summary):
        click.echo(line)
    if classifier is None and summary.new_articles + summary.updated_articles:
        click.echo("no classifier: new and updated articles are queued for classification")


@click.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def stats_command(app: AppContext, as_json: bool) -> None:
    """Headline counts: feeds, failing feeds, articles, flagged, queued, incidents."""
    with app.database().reader() as session:
        numbers: dict[str, Any] = poll_store.stats(session)
    if as_json:
        click.echo(json.dumps(numbers, sort_keys=True))
        return
    width = max(len(k) for k in numbers)
    for key, value in numbers.items():
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")


COMMANDS = (poll_command, stats_command)
