"""Journal capture: what one request looked like, with secrets redacted and bodies truncated.

The audit middleware feeds a :class:`JournalCapture` while the request runs (request body chunks,
up to a bound), then turns it into one ``journal_entries`` row written in the audit record's
transaction. Capture is cheap: at most ``limit`` bytes of each body are kept.

What the caller sent is redacted after decoding, on a whitelist (:class:`JournalPolicy`): a value is
kept only when its name, once decoded (percent-decoding for forms and queries, JSON unescaping), is
one the served contract declares: the ``/token`` form's ``grant_type``, ``scope`` and ``client_id``,
the query parameters and request-body members of the served contract (OpenAPI document, and
the JSON schemas of the bodies FICOBA parses itself), the headers in
``KEPT_HEADERS`` (``Authorization`` keeps its scheme). Every other value is written ``***``, so a
secret field smuggled under an encoded name (``client%5Fsecret``, ``"client\\u005fsecret"``) is never kept.
What the gateway itself answers is redacted on the names it writes (``access_token`` and the other
``SECRET_FIELDS``): those bodies are the gateway's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

REDACTED = "***"

KEPT_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-encoding",
        "content-length",
        "content-type",
        "date",
        "host",
        "id_teleservice",
        "pragma",
        "ratelimit",
        "ratelimit-policy",
        "retry-after",
        "server",
        "transfer-encoding",
        "user-agent",
        "vary",
        "www-authenticate",
        "x-correlation-id",
        "x-sandbox-scenario",
    }
)
SCHEME_HEADERS = frozenset({"authorization", "proxy-authorization"})
# The /token form (RFC 6749 §4.4.2): what may be kept; client_secret and anything else is not.
TOKEN_FORM_FIELDS = frozenset({"grant_type", "scope", "client_id"})
# What the gateway answers that must not be kept (its own /token response, an error echoing a token).
SECRET_FIELDS = ("client_secret", "client_assertion", "access_token", "id_token", "refresh_token", "token", "code")

# The string value as an unrolled loop (no per-character alternation): linear on long tokens.
_JSON_SECRET = re.compile(r'("(?:' + "|".join(SECRET_FIELDS) + r')"\s*:\s*")([^"\\]*(?:\\.[^"\\]*)*)(")?')
# JSON tokens, tolerant of a truncated tail: strings (possibly unterminated), punctuation, scalars.
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)|[{}\[\]:,]|[^\s{}\[\]:,"]+')
HEADER_VALUE_MAX = 300


@dataclass(frozen=True)
class JournalPolicy:
    """The names whose values the journal may keep, from the served contract."""

    query: frozenset[str] = frozenset()
    body: frozenset[str] = field(default=TOKEN_FORM_FIELDS)

    @classmethod
    def from_contract(cls, document: dict[str, Any], request_schemas: Iterable[dict[str, Any]] = ()) -> JournalPolicy:
        """From the served OpenAPI document and the JSON schemas (each with its ``$defs``) of the
        request bodies an API reads without declaring them."""
        query: set[str] = set()
        body: set[str] = set(TOKEN_FORM_FIELDS)
        schemas = document.get("components", {}).get("schemas", {})
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict):
                    continue
                query.update(p["name"] for p in operation.get("parameters", []) if p.get("in") == "query")
                for media in operation.get("requestBody", {}).get("content", {}).values():
                    body.update(_property_names(media.get("schema", {}), schemas, set()))
        for schema in request_schemas:
            body.update(_property_names(schema, schema.get("$defs", {}), set()))
        # A secret stays redacted even where the contract names it (POST /token documents client_secret).
        secrets = set(SECRET_FIELDS)
        return cls(query=frozenset(query - secrets), body=frozenset(body - secrets))


def _property_names(schema: Any, schemas: dict[str, Any], seen: set[str]) -> Iterator[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                yield from _property_names(schemas.get(name, {}), schemas, seen)
        properties = schema.get("properties")
        if isinstance(properties, dict):
            yield from properties
        for value in schema.values():
            if isinstance(value, dict | list):
                yield from _property_names(value, schemas, seen)
    elif isinstance(schema, list):
        for item in schema:
            yield from _property_names(item, schemas, seen)


def redact_header(name: str, value: str) -> str:
    if name in SCHEME_HEADERS:
        scheme, _, rest = value.partition(" ")
        return f"{scheme} {REDACTED}" if rest else REDACTED
    if name not in KEPT_HEADERS:
        return REDACTED
    return value if len(value) <= HEADER_VALUE_MAX else value[:HEADER_VALUE_MAX] + "…"


def redact_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in raw:
        name = key.decode("latin-1").lower()
        text = redact_header(name, value.decode("latin-1"))
        headers[name] = f"{headers[name]}, {text}" if name in headers else text
    return headers


def redact_pairs(pairs: Iterable[tuple[str, str]], kept: frozenset[str]) -> str:
    """Decoded name/value pairs written back as a form: the value kept only for a ``kept`` name."""
    return "&".join(
        f"{quote(name, safe='')}={quote(value, safe=' ') if name in kept else REDACTED}" for name, value in pairs
    )


def redact_query(query: str, policy: JournalPolicy) -> str:
    if not query:
        return ""
    return redact_pairs(parse_qsl(query, keep_blank_values=True), policy.query)[:1000]


def _json_name(token: str) -> str:
    try:
        return str(json.loads(token if token.endswith('"') and len(token) > 1 else token + '"'))
    except ValueError:
        return ""


def redact_json(text: str, kept: frozenset[str]) -> str:
    """A (possibly truncated) JSON text with every string and scalar value replaced by ``***`` unless
    the member holding it (the innermost member, for array items) has a ``kept`` name once unescaped."""
    out: list[str] = []
    # Per open container: is it an object, and is its current value (or are its items) kept?
    stack: list[list[bool]] = []
    expecting_key = False
    key_kept = False
    position = 0
    for match in _JSON_TOKEN.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        lexeme = match.group()
        if lexeme in "{[":
            inherited = stack[-1][1] if stack else False
            value_kept = key_kept if stack and stack[-1][0] else inherited
            stack.append([lexeme == "{", value_kept])
            expecting_key = lexeme == "{"
            out.append(lexeme)
        elif lexeme in "}]":
            if stack:
                stack.pop()
            expecting_key = False
            out.append(lexeme)
        elif lexeme == ":":
            expecting_key = False
            out.append(lexeme)
        elif lexeme == ",":
            expecting_key = bool(stack and stack[-1][0])
            out.append(lexeme)
        elif expecting_key:
            key_kept = _json_name(lexeme) in kept
            out.append(lexeme)
        else:
            in_object = bool(stack and stack[-1][0])
            kept_here = key_kept if in_object else bool(stack and stack[-1][1])
            out.append(lexeme if kept_here else (f'"{REDACTED}"' if lexeme.startswith('"') else REDACTED))
    out.append(text[position:])
    return "".join(out)


def redact_request_body(text: str, content_type: str, policy: JournalPolicy) -> str:
    """What the caller sent: a form or JSON decoded and whitelisted; any other body is not kept."""
    if not text:
        return ""
    if content_type.startswith("application/x-www-form-urlencoded"):
        return redact_pairs(parse_qsl(text, keep_blank_values=True), policy.body)
    if "json" in content_type or text.lstrip()[:1] in ("{", "["):
        return redact_json(text, policy.body)
    return f"{REDACTED} [{content_type or 'sans Content-Type'}]"


def redact_response_body(text: str) -> str:
    return _JSON_SECRET.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3) or ''}", text)


def _cut(data: bytes, limit: int) -> str:
    return data[:limit].decode("utf-8", errors="replace")


def _truncation_note(total: int, limit: int) -> str:
    return f"… [{total - limit} octets tronqués]" if total > limit else ""


# The redacted text of the response bodies met lately: an answer served from a cache is the same bytes
# object at every call (its hash computed once), so its redaction is done once. Bounded: at most
# RESPONSES_SIZE bodies of at most RESPONSE_BYTES each (about 4 MiB), emptied when full.
RESPONSES_SIZE = 256
RESPONSE_BYTES = 16384
_responses: dict[tuple[bytes, int], str] = {}


def _redacted_response(body: bytes, limit: int) -> str:
    if len(body) > RESPONSE_BYTES:
        return redact_response_body(_cut(body, limit)) + _truncation_note(len(body), limit)
    key = (body, limit)
    text = _responses.get(key)
    if text is None:
        text = redact_response_body(_cut(body, limit)) + _truncation_note(len(body), limit)
        if len(_responses) >= RESPONSES_SIZE:
            _responses.clear()
        _responses[key] = text
    return text


class JournalCapture:
    """Collects the bounded request body while the app reads it."""

    __slots__ = ("limit", "policy", "_request", "_request_total")

    def __init__(self, limit: int, policy: JournalPolicy | None = None) -> None:
        self.limit = max(0, limit)
        self.policy = policy or JournalPolicy()
        self._request = bytearray()
        self._request_total = 0

    def add_request_body(self, chunk: bytes) -> None:
        self._request_total += len(chunk)
        room = self.limit - len(self._request)
        if room > 0 and chunk:
            self._request += chunk[:room]

    def row(
        self,
        scope: Mapping[str, Any],
        audit: Any,
        response_headers: list[tuple[bytes, bytes]],
        response_body: bytes,
        *,
        response_more: bool,
        duration_ms: int,
    ) -> dict[str, Any]:
        response_text = _redacted_response(response_body, self.limit)
        if response_more:
            response_text += " … [suite non capturée]"
        trace = list(audit.trace)
        return {
            "at": audit.at,
            "consumer_id": audit.consumer_id,
            "consumer_name": audit.consumer_name or "",
            "method": scope["method"][:10],
            "path": scope["path"][:500],
            "query": redact_query(scope.get("query_string", b"").decode("latin-1"), self.policy),
            "correlation_id": (audit.correlation_id or "")[:100] or None,
            "status": audit.status,
            "outcome": audit.outcome[:40],
            "duration_ms": duration_ms,
            "request_headers": redact_headers(list(scope.get("headers", []))),
            "request_body": redact_request_body(
                _cut(bytes(self._request), self.limit), _content_type(scope), self.policy
            )
            + _truncation_note(self._request_total, self.limit),
            "response_headers": redact_headers(response_headers),
            "response_body": response_text,
            "trace": trace,
            "extra": {k: v for k, v in audit.extra.items() if k in ("scenario", "scenario_ignored", "error")},
        }


def _content_type(scope: Mapping[str, Any]) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == b"content-type":
            return str(value.decode("latin-1")).lower()
    return ""
