"""Check and summarise corpus JSONL files; flag near-duplicate examples.

Usage: python -m classifiers.tools.corpus_stats FILE.jsonl [FILE.jsonl ...] [--dup-threshold 0.6]

Prints counts per label, category, register and country, then pairs of examples whose word-trigram
Jaccard similarity reaches the threshold (so a writer can rewrite one of them). It does not modify
files and does not judge labels; the definition lives in the data README.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

REQUIRED = ("id", "title", "text", "label", "category")
_WORD = re.compile(r"[a-z0-9']+")


def load(path: Path) -> tuple[list[dict[str, object]], list[str]]:
    """Parse one JSONL file; return its records and a list of problems (line-numbered)."""
    records: list[dict[str, object]] = []
    problems: list[str] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            problems.append(f"{path}:{n}: blank line")
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{path}:{n}: not JSON ({exc.msg})")
            continue
        missing = [k for k in REQUIRED if k not in rec]
        if missing:
            problems.append(f"{path}:{n}: missing {', '.join(missing)}")
            continue
        records.append(rec)
    return records, problems


def shingles(text: str, n: int = 3) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicates(records: list[dict[str, object]], threshold: float) -> list[tuple[float, str, str]]:
    """Pairs of records whose title+text trigram sets have Jaccard similarity >= threshold.

    An inverted index over trigrams keeps this far below all-pairs cost: only records sharing at
    least one trigram are compared, and very common trigrams (boilerplate like "police said on")
    are skipped as evidence of similarity on their own.
    """
    sets = [shingles(f"{r['title']} {r['text']}") for r in records]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for sh in s:
            index[sh].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for members in index.values():
        if len(members) > 50:
            continue
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                shared[(a, b)] += 1
    out = []
    for (a, b), common in shared.items():
        union = len(sets[a]) + len(sets[b]) - common
        score = common / union if union else 0.0
        if score >= threshold:
            out.append((score, str(records[a]["id"]), str(records[b]["id"])))
    return sorted(out, reverse=True)


def table(title: str, counts: Iterable[tuple[str, int]]) -> str:
    rows = [f"| {title} | n |", "|---|---|"] + [f"| {k} | {v} |" for k, v in counts]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--dup-threshold", type=float, default=0.6)
    args = ap.parse_args(argv)
    records: list[dict[str, object]] = []
    problems: list[str] = []
    for f in args.files:
        recs, probs = load(f)
        records += recs
        problems += probs
    ids = Counter(str(r["id"]) for r in records)
    problems += [f"duplicate id {i} ({n} times)" for i, n in ids.items() if n > 1]
    print(f"{len(records)} records")
    for field in ("label", "category", "register", "country"):
        counts = Counter(str(r.get(field, "-")) for r in records)
        print(table(field, counts.most_common()))
        print()
    dups = near_duplicates(records, args.dup_threshold)
    for score, a, b in dups:
        print(f"near-duplicate {score:.2f}: {a} {b}")
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
