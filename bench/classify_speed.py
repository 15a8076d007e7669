"""Classifier speed: artifact load time and articles per second in one process.

    .venv/bin/python bench/classify_speed.py [FILE.jsonl ...] [--repeat N]

FILE lines need "title" and "text" (e.g. ../shared/data/dev.jsonl); without a file, texts are generated
from the test corpus templates. The first pass over the texts is "cold" (the per-word character n-gram
cache is empty), later passes are "warm"; both are printed, by the wall clock and per CPU second of this process (the figure that does not depend
on what else the machine is running). Goal: >= 2,000 articles/s, load < 1 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    items: list[tuple[str, str]] = []
    for path in args.files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                items.append((obj.get("title", ""), obj.get("text", "")))
    if not items:
        from tests.support import tiny_corpus

        items = [(str(r["title"]), str(r["text"])) for r in tiny_corpus.records()] * 20

    t0, c0 = time.perf_counter(), time.process_time()
    from classifiers import artifact as art
    from monitor.classify import load_from

    classifier = load_from(art.MODEL_DIR)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    size = sum(p.stat().st_size for p in art.MODEL_DIR.iterdir() if p.is_file())
    print(
        f"model {classifier.version}: {size / 1e6:.2f} MB, load (imports included) {load_s:.3f} s "
        f"({load_cpu:.3f} s CPU)"
    )

    t0, c0 = time.perf_counter(), time.process_time()
    verdicts = classifier.classify(items)
    cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    chars = sum(len(t) + len(x) for t, x in items) / len(items)
    print(
        f"cold: {len(items)} articles (mean {chars:.0f} chars) in {cold:.3f} s = "
        f"{len(items) / cold:,.0f} articles/s (per CPU second: {len(items) / cold_cpu:,.0f})"
    )
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.repeat):
        classifier.classify(items)
    warm, warm_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(
        f"warm: {len(items) * args.repeat} articles in {warm:.3f} s = "
        f"{len(items) * args.repeat / warm:,.0f} articles/s "
        f"(per CPU second: {len(items) * args.repeat / warm_cpu:,.0f})"
    )
    print(f"flagged {sum(v.flagged for v in verdicts)} of {len(verdicts)}")


if __name__ == "__main__":
    main()
