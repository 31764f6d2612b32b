"""Journal capture: what one request looked like, with secrets redacted and bodies truncated.

The audit middleware feeds a :class:`JournalCapture` while the request runs (request body chunks,
up to a bound), then turns it into one ``journal_entries`` row written in the audit record's
transaction. Capture is cheap: at most ``limit`` bytes of each body are kept, nothing is parsed.

Redacted: the ``Authorization`` value (scheme kept), ``X-FranceConnect-OAuth``, cookies, and in
bodies the values of ``client_secret``, ``client_assertion``, ``access_token``, ``id_token``,
``refresh_token``, ``token`` and ``code`` (JSON members and form fields alike).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

REDACTED = "***"

SECRET_HEADERS = frozenset({"x-franceconnect-oauth", "cookie", "set-cookie", "proxy-authorization"})
SCHEME_HEADERS = frozenset({"authorization"})
SECRET_FIELDS = ("client_secret", "client_assertion", "access_token", "id_token", "refresh_token", "token", "code")
# Query-string parameters worth hiding (an FC authorization code, a token passed by mistake).
SECRET_QUERY = frozenset(SECRET_FIELDS)

# The string value as an unrolled loop (no per-character alternation): linear on long tokens.
_JSON_SECRET = re.compile(r'("(?:%s)"\s*:\s*")([^"\\]*(?:\\.[^"\\]*)*)(")?' % "|".join(SECRET_FIELDS))
_FORM_SECRET = re.compile(r"((?:^|&)(?:%s)=)([^&]*)" % "|".join(SECRET_FIELDS))
HEADER_VALUE_MAX = 300


def redact_header(name: str, value: str) -> str:
    if name in SECRET_HEADERS:
        return REDACTED
    if name in SCHEME_HEADERS:
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {REDACTED}" if rest else REDACTED
    return value if len(value) <= HEADER_VALUE_MAX else value[:HEADER_VALUE_MAX] + "…"


def redact_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = redact_header(name, value.decode("latin-1"))
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


def redact_body(text: str) -> str:
    text = _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3) or ''}", text)
    return _FORM_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


def redact_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(k in SECRET_QUERY for k, _ in pairs):
        return query[:1000]
    return urlencode([(k, REDACTED if k in SECRET_QUERY else v) for k, v in pairs])[:1000]


def _text(data: bytes, limit: int, total: int) -> str:
    """The kept bytes as text, secrets redacted, with a note of how much was cut."""
    text = redact_body(data[:limit].decode("utf-8", errors="replace"))
    if total > limit:
        text += f"… [{total - limit} octets tronqués]"
    return text


class JournalCapture:
    """Collects the bounded request body while the app reads it."""

    __slots__ = ("limit", "_request", "_request_total")

    def __init__(self, limit: int) -> None:
        self.limit = max(0, limit)
        self._request = bytearray()
        self._request_total = 0

    def add_request_body(self, chunk: bytes) -> None:
        self._request_total += len(chunk)
        room = self.limit - len(self._request)
        if room > 0 and chunk:
            self._request += chunk[:room]

    def row(
        self,
        scope: dict[str, Any],
        audit: Any,
        response_headers: list[tuple[bytes, bytes]],
        response_body: bytes,
        *,
        response_more: bool,
        duration_ms: int,
    ) -> dict[str, Any]:
        response_text = _text(response_body, self.limit, len(response_body))
        if response_more:
            response_text += " … [suite non capturée]"
        trace = list(audit.trace)
        return {
            "at": audit.at,
            "consumer_id": audit.consumer_id,
            "consumer_name": audit.consumer_name or "",
            "method": scope["method"][:10],
            "path": scope["path"][:500],
            "query": redact_query(scope.get("query_string", b"").decode("latin-1")),
            "correlation_id": (audit.correlation_id or "")[:100] or None,
            "status": audit.status,
            "outcome": audit.outcome[:40],
            "duration_ms": duration_ms,
            "request_headers": redact_headers(list(scope.get("headers", []))),
            "request_body": _text(bytes(self._request), self.limit, self._request_total),
            "response_headers": redact_headers(response_headers),
            "response_body": response_text,
            "trace": trace,
            "extra": {k: v for k, v in audit.extra.items() if k in ("scenario", "scenario_ignored", "error")},
        }
