"""Typed settings: a TOML file plus ``MONITOR_*`` environment overrides, validated once.

The entry point calls :func:`load_settings` once and passes the resulting :class:`Settings` down; nothing
here runs at import time and nothing reads the environment except through the ``env`` argument.

Precedence, lowest first: built-in defaults, the config file (``MONITOR_CONFIG`` or ``config/monitor.toml``),
then the environment. Named variables: ``MONITOR_DATABASE_URL``, ``MONITOR_CONFIG``, ``MONITOR_DATA_DIR``,
``MONITOR_ALLOW_PRIVATE_NETWORKS``; any other setting as ``MONITOR_<SECTION>__<KEY>`` (for example
``MONITOR_POLLING__TIMEOUT_SECONDS=30``). Secrets (SMTP credentials, the Slack webhook, the web secret key)
come from the environment only; a secret written in the file is a configuration error, because config files
end up in repositories and backups.

One bad ``[[feeds]]`` entry does not stop the service: it is reported in ``Settings.problems`` and skipped.
Any other invalid value raises :class:`~monitor.errors.ConfigError` naming the file, line, key and reason.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from monitor.errors import ConfigError

PACKAGE_ROOT = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_ROOT.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "monitor.toml"

#: Keys that may only come from the environment, and the variable that carries each.
SECRET_ENV = {
    ("email", "username"): "MONITOR_SMTP_USERNAME",
    ("email", "password"): "MONITOR_SMTP_PASSWORD",
    ("slack", "webhook_url"): "MONITOR_SLACK_WEBHOOK_URL",
    ("web", "secret_key"): "MONITOR_SECRET_KEY",
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSettings(_Section):
    url: str = ""
    #: How long a writer waits for SQLite's lock before failing (seconds).
    sqlite_busy_timeout: float = Field(default=30.0, gt=0)


class PollingSettings(_Section):
    interval_minutes: float = Field(default=15.0, gt=0)
    #: Total deadline for one request, headers and body together: a dripping server costs at most this.
    timeout_seconds: float = Field(default=20.0, gt=0)
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Cap on the decoded body: a gzip bomb or a 200 MB feed stops here.
    max_body_bytes: int = Field(default=15 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    concurrency: int = Field(default=32, ge=1, le=512)
    per_host_concurrency: int = Field(default=2, ge=1, le=64)
    #: Worker processes that fetch, parse and score a round of more than a few feeds; 0 = one per CPU.
    parse_workers: int = Field(default=0, ge=0, le=64)
    backoff_base_minutes: float = Field(default=5.0, gt=0)
    backoff_max_hours: float = Field(default=24.0, gt=0)
    #: Retry-After values beyond this are clamped: a server cannot make us stop polling for a month.
    max_retry_after_hours: float = Field(default=24.0, gt=0)
    user_agent: str = "karachi-monitor/0.1 (news monitoring; +https://example.org/karachi-monitor)"


class ClassifierSettings(_Section):
    model_path: str = ""  # empty: the artifact shipped in classifiers/
    threshold: float | None = Field(default=None, ge=0, le=1)  # None: the model's own threshold


class IncidentSettings(_Section):
    window_hours: float = Field(default=72.0, gt=0)
    similarity: float = Field(default=0.35, ge=0, le=1)


class SpikeSettings(_Section):
    #: Target share of days that raise a false alarm when nothing is going on.
    false_alarm_rate: float = Field(default=0.005, gt=0, lt=0.5)
    history_days: int = Field(default=730, ge=28)
    per_place: bool = True
    #: Which place precisions get their own series besides the overall count.
    place_levels: tuple[str, ...] = ("city", "town")


class AlertSettings(_Section):
    repeat_interval_hours: float = Field(default=24.0, gt=0)
    max_attempts: int = Field(default=12, ge=1)
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    base_url: str = "http://127.0.0.1:8080"
    #: A delivery claimed longer ago than this is taken to belong to a crashed sender and is tried again
    #: (the at-least-once window); keep it well above the email and Slack timeouts.
    claim_lease_seconds: float = Field(default=300.0, gt=0)


class EmailSettings(_Section):
    enabled: bool = False
    host: str = "localhost"
    port: int = Field(default=587, gt=0, lt=65536)
    security: Literal["starttls", "tls", "none"] = "starttls"
    #: Refuse to send when TLS cannot be set up; only a local relay should ever turn this off.
    require_tls: bool = True
    sender: str = "monitor@localhost"
    recipients: tuple[str, ...] = ()
    timeout_seconds: float = Field(default=30.0, gt=0)
    ca_file: str = ""  # extra CA bundle, for a private relay
    username: SecretStr | None = None
    password: SecretStr | None = None


class SlackSettings(_Section):
    enabled: bool = False
    timeout_seconds: float = Field(default=15.0, gt=0)
    min_interval_seconds: float = Field(default=1.0, ge=0)
    webhook_url: SecretStr | None = None


class DigestSettings(_Section):
    enabled: bool = True
    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    time: str = "08:00"
    timezone: str = "Asia/Karachi"
    recipients: tuple[str, ...] = ()  # empty: the email recipients

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError("must be HH:MM (24-hour)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, gt=0, lt=65536)
    #: Set when the app is served over HTTPS (directly or behind a proxy): cookies become Secure.
    behind_tls: bool = False
    login_attempts_per_minute: int = Field(default=5, ge=1)
    secret_key: SecretStr | None = None


class SchedulerSettings(_Section):
    """`monitor run`: the lease that keeps one active scheduler per database, and job time limits."""

    #: A holder that stops renewing loses the lease after this long; a standby then takes over.
    lease_seconds: float = Field(default=30.0, ge=1)
    #: How often the holder renews the lease and a standby checks it; well under ``lease_seconds``.
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    poll_time_limit_minutes: float = Field(default=10.0, gt=0)
    #: After a job's time limit it is asked to stop (SIGTERM), then killed after this grace.
    kill_grace_seconds: float = Field(default=10.0, gt=0)


class FeedSpec(_Section):
    url: str
    title: str = ""
    interval_minutes: float | None = Field(default=None, gt=0)

    @field_validator("url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"(?i)^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value


class Settings(_Section):
    """Everything the service needs to know, built once by the entry point."""

    config_path: Path | None = None
    data_dir: Path = PROJECT_ROOT / "var"
    allow_private_networks: bool = False
    database: DatabaseSettings = DatabaseSettings()
    polling: PollingSettings = PollingSettings()
    classifier: ClassifierSettings = ClassifierSettings()
    incidents: IncidentSettings = IncidentSettings()
    spikes: SpikeSettings = SpikeSettings()
    alerts: AlertSettings = AlertSettings()
    email: EmailSettings = EmailSettings()
    slack: SlackSettings = SlackSettings()
    digest: DigestSettings = DigestSettings()
    web: WebSettings = WebSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    feeds: tuple[FeedSpec, ...] = ()
    #: Non-fatal problems found while loading (skipped feed entries), for `config check` and the logs.
    problems: tuple[str, ...] = ()

    @property
    def database_url(self) -> str:
        return self.database.url or f"sqlite:///{self.data_dir / 'monitor.db'}"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"environment {name}={raw!r}: expected true or false")


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """Best-effort line number of ``key`` inside ``[section]`` of a TOML text, for error messages."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\[?\s*([A-Za-z0-9_.-]+)\s*\]\]?", stripped)
        if header:
            current = header.group(1)
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
            return number
    return None


def _format_validation(path: str, text: str, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> str:
    lines = []
    for err in exc.errors():
        loc = prefix + tuple(err["loc"])
        section = str(loc[0]) if len(loc) > 1 else None
        key = str(loc[-1])
        line = _line_of(text, section, key) if text else None
        where = f"{path}:{line}" if line else path
        dotted = ".".join(str(p) for p in loc)
        got = err.get("input")
        shown = f" (got {got!r})" if got is not None and not isinstance(got, dict | list) else ""
        lines.append(f"{where}: {dotted}: {err['msg']}{shown}")
    return "\n".join(lines)


def _read_file(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from exc
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def load_settings(
    env: Mapping[str, str] | None = None,
    config_path: str | Path | None = None,
) -> Settings:
    """Build the settings from the config file and the environment ``env`` (default: ``os.environ``)."""
    env = dict(os.environ if env is None else env)
    explicit = config_path or env.get("MONITOR_CONFIG")
    path = Path(explicit) if explicit else DEFAULT_CONFIG
    data: dict[str, Any] = {}
    text = ""
    if explicit or path.exists():
        data, text = _read_file(path)
    shown = str(path)

    for (section, key), var in SECRET_ENV.items():
        if key in data.get(section, {}):
            line = _line_of(text, section, key)
            raise ConfigError(
                f"{shown}{':' + str(line) if line else ''}: {section}.{key} is a secret: "
                f"remove it from the file and set the environment variable {var} instead"
            )

    # Environment overrides, applied to the raw data so validation reports them too.
    if env.get("MONITOR_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    if env.get("MONITOR_DATA_DIR"):
        data["data_dir"] = env["MONITOR_DATA_DIR"]
    if "MONITOR_ALLOW_PRIVATE_NETWORKS" in env:
        data["allow_private_networks"] = _parse_bool(
            "MONITOR_ALLOW_PRIVATE_NETWORKS", env["MONITOR_ALLOW_PRIVATE_NETWORKS"]
        )
    for name, raw in env.items():
        match = re.fullmatch(r"MONITOR_([A-Z]+)__([A-Z0-9_]+)", name)
        if match:
            section, key = match.group(1).lower(), match.group(2).lower()
            if (section, key) in SECRET_ENV:
                continue
            value: Any = raw
            if raw.startswith("[") or raw.startswith("{"):
                import json

                try:
                    value = json.loads(raw)
                except ValueError as exc:
                    raise ConfigError(f"environment {name}: invalid JSON: {exc}") from exc
            data.setdefault(section, {})[key] = value
    for (section, key), var in SECRET_ENV.items():
        if env.get(var):
            data.setdefault(section, {})[key] = env[var]

    # Feeds one by one: a bad entry is reported and skipped, never fatal.
    feeds: list[FeedSpec] = []
    problems: list[str] = []
    raw_feeds = data.pop("feeds", [])
    if not isinstance(raw_feeds, list):
        raise ConfigError(f"{shown}: feeds must be an array of tables ([[feeds]])")
    for index, raw in enumerate(raw_feeds, start=1):
        try:
            if not isinstance(raw, dict):
                raise ValueError("each [[feeds]] entry must be a table")
            feeds.append(FeedSpec.model_validate(raw))
        except ValidationError as exc:
            url = raw.get("url", "?") if isinstance(raw, dict) else "?"
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            problems.append(f"{shown}: feeds #{index} ({url}): {reasons}; entry skipped")
        except ValueError as exc:
            problems.append(f"{shown}: feeds #{index}: {exc}; entry skipped")

    data["feeds"] = feeds
    data["problems"] = problems
    data["config_path"] = path if (explicit or path.exists()) else None
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation(shown, text, exc)) from exc
