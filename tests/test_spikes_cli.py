"""`monitor spikes detect-csv` (the benchmark's detector contract) on small CSV files written here."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.storage.db import Database
from tests.support.spikedata import BURST, TOWN, fill


def write_input(
    path: Path, n: int = 300, n_eval: int = 60, freq: int = 365, burst_at: int | None = None
) -> None:
    rng = np.random.default_rng(99)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["series_id", "t", "count", "eval", "freq"])
        for sid, level in (("quiet", 2.0), ("bursty", 1.0)):
            y = rng.poisson(level, size=n)
            if sid == "bursty" and burst_at is not None:
                y[burst_at - 1 : burst_at + 3] += 9
            for t in range(1, n + 1):
                w.writerow([sid, t, int(y[t - 1]), int(t > n - n_eval), freq])


def run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_detect_csv_prints_one_row_per_evaluated_point(tmp_path: Path) -> None:
    src = tmp_path / "input.csv"
    write_input(src, burst_at=280)
    code, out, _ = run(["spikes", "detect-csv", "--false-alarm-rate", "0.01", str(src)])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["series_id", "t", "alarm", "score"]
    assert len(rows) == 120
    assert {(r["series_id"], int(r["t"])) for r in rows} == {
        (s, t) for s in ("quiet", "bursty") for t in range(241, 301)
    }
    alarms = {(r["series_id"], int(r["t"])) for r in rows if r["alarm"] == "1"}
    assert any(sid == "bursty" and 280 <= t <= 283 for sid, t in alarms)
    assert sum(1 for sid, _ in alarms if sid == "quiet") <= 3
    # score > 0 exactly when the alarm is raised
    assert all((float(r["score"]) > 0) == (r["alarm"] == "1") for r in rows)


def test_detect_csv_weekly_series(tmp_path: Path) -> None:
    src = tmp_path / "weekly.csv"
    write_input(src, n=400, n_eval=50, freq=52, burst_at=380)
    code, out, _ = run(["spikes", "detect-csv", str(src)])
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 100
    assert any(r["series_id"] == "bursty" and 380 <= int(r["t"]) <= 383 and r["alarm"] == "1" for r in rows)


def test_detect_csv_names_the_bad_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("series_id,t,count,eval,freq\na,1,3,0,365\na,2,many,1,365\n")
    code, _, err = run(["spikes", "detect-csv", str(src)])
    assert code == 2
    assert "input CSV:3" in err
    src.write_text("series_id,t,count\na,1,3\n")
    code, _, err = run(["spikes", "detect-csv", str(src)])
    assert code == 2
    assert "eval" in err and "freq" in err


def test_backtest_and_list_on_a_stored_history(tmp_path: Path, sqlite_url: str) -> None:
    db = Database(sqlite_url)
    try:
        fill(db)
    finally:
        db.dispose()
    config = tmp_path / "monitor.toml"
    config.write_text("", encoding="utf-8")
    env = {"MONITOR_DATABASE_URL": sqlite_url, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    since, until = (BURST - dt.timedelta(days=20)).isoformat(), (BURST + dt.timedelta(days=15)).isoformat()

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, ["--config", str(config), "spikes", *args], env=env)

    result = cli("backtest", "--since", since, "--until", until, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    town = [(e["day"], e["kind"], e["level"]) for e in data["events"] if e["series_key"] == TOWN]
    assert town[0] == (BURST.isoformat(), "start", 1)
    assert town[-1][1] == "end"
    assert any(kind == "growth" for _, kind, _ in town)

    text = cli("backtest", "--since", since, "--until", until)
    assert text.exit_code == 0
    assert f"{BURST.isoformat()}  start   level 1  {TOWN}" in text.stdout

    listed = cli("list")  # the backtest wrote nothing
    assert listed.exit_code == 0 and "no spike episodes" in listed.stdout

    bad = cli("backtest", "--since", "June")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
