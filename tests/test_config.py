"""Configuration: file + environment, secrets refused in the file, bad feeds skipped, `config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.config import DEFAULT_CONFIG, load_settings
from monitor.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings({"MONITOR_DATA_DIR": str(tmp_path)}, None)
    assert settings.polling.interval_minutes == 15
    assert settings.database_url == f"sqlite:///{tmp_path / 'monitor.db'}"
    assert settings.allow_private_networks is False


def test_the_shipped_config_file_is_valid_and_lists_feeds() -> None:
    settings = load_settings({}, DEFAULT_CONFIG)
    assert settings.problems == ()
    assert len(settings.feeds) >= 10
    assert all(f.url.startswith(("http://", "https://")) for f in settings.feeds)


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[database]\nurl = "sqlite:///file.db"\n[polling]\ninterval_minutes = 10\n')
    settings = load_settings(
        {
            "MONITOR_DATABASE_URL": "postgresql://monitor@db/monitor",
            "MONITOR_ALLOW_PRIVATE_NETWORKS": "yes",
            "MONITOR_POLLING__INTERVAL_MINUTES": "2.5",
            "MONITOR_EMAIL__RECIPIENTS": '["a@example.org", "b@example.org"]',
            "MONITOR_SMTP_PASSWORD": "hunter2",
        },
        path,
    )
    assert settings.database_url == "postgresql://monitor@db/monitor"
    assert settings.allow_private_networks is True
    assert settings.polling.interval_minutes == 2.5
    assert settings.email.recipients == ("a@example.org", "b@example.org")
    assert settings.email.password is not None
    assert settings.email.password.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)


def test_monitor_config_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[polling]\ninterval_minutes = 3\n")
    settings = load_settings({"MONITOR_CONFIG": str(path)})
    assert settings.config_path == path
    assert settings.polling.interval_minutes == 3


@pytest.mark.parametrize(
    ("text", "line", "variable"),
    [
        ('[email]\nenabled = true\n\npassword = "secret"\n', 4, "MONITOR_SMTP_PASSWORD"),
        ('# hooks\n[slack]\nwebhook_url = "https://hooks.slack.com/x"\n', 3, "MONITOR_SLACK_WEBHOOK_URL"),
        ('[web]\nport = 8080\nsecret_key = "k"\n', 3, "MONITOR_SECRET_KEY"),
    ],
)
def test_secrets_in_the_file_are_refused_with_their_line(
    tmp_path: Path, text: str, line: int, variable: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings({}, path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: ")
    assert variable in message
    assert "secret" in message


def test_bad_feed_entries_are_skipped_and_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[feeds]]
url = "https://good.example.org/rss"

[[feeds]]
url = "ftp://bad.example.org/rss"

[[feeds]]
title = "no url"

[[feeds]]
url = "https://slow.example.org/rss"
interval_minutes = -5

[[feeds]]
url = "https://also-good.example.org/rss"
""",
    )
    settings = load_settings({}, path)
    assert [f.url for f in settings.feeds] == [
        "https://good.example.org/rss",
        "https://also-good.example.org/rss",
    ]
    assert len(settings.problems) == 3
    assert "feeds #2 (ftp://bad.example.org/rss)" in settings.problems[0]
    assert "http:// or https://" in settings.problems[0]
    assert "feeds #3" in settings.problems[1] and "url" in settings.problems[1]
    assert "feeds #4" in settings.problems[2] and "interval_minutes" in settings.problems[2]
    assert all(p.endswith("entry skipped") for p in settings.problems)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[polling]\n\ninterval_minutes = 0\n", ":3: polling.interval_minutes: Input should be greater"),
        ('[digest]\ntime = "25:00"\n', ":2: digest.time: Value error, must be HH:MM"),
        ("[polling]\nno_such_key = 1\n", ":2: polling.no_such_key: Extra inputs are not permitted"),
        ("[polling\n", "invalid TOML"),
    ],
)
def test_invalid_values_name_file_line_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings({}, path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_bad_environment_values_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MONITOR_ALLOW_PRIVATE_NETWORKS='maybe'"):
        load_settings({"MONITOR_ALLOW_PRIVATE_NETWORKS": "maybe"}, None)
    with pytest.raises(ConfigError, match="MONITOR_EMAIL__RECIPIENTS: invalid JSON"):
        load_settings({"MONITOR_EMAIL__RECIPIENTS": "[not json"}, None)
    with pytest.raises(ConfigError, match=r"polling\.timeout_seconds"):
        load_settings({"MONITOR_POLLING__TIMEOUT_SECONDS": "-1"}, None)


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings({"MONITOR_CONFIG": str(tmp_path / "nope.toml")})


# --- `monitor config check` ---------------------------------------------------------------------------


def _check(tmp_path: Path, text: str, **env: str) -> Result:
    path = _write(tmp_path, text)
    full_env = {"MONITOR_DATA_DIR": str(tmp_path / "data"), **env}
    return CliRunner().invoke(main, ["--config", str(path), "config", "check"], env=full_env)


def test_config_check_ok(tmp_path: Path) -> None:
    result = _check(tmp_path, '[[feeds]]\nurl = "https://good.example.org/rss"\n')
    assert result.exit_code == 0, result.output
    assert "feeds: 1 in the config file" in result.output
    assert result.output.rstrip().endswith("ok")


def test_config_check_secret_in_file_exits_1_with_file_and_line(tmp_path: Path) -> None:
    result = _check(tmp_path, '[email]\nhost = "smtp"\npassword = "x"\n')
    assert result.exit_code == 1
    assert f"{tmp_path / 'monitor.toml'}:3: email.password is a secret" in result.output
    assert "MONITOR_SMTP_PASSWORD" in result.output


def test_config_check_reports_skipped_feeds_and_semantic_problems(tmp_path: Path) -> None:
    result = _check(
        tmp_path,
        '[email]\nenabled = true\n\n[[feeds]]\nurl = "file:///etc/passwd"\n'
        '[[feeds]]\nurl = "https://a.example.org/"\n[[feeds]]\nurl = "https://a.example.org/"\n',
    )
    assert result.exit_code == 1
    assert "problem: " in result.output
    assert "feeds #1 (file:///etc/passwd)" in result.output
    assert "feed https://a.example.org/ is listed twice" in result.output
    assert "email.enabled is true but email.recipients is empty" in result.output


def test_config_check_bad_value_exits_1_with_file_and_line(tmp_path: Path) -> None:
    result = _check(tmp_path, "[web]\nport = 99999\n")
    assert result.exit_code == 1
    assert f"{tmp_path / 'monitor.toml'}:2: web.port" in result.output
