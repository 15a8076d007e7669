"""docker-compose.yml and the Dockerfile, checked as text (Docker does not run here, PyYAML is absent).

These are the promises docs/deployment.md makes: ports bound to 127.0.0.1 only, no secret written in the
file, PostgreSQL with a health check, a one-shot migration the service and web app wait for.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")


def _service_block(name: str) -> str:
    match = re.search(rf"^  {name}:\n((?:    .*\n|\n)+)", COMPOSE, re.M)
    assert match, f"service {name} missing"
    return match.group(1)


def test_compose_is_plain_spaces_and_has_the_four_services() -> None:
    assert "\t" not in COMPOSE
    for name in ("db", "migrate", "service", "web"):
        _service_block(name)


def test_every_published_port_is_bound_to_localhost() -> None:
    ports = re.findall(r'^\s+- "([^"]+)"\s*$', COMPOSE, re.M)
    published = [p for p in ports if re.fullmatch(r"[\d.]*:?\d+:\d+", p)]
    assert published, "no ports found"
    assert all(p.startswith("127.0.0.1:") for p in published), published


def test_no_secret_is_written_in_the_file() -> None:
    for line in COMPOSE.splitlines():
        if re.search(r"(PASSWORD|SECRET|WEBHOOK|DATABASE_URL)\s*[:=]", line):
            assert "${" in line, f"a secret written inline: {line.strip()}"
    assert "env_file: .env" in COMPOSE


def test_database_health_and_migration_order() -> None:
    db = _service_block("db")
    assert "image: postgres:16" in db and "pg_isready" in db
    migrate = _service_block("migrate")
    assert '["monitor", "db", "upgrade"]' in migrate and 'restart: "no"' in migrate
    for name in ("service", "web"):
        block = _service_block(name)
        assert "condition: service_completed_successfully" in block
        assert "condition: service_healthy" in block
    assert '["monitor", "run"]' in _service_block("service")


def test_dockerfile_installs_in_place_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install -e ." in dockerfile  # alembic/ and config/ are found next to the package
    assert re.search(r"^USER monitor$", dockerfile, re.M)
    for path in ("alembic", "config", "classifiers", "monitor", "alembic.ini"):
        assert path in dockerfile
