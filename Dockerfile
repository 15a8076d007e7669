# The monitor's image: one image for the migration step, the service (`monitor run`) and the web app.
# Built from the project directory: `docker compose build` (see docs/deployment.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_DATA_DIR=/data

RUN useradd --create-home --uid 10001 monitor \
    && mkdir -p /data && chown monitor:monitor /data

WORKDIR /app
# Sources before install: the package finds alembic/, config/ and classifiers/model/ next to itself, so it
# is installed in place (editable) rather than copied into site-packages.
COPY pyproject.toml README.md alembic.ini ./
COPY alembic ./alembic
COPY config ./config
COPY classifiers ./classifiers
COPY monitor ./monitor
RUN pip install -e . && chown -R root:root /app

USER monitor
VOLUME ["/data"]
# Exec form: `monitor` is PID 1's child under `init: true` and gets SIGTERM directly for a clean stop.
CMD ["monitor", "run"]
