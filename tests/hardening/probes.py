"""The review's classes of hostile input, generated from the served OpenAPI document: one probe per
(operation, path segment | header | query parameter | body field, payload)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# NUL, other C0 controls, DEL, and a NUL inside an otherwise plausible value.
PAYLOADS = ("\x00", "12\x00", "\x01", "\x1b[2J", "\x7f", "\x08\x0b\x0c")
# Header values: a raw CR/LF cannot be sent (the HTTP layer refuses it), every other control can.
HEADER_PAYLOADS = PAYLOADS

SAMPLE_PATH_VALUES = {"annrev": "2025", "departement": "75", "bareme": "2025"}
HEADERS_ALWAYS = ("X-Correlation-ID", "Accept", "Content-Type", "User-Agent")


@dataclass
class Probe:
    kind: str  # "path", "header", "query", "body"
    method: str
    path: str  # already percent-encoded
    where: str
    payload: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def describe(self) -> str:
        return f"{self.kind} {self.method} {self.path} [{self.where}] {self.payload!r}"


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in schema:  # Optional[Model]: the model
        for option in schema["anyOf"]:
            if option.get("type") != "null":
                return _resolve(option, schemas)
    return schema


def leaf_paths(
    schema: dict[str, Any], schemas: dict[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every string-valued member of a request body schema, as a path of member names."""
    schema = _resolve(schema, schemas)
    properties = schema.get("properties")
    if not properties:
        if prefix:
            yield prefix
        return
    for name, member in properties.items():
        yield from leaf_paths(member, schemas, (*prefix, name))


def _set(document: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    out = copy.deepcopy(document)
    node = out
    for name in path[:-1]:
        if not isinstance(node.get(name), dict):
            node[name] = {}
        node = node[name]
    node[path[-1]] = value
    return out


def probes(
    document: dict[str, Any],
    *,
    spi: str,
    sample_bodies: dict[str, dict[str, Any]],
    body_schemas: dict[str, dict[str, Any]] | None = None,
    prefixes: tuple[str, ...],
) -> Iterator[Probe]:
    """``body_schemas``: per path template, the JSON schema (with its ``$defs``) of a body the route
    reads without declaring it in the OpenAPI document."""
    schemas = document.get("components", {}).get("schemas", {})
    for template, operations in document["paths"].items():
        if not template.startswith(prefixes):
            continue
        for method, operation in operations.items():
            method = method.upper()
            params = operation.get("parameters", [])
            values = {
                p["name"]: (spi if p["name"] == "spi" else SAMPLE_PATH_VALUES.get(p["name"], "x"))
                for p in params
                if p["in"] == "path"
            }
            segments = template.strip("/").split("/")

            def build(replace: dict[int, str], segments: list[str] = segments, values: dict[str, str] = values) -> str:
                out = []
                for i, segment in enumerate(segments):
                    if i in replace:
                        out.append(quote(replace[i], safe=""))
                    elif segment.startswith("{"):
                        out.append(quote(values[segment[1:-1]], safe=""))
                    else:
                        out.append(segment)
                return "/" + "/".join(out)

            sample = sample_bodies.get(template)
            base_body = json.dumps(sample).encode() if sample is not None else None
            base_headers = {"Content-Type": "application/json"} if base_body is not None else {}
            for i, segment in enumerate(segments):
                for payload in PAYLOADS:
                    yield Probe(
                        "path", method, build({i: payload}), segment, payload, dict(base_headers), body=base_body
                    )
            header_names = [p["name"] for p in params if p["in"] == "header"] + list(HEADERS_ALWAYS)
            for name in header_names:
                for payload in HEADER_PAYLOADS:
                    yield Probe(
                        "header", method, build({}), name, payload, {**base_headers, name: payload}, body=base_body
                    )
            query_names = [p["name"] for p in params if p["in"] == "query"] or ["inconnu"]
            for name in query_names:
                for payload in PAYLOADS:
                    yield Probe(
                        "query", method, build({}), name, payload, dict(base_headers), {name: payload}, base_body
                    )
            body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            definitions = schemas
            if body_schema is None and body_schemas and template in body_schemas:
                body_schema = body_schemas[template]
                definitions = body_schema.get("$defs", {})
            if body_schema is not None and sample is not None:
                for leaf in leaf_paths(body_schema, definitions):
                    for payload in PAYLOADS:
                        body = json.dumps(_set(sample, leaf, payload)).encode()
                        yield Probe("body", method, build({}), ".".join(leaf), payload, dict(base_headers), body=body)
