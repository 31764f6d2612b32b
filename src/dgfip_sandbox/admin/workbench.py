"""The portal's workbench: a form per gateway route (from its served OpenAPI document) and the run of one
request, server-side, from the admin app through the gateway over mutual TLS with the consumer's certificate.

The page never receives more than ``var/credentials.json`` already gives the local user (the portal shows the
demo consumers' secrets from that file); the access token obtained for a run stays in the admin app, and the
answer carries the token step's status only. Only the routes of the gateway's document can be run, on the
gateway's own base URL (no other host, no other path).
"""

from __future__ import annotations

import json
import ssl
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from dgfip_sandbox.admin.errors import InvalidAdminRequest

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
# Request identifiers a route may declare (FICOBA requires X-Request-ID): a fresh UUID when the form leaves them empty.
FRESH_IDS = ("X-Correlation-ID", "X-Request-ID")
TOKEN_PATH = "/token"  # noqa: S105 - the token route's path, not a secret
ANSWER_LIMIT = 200_000  # characters of an answer body shown on the page
EXAMPLE_DEPTH = 6


@dataclass(frozen=True)
class ConsumerFiles:
    """What ``var/credentials.json`` holds for one demo consumer (paths as written there)."""

    name: str
    client_id: str
    client_secret: str
    cert: str
    key: str
    ca_cert: str
    token_url: str
    id_teleservice: str | None


def consumer_files(credentials: dict[str, Any], name: str) -> ConsumerFiles | None:
    gateway = credentials.get("gateway", {})
    for consumer in credentials.get("consumers", []):
        if consumer.get("name") == name and consumer.get("client_secret") and consumer.get("cert"):
            return ConsumerFiles(
                name=name,
                client_id=consumer["client_id"],
                client_secret=consumer["client_secret"],
                cert=consumer["cert"],
                key=consumer["key"],
                ca_cert=gateway.get("ca_cert", ""),
                token_url=gateway.get("token_url", ""),
                id_teleservice=consumer.get("id_teleservice"),
            )
    return None


# -------------------------------------------------------------------------------------------------
# Forms from the OpenAPI document


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = document
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}
    return schema


def example_of(document: dict[str, Any], schema: dict[str, Any], depth: int = 0) -> Any:
    """An example value for a JSON schema: its own example, else one built from its type."""
    schema = _resolve(document, schema)
    if "example" in schema:
        return schema["example"]
    if schema.get("examples"):
        return schema["examples"][0]
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            choices = [c for c in schema[key] if _resolve(document, c).get("type") != "null"] or schema[key]
            return example_of(document, choices[0], depth + 1)
    kind = schema.get("type")
    if depth > EXAMPLE_DEPTH:
        return None
    if kind == "object" or "properties" in schema:
        return {name: example_of(document, sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_of(document, schema.get("items", {}), depth + 1)]
    return {"integer": 0, "number": 0, "boolean": False, "string": ""}.get(str(kind))


def route_forms(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The gateway's routes grouped by tag, in the document's order, each with its parameters and body example."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            parameters = []
            for parameter in operation.get("parameters", []):
                parameter = _resolve(document, parameter)
                schema = parameter.get("schema", {})
                example = parameter.get("example", example_of(document, schema))
                parameters.append(
                    {
                        "in": parameter.get("in", "query"),
                        "name": parameter.get("name", ""),
                        "required": bool(parameter.get("required")),
                        "description": parameter.get("description", ""),
                        "example": "" if example in (None, "") else str(example),
                    }
                )
            body = None
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = json.dumps(
                    example_of(document, content["application/json"].get("schema", {})), ensure_ascii=False, indent=2
                )
            tag = (operation.get("tags") or ["Autres"])[0]
            groups.setdefault(tag, []).append(
                {
                    "id": f"{method}-{path}",
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "operation_id": operation.get("operationId", ""),
                    "parameters": parameters,
                    "body": body,
                    "form": "application/x-www-form-urlencoded" in content,
                }
            )
    return [{"tag": tag, "routes": routes} for tag, routes in groups.items()]


# -------------------------------------------------------------------------------------------------
# One run


class TryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    consumer: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=300, description="the route's template, as in the OpenAPI document")
    path_params: dict[str, str] = Field(default_factory=dict, max_length=20)
    query: dict[str, str] = Field(default_factory=dict, max_length=50)
    headers: dict[str, str] = Field(default_factory=dict, max_length=50)
    body: str | None = Field(default=None, max_length=100_000)


def _operation(document: dict[str, Any], request: TryRequest) -> dict[str, Any]:
    operation = document.get("paths", {}).get(request.path, {}).get(request.method.lower())
    if not isinstance(operation, dict):
        raise InvalidAdminRequest(f"route inconnue de la passerelle : {request.method[:10]} {request.path[:100]}")
    return operation


def concrete_path(document: dict[str, Any], request: TryRequest) -> str:
    """The route's path with its parameters filled in, for a route of the document only."""
    operation = _operation(document, request)
    path = request.path
    for parameter in operation.get("parameters", []):
        parameter = _resolve(document, parameter)
        if parameter.get("in") != "path":
            continue
        name = parameter.get("name", "")
        value = request.path_params.get(name, "")
        if not value:
            raise InvalidAdminRequest(f"paramètre de chemin « {name} » manquant")
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def _local(path: str) -> str:
    candidate = Path(path)
    return str(candidate if candidate.is_absolute() else Path.cwd() / candidate)


def _answer_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:ANSWER_LIMIT]


async def run(gateway_url: str, document: dict[str, Any], files: ConsumerFiles, request: TryRequest) -> dict[str, Any]:
    """Obtains a token (client credentials over mutual TLS) then sends the request; returns both steps' answers."""
    path = concrete_path(document, request)
    declared = {
        _resolve(document, p).get("name", "").lower() for p in _operation(document, request).get("parameters", [])
    }
    headers = {k: v for k, v in request.headers.items() if v}
    for name in FRESH_IDS:
        if name.lower() in declared and not any(k.lower() == name.lower() for k in headers):
            headers[name] = str(uuid.uuid4())
    correlation_id = next((v for k, v in headers.items() if k.lower() == "x-correlation-id"), None)
    if files.id_teleservice and not any(k.lower() == "id_teleservice" for k in headers):
        headers["ID_Teleservice"] = files.id_teleservice
    try:
        context = ssl.create_default_context(cafile=_local(files.ca_cert))
        context.load_cert_chain(_local(files.cert), _local(files.key))
    except (OSError, ssl.SSLError) as exc:
        raise InvalidAdminRequest(f"certificat du partenaire illisible : {exc.__class__.__name__}") from None
    token_step: dict[str, Any] | None = None
    async with httpx.AsyncClient(base_url=gateway_url, verify=context, timeout=30.0) as client:
        try:
            if path == TOKEN_PATH:
                # the token route itself: its client-credentials request, with the consumer's credentials
                response = await _token(client, files)
                return _answer(request, path, headers, None, response, correlation_id)
            answer = await _token(client, files)
            token_step = {"status": answer.status_code}
            if answer.status_code == 200:
                headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
            else:
                token_step["body"] = _answer_body(answer)
            content = request.body.encode() if request.body else None
            if content is not None and not any(k.lower() == "content-type" for k in headers):
                headers["Content-Type"] = "application/json"
            response = await client.request(
                request.method.upper(), path, params=request.query or None, headers=headers, content=content
            )
        except httpx.HTTPError as exc:
            raise InvalidAdminRequest(f"passerelle injoignable : {exc.__class__.__name__}") from None
    return _answer(request, path, headers, token_step, response, correlation_id)


async def _token(client: httpx.AsyncClient, files: ConsumerFiles) -> httpx.Response:
    return await client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials"}, auth=(files.client_id, files.client_secret)
    )


def _answer(
    request: TryRequest,
    path: str,
    headers: dict[str, str],
    token_step: dict[str, Any] | None,
    response: httpx.Response,
    correlation_id: str | None,
) -> dict[str, Any]:
    """What the page gets: never the access token (masked in the request's headers and in /token's answer)."""
    shown = {k: ("Bearer …" if k.lower() == "authorization" else v) for k, v in headers.items()}
    body = _answer_body(response)
    if isinstance(body, dict) and "access_token" in body:
        body = {**body, "access_token": "… (gardé par l'application d'administration)"}
    return {
        "token": token_step,
        "request": {"method": request.method.upper(), "path": path, "query": request.query, "headers": shown},
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": body,
        "correlation_id": correlation_id,
    }
