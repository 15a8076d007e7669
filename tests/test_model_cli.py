"""`monitor classify`, `monitor model train|evaluate|reclassify|info` through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from classifiers import artifact as art
from classifiers.train import TrainResult, train
from monitor.cli import main
from monitor.storage.db import Database
from monitor.storage.models import Article
from tests.support import tiny_corpus

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
HIT = {"title": "Lawyer shot dead", "text": "Gunmen on a motorcycle shot dead a lawyer outside his office."}
MISS = {"title": "Library opens", "text": "The council opened a new library and a park on Sunday."}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    base = tmp_path_factory.mktemp("cli-model")
    return train(now=NOW, out_dir=base / "artifact", corpus_dir=tiny_corpus.write(base / "corpus"))


def run(args: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def env(trained: TrainResult, tmp_path: Path) -> dict[str, str]:
    return {"MONITOR_CLASSIFIER__MODEL_PATH": str(trained.path), "MONITOR_DATA_DIR": str(tmp_path / "data")}


def test_classify_keeps_order_and_reports_bad_lines(env: dict[str, str], tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", **HIT}),
        "{broken",
        json.dumps({"id": "b", **MISS}),
        "",
        json.dumps({"title": "no id"}),
        json.dumps({"id": 7, "title": "only a title: journalist gunned down"}),
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run(["classify", str(path)], env)
    assert code == 1
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", 7]
    assert set(rows[0]) == {"id", "score", "flagged", "reasons"}
    assert rows[0]["flagged"] is True and rows[1]["flagged"] is False
    assert f"{path}:2: not JSON" in err
    assert f"{path}:5: missing id" in err
    assert "2 malformed line(s)" in err


def test_classify_reads_stdin(env: dict[str, str]) -> None:
    stdin = "".join(json.dumps({"id": i, **(HIT if i % 2 else MISS)}) + "\n" for i in range(1200))
    code, out, err = run(["classify", "-"], env, stdin=stdin)
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == list(range(1200))
    assert [r["flagged"] for r in rows] == [bool(i % 2) for i in range(1200)]


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    env = {"MONITOR_CLASSIFIER__MODEL_PATH": str(tmp_path / "none"), "MONITOR_DATA_DIR": str(tmp_path)}
    code, out, err = run(["classify", "-"], env, stdin=json.dumps({"id": 1, **HIT}) + "\n")
    assert code == 2
    assert out == ""
    assert "no classifier artifact" in err and "monitor model train" in err


def _labelled(tmp_path: Path) -> Path:
    rows = [
        {"id": 1, **HIT, "label": 1, "category": "positive", "source": "https://news.example/a"},
        {"id": 2, **MISS, "label": 0, "category": "nonviolent", "source": "Wire (Agency X; 2020)"},
        {
            "id": 3,
            "title": "Blast",
            "text": "A suicide bomber killed twenty people in a crowded market.",
            "label": 0,
            "category": "bombing",
            "source": "Wire (Agency X; 2021)",
        },
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_evaluate_prints_the_figures(env: dict[str, str], tmp_path: Path) -> None:
    path = _labelled(tmp_path)
    code, out, err = run(["model", "evaluate", str(path), "--group-by", "source"], env)
    assert code == 0, err
    for needle in (
        "precision",
        "recall",
        "F1",
        "false-positive rate, violent but not targeted",
        "bombing",
        "web pages",
        "Agency X",
        "threshold",
    ):
        assert needle in out
    code, out, _ = run(["model", "evaluate", str(path), "--json"], env)
    assert code == 0
    figures = json.loads(out)
    assert figures["n"] == 3 and figures["positives"] == 1
    assert set(figures["per_category"]) == {"positive", "nonviolent", "bombing"}
    assert {"precision", "recall", "f1", "fpr_violent", "table", "model_version"} <= set(figures)


def test_evaluate_reports_bad_labels(env: dict[str, str], tmp_path: Path) -> None:
    path = _labelled(tmp_path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": 9, "title": "t", "text": "t", "label": 3, "category": "riot"}) + "\n")
    code, out, err = run(["model", "evaluate", str(path), "--json"], env)
    assert code == 1
    assert json.loads(out)["n"] == 3
    assert "labelled.jsonl:4" in err


def test_train_writes_artifact_and_card(tmp_path: Path) -> None:
    corpus = tiny_corpus.write(tmp_path / "corpus")
    out_dir = tmp_path / "out"
    code, out, err = run(
        ["model", "train", "--out", str(out_dir), "--corpus", str(corpus)],
        {"MONITOR_DATA_DIR": str(tmp_path)},
    )
    assert code == 0, err
    assert "cross-validated (our corpus): n=" in out and str(out_dir) in out
    assert (out_dir / art.META_NAME).is_file() and (out_dir / art.ARRAYS_NAME).is_file()
    assert "Model card" in (out_dir / "MODEL_CARD.md").read_text(encoding="utf-8")
    code, out, err = run(
        ["model", "info"], {"MONITOR_CLASSIFIER__MODEL_PATH": str(out_dir), "MONITOR_DATA_DIR": str(tmp_path)}
    )
    assert code == 0, err
    assert "version        tk-" in out and "threshold" in out


def _article(n: int, title: str, summary: str, version: str | None, when: dt.datetime | None) -> Article:
    return Article(
        canonical_url=f"https://news.example/{n}",
        url=f"https://news.example/{n}",
        title=title,
        summary=summary,
        first_seen_at=NOW,
        last_changed_at=NOW,
        model_version=version,
        classified_at=when,
        score=0.5 if version else None,
        flagged=False if version else None,
    )


def test_reclassify_scores_queued_and_stale_articles(
    db: Database, db_url: str, trained: TrainResult, tmp_path: Path
) -> None:
    earlier = NOW - dt.timedelta(days=1)
    with db.transaction() as s:
        s.add_all(
            [
                _article(1, HIT["title"], HIT["text"], None, None),  # queued
                _article(2, MISS["title"], MISS["text"], "tk-old", earlier),  # stale version
                _article(3, HIT["title"], HIT["text"], trained.version, earlier),  # current: left alone
            ]
        )
    env = {
        "MONITOR_CLASSIFIER__MODEL_PATH": str(trained.path),
        "MONITOR_DATABASE_URL": db_url,
        "MONITOR_DATA_DIR": str(tmp_path),
    }
    code, out, err = run(["model", "reclassify", "--batch-size", "1"], env)
    assert code == 0, err
    assert f"reclassified 2 article(s) with model {trained.version}; 1 flagged" in out
    with db.reader() as s:
        rows = {a.canonical_url[-1]: a for a in s.scalars(select(Article))}
    assert rows["1"].flagged is True and rows["1"].model_version == trained.version and rows["1"].reasons
    assert (
        rows["2"].flagged is False
        and rows["2"].classified_at is not None
        and rows["2"].classified_at > earlier
    )
    assert rows["3"].classified_at == earlier and rows["3"].score == 0.5
    code, out, _ = run(["model", "reclassify"], env)
    assert "reclassified 0 article(s)" in out
    code, out, _ = run(["model", "reclassify", "--all"], env)
    assert "reclassified 3 article(s)" in out
    with db.reader() as s:
        assert all(a.model_version == trained.version and a.score != 0.5 for a in s.scalars(select(Article)))
