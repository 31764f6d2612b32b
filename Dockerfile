# The sandbox's Python processes (init, gateway replicas, FranceConnect, demo FS): one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
 && useradd --create-home --uid 10001 --user-group sandbox \
 && mkdir -p /app/var /app/certs \
 && chown sandbox:sandbox /app/var /app/certs

USER sandbox
# The data APIs (8443, mTLS), FranceConnect (8444), the demo FS (8446).
EXPOSE 8443 8444 8446
ENTRYPOINT ["dgfip-sandbox"]
CMD ["serve"]
