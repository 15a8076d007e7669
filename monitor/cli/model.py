"""`monitor classify FILE` and `monitor model train|evaluate|reclassify|info`.

Every command that scores loads the artifact first: a missing or incompatible one is an error (exit 2)
that says how to rebuild it, never a silent "not flagged". Third-party text is printed as JSON or through
``repr``-free plain figures, so nothing in an input can forge terminal output structure.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import click

from monitor.cli.context import AppContext, pass_app
from monitor.errors import InputError

CHUNK = 512


def _open_input(path: str) -> IO[str]:
    try:
        # "-" is stdin, wrapped so that closing it leaves stdin open.
        return click.open_file(path, encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=path) from exc


def _records(handle: IO[str], source: str, required: tuple[str, ...]) -> Iterator[tuple[int, Any]]:
    """(line number, object or InputError) for each non-blank line."""
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield number, InputError(f"not JSON ({exc.msg})", line=number, source=source)
            continue
        if not isinstance(obj, dict):
            yield number, InputError("expected a JSON object", line=number, source=source)
            continue
        missing = [k for k in required if k not in obj]
        bad = [k for k in ("title", "text") if k in obj and not isinstance(obj[k], str)]
        if missing or bad:
            what = f"missing {', '.join(missing)}" if missing else f"{', '.join(bad)} must be a string"
            yield number, InputError(what, line=number, source=source)
            continue
        yield number, obj


@click.command("classify")
@click.argument("path", metavar="FILE.jsonl")
@pass_app
def classify_command(app: AppContext, path: str) -> None:
    """Score {"id","title","text"} lines (FILE or - for stdin); print {"id","score","flagged","reasons"}.

    Output keeps input order. A malformed line is reported on stderr with its line number and skipped;
    the exit status is then 1.
    """
    from monitor.classify import load_classifier

    classifier = load_classifier(app.settings)
    bad = 0
    source = "<stdin>" if path == "-" else path
    pending: list[dict[str, Any]] = []

    def flush() -> None:
        verdicts = classifier.classify([(str(o.get("title", "")), str(o.get("text", ""))) for o in pending])
        for obj, verdict in zip(pending, verdicts, strict=True):
            out = {
                "id": obj["id"],
                "score": verdict.score,
                "flagged": verdict.flagged,
                "reasons": verdict.reasons,
            }
            click.echo(json.dumps(out, ensure_ascii=False))
        pending.clear()

    handle = _open_input(path)
    try:
        for _number, item in _records(handle, source, ("id",)):
            if isinstance(item, InputError):
                flush()  # keep the order of what was printed
                click.echo(f"error: {item}", err=True)
                bad += 1
                continue
            if "title" not in item and "text" not in item:
                flush()
                click.echo(
                    f"error: {InputError('missing title and text', line=_number, source=source)}", err=True
                )
                bad += 1
                continue
            pending.append(item)
            if len(pending) >= CHUNK:
                flush()
        flush()
    finally:
        handle.close()
    if bad:
        click.echo(f"{bad} malformed line(s) skipped", err=True)
        sys.exit(1)


@click.group("model")
def model_group() -> None:
    """Train, evaluate and inspect the targeted-killing classifier."""


@model_group.command("train")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to write the artifact (default: the shipped classifiers/model/).",
)
@click.option(
    "--dev",
    "dev_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A labelled JSONL file to report figures on (evaluation only; never trained on).",
)
@click.option(
    "--with-reviews", is_flag=True, help="Add analysts' confirmed/rejected verdicts from the database."
)
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Corpus directory (default: classifiers/training_data/).",
)
@pass_app
def model_train(
    app: AppContext, out_dir: Path | None, dev_path: Path | None, with_reviews: bool, corpus_dir: Path | None
) -> None:
    """Train on classifiers/training_data/*.jsonl, calibrate, pick the threshold, write artifact and card."""
    from classifiers import artifact as art
    from classifiers.corpus import CORPUS_DIR, load_file
    from classifiers.train import train

    extra: list[tuple[str, str, int]] = []
    if with_reviews:
        from monitor.storage.verdicts import reviewed_examples

        with app.database().reader() as session:
            extra = reviewed_examples(session)
    dev = load_file(dev_path) if dev_path else None
    target = out_dir or art.MODEL_DIR
    card = (art.MODEL_DIR.parent / "MODEL_CARD.md") if out_dir is None else target / "MODEL_CARD.md"
    result = train(
        now=dt.datetime.now(dt.UTC),
        out_dir=target,
        corpus_dir=corpus_dir or CORPUS_DIR,
        extra=extra,
        dev=dev,
        write_card=card,
    )
    _print_summary("cross-validated (our corpus)", result.metrics)
    if result.dev_metrics is not None:
        _print_summary(dev_path.name if dev_path else "dev", result.dev_metrics)
    click.echo(f"model {result.version} written to {result.path} (card: {card})")


def _print_summary(name: str, m: dict[str, Any]) -> None:
    click.echo(
        f"{name}: n={m['n']} precision={m['precision']:.3f} recall={m['recall']:.3f} f1={m['f1']:.3f} "
        f"fpr_violent={m['fpr_violent']:.3f} threshold={m['threshold']:.3f}"
    )


def _group_of(value: Any) -> str:
    """A short group name from a source-like field: "web pages" for a URL, or the name in parentheses."""
    text = str(value or "")
    if text.startswith(("http://", "https://")):
        return "web pages"
    if "(" in text:
        return text.split("(", 1)[1].split(";")[0].split(",")[0].rstrip(")").strip()
    return text or "(none)"


@model_group.command("evaluate")
@click.argument("path", metavar="FILE.jsonl")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option("--group-by", default=None, help="Also report per group of this field (e.g. source, register).")
@pass_app
def model_evaluate(app: AppContext, path: str, as_json: bool, group_by: str | None) -> None:
    """Precision, recall, F1, violent false-positive rate, per-category errors and a PR table on a labelled
    JSONL file ({"title","text","label","category"} per line)."""
    from classifiers import metrics
    from classifiers.corpus import CATEGORIES, document
    from monitor.classify import load_classifier

    classifier = load_classifier(app.settings)
    source = "<stdin>" if path == "-" else path
    docs, labels, cats, groups = [], [], [], []
    bad = 0
    handle = _open_input(path)
    try:
        for number, item in _records(handle, source, ("title", "text", "label", "category")):
            if not isinstance(item, InputError) and (
                item["label"] not in (0, 1) or item["category"] not in CATEGORIES
            ):
                item = InputError(
                    "label must be 0 or 1 and category one of the definition's", line=number, source=source
                )
            if isinstance(item, InputError):
                click.echo(f"error: {item}", err=True)
                bad += 1
                continue
            docs.append(document(item["title"], item["text"]))
            labels.append(int(item["label"]))
            cats.append(item["category"])
            groups.append(_group_of(item.get(group_by)) if group_by else "")
    finally:
        handle.close()
    scores = classifier.scores(docs)
    result = metrics.evaluate(labels, cats, scores, classifier.threshold, groups if group_by else None)
    result["model_version"] = classifier.version
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        _print_report(result)
    if bad:
        click.echo(f"{bad} malformed line(s) skipped", err=True)
        sys.exit(1)


def _print_report(r: dict[str, Any]) -> None:
    click.echo(
        f"model {r['model_version']}, threshold {r['threshold']:.3f}, "
        f"{r['n']} items ({r['positives']} positive)"
    )
    click.echo(f"precision  {r['precision']:.3f}   (tp={r['tp']} fp={r['fp']})")
    click.echo(f"recall     {r['recall']:.3f}   (fn={r['fn']})")
    click.echo(f"F1         {r['f1']:.3f}")
    click.echo(f"false-positive rate, violent but not targeted: {r['fpr_violent']:.3f}")
    click.echo(f"average precision (ranking, any threshold): {r['average_precision']:.3f}")
    click.echo("\nper category          n  errors  error rate")
    for cat, row in r["per_category"].items():
        click.echo(f"  {cat:<16} {row['n']:>5} {row['errors']:>7}  {row['error_rate']:>9.3f}")
    if "per_group" in r:
        click.echo(
            "\nper group                                   n  positive  precision  recall     F1   fp   fn"
        )
        for name, row in r["per_group"].items():
            click.echo(
                f"  {name[:40]:<40} {row['n']:>5} {row['positives']:>9} {row['precision']:>10.3f} "
                f"{row['recall']:>7.3f} {row['f1']:>6.3f} {row['fp']:>4} {row['fn']:>4}"
            )
    click.echo("\nthreshold  precision  recall     F1  fpr_violent")
    for row in r["table"]:
        click.echo(
            f"  {row['threshold']:>7.3f}  {row['precision']:>9.3f} {row['recall']:>7.3f} {row['f1']:>6.3f}"
            f"  {row['fpr_violent']:>11.3f}"
        )


@model_group.command("reclassify")
@click.option(
    "--all", "include_all", is_flag=True, help="Re-score every article, not only those of other versions."
)
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000))
@pass_app
def model_reclassify(app: AppContext, include_all: bool, batch_size: int) -> None:
    """Score queued articles and those scored by another model version (one transaction per batch)."""
    from monitor.stages import classify_pending

    summary = classify_pending(app.settings, app.database(), include_all=include_all, batch_size=batch_size)
    done, flagged, version = summary.classified, summary.flagged, summary.model_version
    click.echo(f"reclassified {done} article(s) with model {version}; {flagged} flagged")


@model_group.command("info")
@pass_app
def model_info(app: AppContext) -> None:
    """Which model is in use, how it was built, and whether it matches the corpus."""
    from classifiers import artifact as art
    from classifiers.corpus import corpus_hash
    from monitor.classify import load_classifier, model_dir

    classifier = load_classifier(app.settings)
    meta = classifier.meta
    directory = model_dir(app.settings)
    size = sum((directory / n).stat().st_size for n in (art.META_NAME, art.ARRAYS_NAME))
    click.echo(f"version        {classifier.version}")
    click.echo(f"path           {directory} ({size / 1e6:.1f} MB)")
    click.echo(f"trained at     {meta['trained_at']}")
    click.echo(f"built with     scikit-learn {meta['sklearn_version']}, numpy {meta['numpy_version']}")
    click.echo(f"threshold      {classifier.threshold:.3f} (model's own: {float(meta['threshold']):.3f})")
    fresh = meta.get("corpus_hash") == corpus_hash()
    click.echo(
        f"corpus         {'matches' if fresh else 'DIFFERS from'} classifiers/training_data/ "
        f"({meta['data']['examples']} examples)" + ("" if fresh else ": run `monitor model train`")
    )
    valid = meta["metrics"]["valid"]
    click.echo(
        f"validation     precision {valid['precision']:.3f} recall {valid['recall']:.3f} "
        f"f1 {valid['f1']:.3f} "
        f"fpr_violent {valid['fpr_violent']:.3f}"
    )
    if "dev" in meta["metrics"]:
        d = meta["metrics"]["dev"]
        click.echo(
            f"dev            precision {d['precision']:.3f} recall {d['recall']:.3f} f1 {d['f1']:.3f} "
            f"fpr_violent {d['fpr_violent']:.3f}"
        )


COMMANDS = (classify_command, model_group)

# The learning-loop subcommands (retrain, evaluate-reviews) live in their own module and attach
# themselves to model_group: importing it here keeps `monitor model` whole when commands load lazily.
from monitor.cli import learning as _learning  # noqa: E402, F401
