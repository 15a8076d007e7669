"""What a parse worker process does with one fetched body: parse it, then score its entries.

    job(body, url, now, content_type, model)
        -> WorkerResult(parsed, verdicts)      verdicts: content hash -> Verdict, one per distinct text
        -> (kind, message)                     the body is not a usable feed (a ParseError, as plain data)

Scoring here, next to the parser, is what lets a polling round use every CPU: scoring an item costs
a good part of what parsing it does, and the pipeline's own process, which stores, holds one interpreter
lock. Every entry is scored, unchanged ones too (the worker does not know what is
stored; in a steady round only changed feeds are parsed at all); which entries are new or changed is
decided by the pipeline inside its transaction (:func:`monitor.decide.plan_entries`), which uses these
verdicts and scores anything it finds missing itself.

``model`` names the artifact to load (:class:`monitor.classify.ModelSpec`); each worker loads it once.
A model that cannot be loaded here, or that is not the version the pipeline expects, gives no verdicts:
the pipeline scores those items itself, so the outcome never depends on which process scored an item.
This module touches neither the network nor the database.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from monitor.classify import Classifier, ModelSpec, Verdict, classify_text, load_from
from monitor.errors import ModelError, ParseError
from monitor.parse import ParsedFeed, parse_feed

log = logging.getLogger(__name__)

# One loaded model per worker process (the key changes only when the artifact is replaced).
_loaded: dict[ModelSpec, Classifier | None] = {}


@dataclass(frozen=True)
class WorkerResult:
    parsed: ParsedFeed
    #: Verdicts by :attr:`monitor.parse.ParsedEntry.content_hash`; empty when nothing was scored here.
    verdicts: dict[str, Verdict]


def _classifier(spec: ModelSpec) -> Classifier | None:
    if spec not in _loaded:
        try:
            loaded: Classifier | None = load_from(Path(spec.directory), spec.threshold)
        except ModelError as exc:
            log.warning("parse worker cannot load the model; the pipeline scores instead: %s", exc)
            loaded = None
        if loaded is not None and loaded.version != spec.version:
            loaded = None  # replaced on disk since the pipeline loaded it: its own copy decides
        _loaded[spec] = loaded
    return _loaded[spec]


def score_entries(parsed: ParsedFeed, spec: ModelSpec) -> dict[str, Verdict]:
    """Verdicts for the entries, by content hash (each distinct text once)."""
    classifier = _classifier(spec)
    if classifier is None:
        return {}
    todo: dict[str, tuple[str, str]] = {}
    for entry in parsed.entries:
        key = entry.content_hash
        if key not in todo:
            todo[key] = classify_text(entry.title, entry.summary)
    if not todo:
        return {}
    verdicts = classifier.classify(list(todo.values()))
    return dict(zip(todo, verdicts, strict=True))


def job(
    data: bytes,
    url: str,
    now: dt.datetime,
    content_type: str,
    model: ModelSpec | None = None,
) -> WorkerResult | tuple[str, str]:
    """Run in a parse worker; errors cross the process boundary as plain tuples.

    Our exceptions carry keyword arguments that pickle cannot rebuild, and an unpicklable result breaks
    the whole process pool. A failure of the classifier is not an error of the feed: the entries are
    returned unscored and the pipeline tries again (and stores them queued if it fails too).
    """
    try:
        parsed = parse_feed(data, url, now, content_type)
    except ParseError as exc:
        return (exc.kind, exc.message)
    verdicts: dict[str, Verdict] = {}
    if model is not None and parsed.entries:
        try:
            verdicts = score_entries(parsed, model)
        except Exception:
            log.exception("scoring in the parse worker failed for %s; the pipeline scores instead", url)
    return WorkerResult(parsed, verdicts)
