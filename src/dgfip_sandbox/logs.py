"""Logs (structlog), for structlog loggers and the standard library's (uvicorn, TLS, Alembic) alike.

Two renderings of the same events: structlog's console renderer where a person reads them (stdout and
stderr both terminals), JSON lines everywhere else (containers, CI, files), or as ``log_format`` says
(``--log-format console|json``, ``DGFIP_SANDBOX_LOG_FORMAT``).

The gateway binds the request's correlation id (``structlog.contextvars``), so every line logged
while serving a request carries it. Secrets and tokens are never logged: the access log
(``dgfip_sandbox.access_log``) has no query string and masks the SPI of the Impôt particulier routes.
Alembic's INFO chatter ("Context impl", "Running upgrade…") is kept out: only its warnings pass.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal

import structlog

LogFormat = Literal["auto", "console", "json"]

_configured: tuple[str, str] | None = None
# Loggers whose INFO lines say nothing to a user of the sandbox (uvicorn.error: "Started server process",
# "Waiting for application startup"…: the sandbox logs server_started itself), or would write URLs with
# their query strings (httpx's "HTTP Request: GET …?token=…" from the demo FS and the checktoken client).
TLS_FIELDS = ("peer", "reason")  # server.py's TLS logger gives them as ``extra``
QUIET_LOGGERS = ("alembic", "uvicorn.access", "uvicorn.error", "httpx", "httpcore")


def resolved_format(log_format: str = "auto") -> Literal["console", "json"]:
    """``auto``: the console renderer when stdout and stderr are both terminals, JSON otherwise."""
    if log_format == "console":
        return "console"
    if log_format == "json":
        return "json"
    return "console" if sys.stdout.isatty() and sys.stderr.isatty() else "json"


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    """Route every log line through structlog; idempotent for the same arguments."""
    global _configured
    rendering = resolved_format(log_format)
    if _configured == (level, rendering):
        return
    _configured = (level, rendering)
    numeric = getattr(logging, level.upper(), logging.INFO)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso" if rendering == "json" else "%H:%M:%S", utc=rendering == "json"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any
    if rendering == "json":
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
        final: list[Any] = [structlog.processors.format_exc_info, renderer]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), sort_keys=False)]
    formatter = structlog.stdlib.ProcessorFormatter(
        # The standard library's records (TLS, uvicorn) keep their sentence; the TLS logger's fields
        # (``extra``) are added as fields too. Only those: uvicorn's extras hold terminal colour codes.
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(allow=TLS_FIELDS)],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    quiet_noisy_loggers(numeric)


def quiet_noisy_loggers(level: int = logging.INFO) -> None:
    """Only warnings from :data:`QUIET_LOGGERS`."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
