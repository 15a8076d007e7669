"""Extraction and grouping accuracy on our own labelled examples.

    .venv/bin/python bench/extraction_accuracy.py [--errors] [LABELLED.jsonl] [GROUPING.jsonl]

Prints per-field accuracy (place, precision, toll, injured, victim group, date, tally) on the tuning part
and on the held-back fifth separately, then pairwise grouping precision and recall on the grouping set's
tuning part and on its held-back part (written after grouping was tuned, scored once), then speed.
``--errors`` lists the tuning part's mistakes only: the held-back part is never shown item by item.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from monitor.extract import evaluate

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"


def main(argv: list[str]) -> int:
    show_errors = "--errors" in argv
    paths = [a for a in argv if not a.startswith("--")]
    labelled = Path(paths[0]) if paths else FIXTURES / "labelled.jsonl"
    grouping = Path(paths[1]) if len(paths) > 1 else FIXTURES / "grouping.jsonl"

    items = evaluate.read_jsonl(labelled)
    tune, held = evaluate.split(items)
    print(f"extraction: {len(items)} items ({len(tune)} tuning, {len(held)} held back) from {labelled}")
    scores = {"tuning": evaluate.score_items(tune), "held-back": evaluate.score_items(held)}
    print(f"{'field':<14}" + "".join(f"{name:>22}" for name in scores))
    for name in evaluate.FIELDS:
        cells = "".join(
            f"{s.accuracy(name):>14.1%} ({s.correct[name]:>3}/{s.total[name]:>3})" for s in scores.values()
        )
        print(f"{name:<14}{cells}")
    if show_errors:
        for item_id, name, expected, got in scores["tuning"].errors:
            print(f"  {item_id} {name}: expected {expected!r}, got {got!r}")
    if grouping.exists():
        everything = evaluate.read_jsonl(grouping)
        for part in ("tuning", "held"):
            chosen = [i for i in everything if i.get("part", "tuning") == part]
            if not chosen:
                continue
            result = evaluate.score_grouping(chosen)
            print(
                f"grouping ({part}): {result.articles} articles, {result.true_incidents} incidents "
                f"({result.predicted_incidents} found); pairwise precision {result.precision:.1%}, "
                f"recall {result.recall:.1%} ({result.tp} true pairs found, {result.fp} false, {result.fn} "
                f"missed); tallies kept out: {result.tallies_ok}/{result.tallies}"
            )
    started = time.perf_counter()
    for item in items:
        evaluate.extract(item["text"], item["title"], evaluate.parse_time(item["published_at"]))
    per_item = (time.perf_counter() - started) / len(items) * 1000
    print(f"extraction speed: {per_item:.1f} ms per item (gazetteer already loaded)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
