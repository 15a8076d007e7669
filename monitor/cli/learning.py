"""`monitor model retrain` and `monitor model evaluate-reviews`: the classifier learns from analysts.

retrain: the written corpus plus the analysts' verdicts (all but a held-out part) train a candidate
model in ``<data_dir>/models/<version>``; the candidate and the current model are scored on the
held-out verdicts, and the candidate is promoted only when it is not worse there (monitor.learning).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import click

from monitor import learning
from monitor.classify import Classifier, load_classifier, load_from
from monitor.cli.context import AppContext, pass_app
from monitor.cli.model import model_group
from monitor.errors import ModelError
from monitor.storage import model_versions, reviews


def _reviewed(app: AppContext) -> list[learning.Reviewed]:
    with app.database().reader() as s:
        rows = reviews.reviewed_examples(s)
    return [learning.Reviewed(r.article_id, r.title, r.text, r.label) for r in rows]


def _figures(classifier: Classifier, examples: list[learning.Reviewed]) -> learning.ReviewFigures:
    verdicts = classifier.classify([(e.title, e.text) for e in examples])
    return learning.figures([e.label for e in examples], [v.flagged for v in verdicts])


@model_group.command("evaluate-reviews")
@click.option("--held-out", "fraction", default=0.3, show_default=True, help="Share of verdicts held out.")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def evaluate_reviews(app: AppContext, fraction: float, as_json: bool) -> None:
    """The current model's precision and false-positive rate on what analysts reviewed."""
    examples = _reviewed(app)
    if not examples:
        raise ModelError("no confirmed or rejected verdicts yet: review flagged articles first")
    classifier = load_classifier(app.settings)
    _, held = learning.split(examples, fraction)
    every = _figures(classifier, examples)
    held_figures = _figures(classifier, held) if held else None
    if as_json:
        payload: dict[str, Any] = {"model": classifier.version, "all_reviewed": every.__dict__}
        payload["held_out"] = held_figures.__dict__ if held_figures else None
        click.echo(json.dumps(payload))
        return
    click.echo(f"model {classifier.version}")
    click.echo(f"all reviewed:      {every.line()}")
    if held_figures:
        click.echo(f"held-out reviewed: {held_figures.line()}")


@model_group.command("retrain")
@click.option("--held-out", "fraction", default=0.3, show_default=True, help="Share of verdicts held out.")
@click.option("--promote/--no-promote", default=True, show_default=True, help="Promote when not worse.")
@pass_app
def retrain(app: AppContext, fraction: float, promote: bool) -> None:
    """Train on the corpus plus analysts' verdicts; promote only if not worse on held-out verdicts."""
    from classifiers.train import train

    settings = app.settings
    examples = _reviewed(app)
    train_part, held = learning.split(examples, fraction)
    click.echo(f"verdicts: {len(examples)} ({len(train_part)} for training, {len(held)} held out)")
    current = load_classifier(settings)
    now = dt.datetime.now(dt.UTC)
    root = model_versions.models_dir(Path(settings.data_dir))
    staging = root / f".training-{now.strftime('%Y%m%dT%H%M%S')}"
    staging.mkdir(parents=True, exist_ok=True)
    result = train(now=now, out_dir=staging, extra=[(e.title, e.text, e.label) for e in train_part])
    target = root / result.version
    if target.exists():
        import shutil

        shutil.rmtree(staging)
    else:
        staging.rename(target)
    candidate = load_from(target, settings.classifier.threshold)
    before = _figures(current, held)
    after = _figures(candidate, held)
    click.echo(f"current   {current.version}: {before.line()}")
    click.echo(f"candidate {candidate.version}: {after.line()}")
    ok, reason = learning.promotion(before, after)
    promoted = ok and promote
    if promoted:
        model_versions.promote(Path(settings.data_dir), target)
    with app.database().transaction() as s:
        metrics = {"held_out_before": before.__dict__, "held_out_after": after.__dict__, "reason": reason}
        model_versions.record(s, candidate.version, target, metrics, now, promoted=promoted)
    if promoted:
        click.echo(f"promoted {candidate.version}: {reason}")
        click.echo("run `monitor model reclassify` to re-score stored articles with it")
    else:
        click.echo(f"not promoted: {reason if not ok else 'asked not to (--no-promote)'}")


COMMANDS = ()
