"""What every command shares: the settings (built once, lazily) and the database handle."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click

from monitor.config import Settings, load_settings
from monitor.storage.db import Database


@dataclass
class AppContext:
    config_path: Path | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    _settings: Settings | None = None
    _db: Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.env, self.config_path)
        return self._settings

    def database(self, *, check_schema: bool = True) -> Database:
        if self._db is None:
            self._db = Database(
                self.settings.database_url, busy_timeout=self.settings.database.sqlite_busy_timeout
            )
            if check_schema:
                self._db.check_schema()
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None


pass_app = click.make_pass_decorator(AppContext)
