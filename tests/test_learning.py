"""The learning loop: analysts' verdicts retrain the classifier, which is promoted only if not worse."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor import learning
from monitor.cli import main
from monitor.storage import reviews
from monitor.storage.db import Database
from monitor.storage.model_versions import promoted_dir
from tests.support import seed
from tests.support.review_scenario import scenario


def test_held_out_split_is_stable_and_disjoint() -> None:
    examples = [learning.Reviewed(i, "t", "x", i % 2) for i in range(1000)]
    train, held = learning.split(examples, 0.3)
    assert {e.article_id for e in train}.isdisjoint({e.article_id for e in held})
    assert 240 < len(held) < 360
    assert learning.split(examples, 0.3) == (train, held)


def test_promotion_rule() -> None:
    base = learning.figures([1, 1, 0, 0] * 10, [True, True, True, False] * 10)
    better = learning.figures([1, 1, 0, 0] * 10, [True, True, False, False] * 10)
    worse_recall = learning.figures([1, 1, 0, 0] * 10, [True, False, False, False] * 10)
    assert base.fpr == 0.5 and better.fpr == 0.0
    assert learning.promotion(base, better)[0]
    assert not learning.promotion(base, worse_recall)[0]
    assert not learning.promotion(better, base)[0]
    assert not learning.promotion(base, learning.figures([1, 0], [True, False]))[0]  # too few held out


@pytest.mark.slow
def test_retraining_on_verdicts_lowers_false_positives_on_held_out_reviews(
    sqlite_url: str, tmp_path: Path
) -> None:
    db = Database(sqlite_url)
    now = dt.datetime.now(dt.UTC)
    with db.transaction() as s:
        feed = seed.feed(s)
        for title, text, label in scenario():
            article = seed.article(s, feed, title, summary=text)
            reviews.record_review(s, article.id, None, "confirmed" if label else "rejected", "", now)
    db.dispose()
    env = {"MONITOR_DATABASE_URL": sqlite_url, "MONITOR_DATA_DIR": str(tmp_path / "data")}
    runner = CliRunner()

    before = runner.invoke(main, ["model", "evaluate-reviews", "--json"], env=env)
    assert before.exit_code == 0, before.output
    held_before = json.loads(before.output)["held_out"]
    assert held_before["fpr"] > 0.3, "the scenario must start with false positives for the loop to fix"

    result = runner.invoke(main, ["model", "retrain"], env=env)
    assert result.exit_code == 0, result.output
    assert "promoted" in result.output and "not promoted" not in result.output
    assert promoted_dir(tmp_path / "data") is not None

    after = runner.invoke(main, ["model", "evaluate-reviews", "--json"], env=env)
    held_after = json.loads(after.output)["held_out"]
    assert held_after["fpr"] < held_before["fpr"]
    assert held_after["f1"] >= held_before["f1"]
    assert json.loads(after.output)["model"] != json.loads(before.output)["model"]
