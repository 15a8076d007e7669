"""The detector contract of the spike benchmark, as CSV in and CSV out.

Input columns ``series_id,t,count,eval,freq`` (``freq`` 365 = daily with ``t=1`` a Monday, 52 = weekly);
output ``series_id,t,alarm,score`` (with header) for every input row with ``eval=1``. Series are grouped by
frequency and run as one aligned batch per group through :func:`monitor.spikes.detector.detect`.

Reads and writes text streams only; it opens no files itself (the CLI does).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

import numpy as np

from monitor.errors import InputError
from monitor.spikes.detector import DetectorParams, detect

REQUIRED = ("series_id", "t", "count", "eval", "freq")


@dataclass
class _Series:
    t: list[int]
    count: list[float]
    ev: list[bool]


def read_input(stream: TextIO) -> dict[int, dict[str, _Series]]:
    """Parse the contract CSV into {freq: {series_id: rows}}; raises InputError naming the line."""
    reader = csv.DictReader(stream)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"lacks column(s): {', '.join(missing)}", source="input CSV")
    groups: dict[int, dict[str, _Series]] = defaultdict(dict)
    for line, row in enumerate(reader, start=2):
        try:
            freq = int(row["freq"])
            t = int(float(row["t"]))
            count = float(row["count"]) if row["count"] not in ("", "NA") else float("nan")
            ev = int(float(row["eval"])) == 1
        except (TypeError, ValueError) as exc:
            raise InputError(str(exc), line=line, source="input CSV") from exc
        if freq not in (365, 52):
            raise InputError(f"freq must be 365 or 52, not {freq}", line=line, source="input CSV")
        s = groups[freq].setdefault(row["series_id"], _Series([], [], []))
        s.t.append(t)
        s.count.append(count)
        s.ev.append(ev)
    return groups


def run_group(
    series: dict[str, _Series], freq: int, params: DetectorParams
) -> Iterable[tuple[str, int, int, float]]:
    """Yield (series_id, t, alarm, score) for the evaluated rows of one frequency group."""
    if not series:
        return
    t_min = min(min(s.t) for s in series.values())
    # day-of-week alignment: position 0 of the grid must be a Monday (t = 1, 8, 15, ...)
    origin = t_min - ((t_min - 1) % 7) if freq == 365 else t_min
    t_max = max(max(s.t) for s in series.values())
    n = t_max - origin + 1
    ids = list(series)
    counts = np.zeros((len(ids), n))
    observed = np.zeros((len(ids), n), dtype=bool)
    wanted = np.zeros((len(ids), n), dtype=bool)
    for k, sid in enumerate(ids):
        s = series[sid]
        pos = np.asarray(s.t) - origin
        c = np.asarray(s.count, dtype=float)
        counts[k, pos] = np.nan_to_num(c)
        observed[k, pos] = ~np.isnan(c)
        wanted[k, pos] = np.asarray(s.ev)
    ev_pos = np.flatnonzero(wanted.any(0))
    if len(ev_pos) == 0:
        return
    # evaluate every position from the first to the last requested one, so the result for a point does
    # not depend on which other points happen to be requested
    eval_idx = np.arange(ev_pos[0], ev_pos[-1] + 1, dtype=np.int64)
    det = detect(counts, eval_idx, params, freq=freq, observed=observed)
    for k, sid in enumerate(ids):
        for e, i in enumerate(eval_idx):
            if wanted[k, i]:
                yield sid, int(i + origin), int(det.alarm[k, e]), float(det.score[k, e])


def run_csv(src: TextIO, dst: TextIO, params: DetectorParams | None = None) -> int:
    """Read the contract CSV from ``src``, write alarms to ``dst``; return the number of rows written."""
    params = params or DetectorParams()
    groups = read_input(src)
    w = csv.writer(dst, lineterminator="\n")
    w.writerow(["series_id", "t", "alarm", "score"])
    n = 0
    for freq, series in groups.items():
        for sid, t, alarm, score in run_group(series, freq, params):
            w.writerow([sid, t, alarm, f"{score:.5g}"])
            n += 1
    return n
