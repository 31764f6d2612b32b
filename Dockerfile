# The sandbox's Python processes (init, gateway replicas, FranceConnect, demo FS): one image, two stages.
#
# build:   the wheel of this checkout (the released package), installed with its dependencies into
#          /opt/venv (every dependency ships a binary wheel: no compiler needed, none installed).
# runtime: python:3.11-slim with /opt/venv only — no source tree, no build tools — run as the
#          unprivileged user "sandbox" (uid 10001; docker-compose.yml runs it as your uid instead).
#
# tests/scale/test_compose_services.py builds the same contents natively (the wheel into a fresh venv,
# run by a non-root user) and runs each compose service's command line against PostgreSQL, Redis, nginx.

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m pip wheel --no-deps --wheel-dir /dist . \
 && python -m venv /opt/venv \
 && /opt/venv/bin/pip install /dist/*.whl

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/venv/bin:$PATH \
    DGFIP_SANDBOX_VAR_DIR=/app/var DGFIP_SANDBOX_CERTS_DIR=/app/certs
COPY --from=build /opt/venv /opt/venv
RUN useradd --uid 10001 --user-group --home-dir /app --no-create-home --shell /usr/sbin/nologin sandbox \
 && mkdir -p /app/var /app/certs \
 && chown -R sandbox:sandbox /app \
 && chmod 0700 /app/var /app/certs
WORKDIR /app
USER sandbox
# The gateway (8443, mTLS), FranceConnect (8444), the admin API and portal (8445), the demo FS (8446).
EXPOSE 8443 8444 8445 8446
ENTRYPOINT ["dgfip-sandbox"]
CMD ["serve"]
