"""Which classifier is in use: the promoted model's directory, and the history of trained versions.

The pointer is a file (``<data_dir>/models/CURRENT`` naming a directory beside it) so that loading a
model never needs the database; each training and promotion is also recorded in ``model_versions``.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from monitor.storage.models import ModelVersion


def models_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "models"


def promoted_dir(data_dir: Path) -> Path | None:
    """The promoted model's directory, or None (then the shipped model is used)."""
    pointer = models_dir(data_dir) / "CURRENT"
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    candidate = models_dir(data_dir) / name
    if not name or "/" in name or name.startswith(".") or not candidate.is_dir():
        return None
    return candidate


def promote(data_dir: Path, version_dir: Path) -> None:
    """Point CURRENT at ``version_dir`` atomically (write a temporary file, then rename over)."""
    root = models_dir(data_dir)
    if version_dir.resolve().parent != root.resolve():
        raise ValueError(f"{version_dir} is not inside {root}")
    temporary = root / "CURRENT.tmp"
    temporary.write_text(version_dir.name + "\n", encoding="utf-8")
    os.replace(temporary, root / "CURRENT")


def record(
    session: Session, version: str, path: Path, metrics: dict[str, Any], now: dt.datetime, *, promoted: bool
) -> None:
    row = session.get(ModelVersion, version) or ModelVersion(version=version, created_at=now)
    row.path = str(path)
    row.metrics = metrics
    if promoted:
        row.promoted_at = now
    session.add(row)
