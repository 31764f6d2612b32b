"""Check 4: ``X-Correlation-ID`` is present and is a UUID (the published pattern) → else 910000."""

from __future__ import annotations

import re

from starlette.requests import Request

from dgfip_sandbox.errors import CorrelationIdMissing

UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII)


def check_correlation_id(request: Request) -> str:
    value = request.headers.get("x-correlation-id")
    if not value:
        raise CorrelationIdMissing()
    if not UUID_PATTERN.fullmatch(value):
        raise CorrelationIdMissing(f"la valeur fournie n'est pas un UUID ({value[:60]!r})")
    return value
