"""Logging setup: human-readable lines on a terminal, one JSON object per line otherwise.

Call :func:`setup_logging` once from the entry point. Modules log with ``logging.getLogger(__name__)`` and
pass facts as ``extra={"feed": url, ...}``; the JSON formatter keeps those fields as keys, so a log shipper
can filter on them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def setup_logging(level: str = "INFO", *, json_lines: bool | None = None) -> None:
    """Configure the root logger; ``json_lines=None`` picks JSON when stderr is not a terminal."""
    if json_lines is None:
        json_lines = not sys.stderr.isatty()
    handler = logging.StreamHandler(sys.stderr)
    text_format = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(text_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Libraries that are chatty at INFO.
    for name in (
        "httpx",
        "httpcore",
        "apscheduler.executors.default",
        "alembic.runtime.migration",
        "alembic.runtime.plugins",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
