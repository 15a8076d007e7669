"""`monitor demo` end to end: the written stream through the real pipeline, one wave, alerts delivered."""

from __future__ import annotations

import datetime as dt
import email
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.demo.stream import build_stream, wave_window


def test_stream_is_deterministic_and_has_its_wave() -> None:
    end = dt.date(2026, 11, 21)
    items = build_stream(end)
    assert items == build_stream(end)
    start, stop = wave_window(end)
    in_wave = [i for i in items if i.kind == "killing" and start <= i.published_at.date() <= stop]
    before = [i for i in items if i.kind == "killing" and i.published_at.date() < start]
    assert len(in_wave) / 5 > 4 * len(before) / (len(items) and (start - items[0].published_at.date()).days)
    assert {i.kind for i in items} >= {"killing", "tally", "bombing", "crime", "encounter", "nonviolent"}


@pytest.mark.slow
def test_demo_runs_the_pipeline_and_alerts_once_on_the_wave(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(
        main,
        ["--log-level", "WARNING", "demo", "--dir", str(folder)],
        env={"MONITOR_DATA_DIR": str(tmp_path)},
    )
    assert result.exit_code == 0, result.output
    assert "flagged as targeted killings" in result.output
    episodes = [line for line in result.output.splitlines() if line.startswith("  All places: from")]
    assert len(episodes) == 1, result.output  # one episode for the wave, none for the quiet weeks
    mails = sorted((folder / "mail").glob("*.eml"))
    posts = sorted((folder / "slack").glob("*.json"))
    assert mails and len(mails) == len(posts)
    first = email.message_from_bytes(mails[0].read_bytes())
    assert first["Auto-Submitted"] == "auto-generated" and first["To"] == "analyst@example.org"
    assert list(folder.glob("digest-*.html")) and (folder / "demo.db").exists()
