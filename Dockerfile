# The ExApp image AppAPI deploys (docker-install in appinfo/info.xml).
# Build: docker build -t ghcr.io/governance-exapp/governance:1.0.0 .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 APP_HOST=0.0.0.0 APP_PORT=9035
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 governance
# WORKDIR is the repo root: nc_py_api's set_handlers serves js/ css/ img/ from it.
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY appinfo appinfo
COPY ex_app ex_app
COPY lib lib
COPY templates templates
COPY js js
COPY css css
COPY img img
COPY l10n l10n
RUN pybabel compile -d lib/locale -D messages
# APP_PERSISTENT_STORAGE (/nc_app_governance_data) is a volume AppAPI mounts; it must be writable.
RUN mkdir -p /nc_app_governance_data && chown governance /nc_app_governance_data
USER governance
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
    CMD curl -fsS "http://127.0.0.1:${APP_PORT}/heartbeat" || exit 1
CMD ["python", "-m", "ex_app.main"]
