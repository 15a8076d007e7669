"""The classifier artifact on disk: ``model.json`` (metadata, settings, calibration, threshold, metrics)
and ``model.npz`` (vocabularies, idf weights, coefficients), written by training and read by the service.

No pickle anywhere: arrays are loaded with ``allow_pickle=False`` and vocabularies are stored as UTF-8
text in a byte array. ``model.json`` records the SHA-256 of ``model.npz`` (a tampered or truncated file is
refused), the format number, the scikit-learn and numpy versions that built it and the hash of the corpus.
Any mismatch is a :class:`~monitor.errors.ModelError` that says how to rebuild: ``monitor model train``.

This module reads and writes files; it does not train and does not score.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import numpy as np

from monitor.errors import ModelError

FORMAT = 1
MODEL_DIR = Path(__file__).resolve().parent / "model"
META_NAME = "model.json"
ARRAYS_NAME = "model.npz"
REBUILD = "rebuild it with `monitor model train`"
MAX_ARTIFACT_BYTES = 25 * 1024 * 1024


def installed_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass
class Artifact:
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    path: Path


def encode_terms(terms: list[str]) -> np.ndarray:
    for term in terms:
        if "\n" in term:
            raise ValueError(f"term {term!r} contains a newline")
    return np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)


def decode_terms(blob: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8")
    return text.split("\n") if text else []


def save(directory: Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Path:
    """Write the artifact atomically (temporary files, then rename); returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **cast(dict[str, Any], arrays))
    payload = buffer.getvalue()
    meta = {**meta, "format": FORMAT, "arrays_sha256": hashlib.sha256(payload).hexdigest()}
    for name, content in ((ARRAYS_NAME, payload), (META_NAME, (json.dumps(meta, indent=2) + "\n").encode())):
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the artifact is committed and read by the service user
        os.replace(tmp, directory / name)
    return directory


def load(directory: Path) -> Artifact:
    """Read and check an artifact; every problem is a ModelError that says how to rebuild."""
    meta_path, arrays_path = directory / META_NAME, directory / ARRAYS_NAME
    if not meta_path.is_file() or not arrays_path.is_file():
        raise ModelError(
            f"no classifier artifact in {directory} (expected {META_NAME} and {ARRAYS_NAME}): {REBUILD}"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_path}: unreadable model metadata ({exc}): {REBUILD}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise ModelError(f"{meta_path}: artifact format {got!r}, this code reads format {FORMAT}: {REBUILD}")
    built_with = str(meta.get("sklearn_version", "?"))
    running = installed_version("scikit-learn")
    if _minor(built_with) != _minor(running):
        raise ModelError(
            f"{meta_path}: built with scikit-learn {built_with}, this installation has {running}: {REBUILD}"
        )
    built_numpy = str(meta.get("numpy_version", "?"))
    if built_numpy.split(".")[0] != np.__version__.split(".")[0]:
        raise ModelError(f"{meta_path}: built with numpy {built_numpy}, running {np.__version__}: {REBUILD}")
    size = arrays_path.stat().st_size
    if size > MAX_ARTIFACT_BYTES:
        raise ModelError(
            f"{arrays_path}: {size} bytes, more than the {MAX_ARTIFACT_BYTES} allowed: {REBUILD}"
        )
    payload = arrays_path.read_bytes()
    if hashlib.sha256(payload).hexdigest() != meta.get("arrays_sha256"):
        raise ModelError(f"{arrays_path}: checksum differs from {META_NAME} (corrupt or tampered): {REBUILD}")
    try:
        with np.load(io.BytesIO(payload), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"{arrays_path}: unreadable arrays ({exc}): {REBUILD}") from exc
    return Artifact(meta=meta, arrays=arrays, path=directory)
