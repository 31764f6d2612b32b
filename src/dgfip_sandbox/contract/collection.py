"""A click-through collection of the sandbox, built from the served OpenAPI documents.

``requests_of`` walks each API's document into ``CollectionRequest``s (one per operation, the path values
and bodies from the documents' examples); postman.py and bruno.py write them in their tool's format,
with the token request (client credentials over mutual TLS) first and a fresh ``X-Correlation-ID`` on
every call. ``collection_access`` reads the consumer's certificate, client id and (on request) secret
from var/credentials.json, as ``dgfip-sandbox up`` wrote it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dgfip_sandbox.settings import Settings

# Headers a collection sets itself: the token (auth), the correlation id (a script), the scenario (none).
HANDLED_HEADERS = frozenset({"authorization", "x-correlation-id", "x-sandbox-scenario"})
# Variables for the headers an API requires, and their initial values when the access file has none.
HEADER_VARIABLES = {
    "ID_Teleservice": "idTeleservice",
    "X-FranceConnect-OAuth": "franceconnectToken",
    "X-Request-ID": "requestId",
}
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class CollectionAccess:
    """Who the collection calls as: the gateway, the CA to trust, the consumer's certificate and client."""

    consumer: str
    base_url: str
    ca_cert: str
    cert: str
    key: str
    client_id: str
    client_secret: str  # "" unless asked for (--with-secret): the person types it in the tool
    scope: str  # the consumer's OAuth scopes, space-separated (always sent, as DGFiP's clients do)
    id_teleservice: str


@dataclass(frozen=True)
class CollectionRequest:
    folder: str
    name: str
    method: str
    path: str  # with {{variable}} placeholders
    headers: tuple[tuple[str, str], ...]
    body: str | None
    description: str
    variables: dict[str, str] = field(default_factory=dict)  # path variables and their example values


def _absolute(path: str) -> str:
    """credentials.json holds paths relative to the directory ``up`` ran in (bootstrap._rel), like this one."""
    return str(Path(path).resolve())


def collection_access(settings: Settings, consumer: str, *, with_secret: bool) -> CollectionAccess | None:
    """The consumer's access from var/credentials.json (None when the sandbox was not prepared)."""
    try:
        credentials = json.loads(settings.credentials_path.read_text())
    except (OSError, ValueError):
        return None
    entry = next((c for c in credentials.get("consumers", []) if c.get("name") == consumer), None)
    if entry is None:
        return None
    gateway = credentials.get("gateway", {})
    return CollectionAccess(
        consumer=consumer,
        base_url=str(gateway.get("base_url", settings.gateway_base_url)).rstrip("/"),
        ca_cert=_absolute(gateway["ca_cert"]) if gateway.get("ca_cert") else "",
        cert=_absolute(entry["cert"]),
        key=_absolute(entry["key"]),
        client_id=entry["client_id"],
        client_secret=entry["client_secret"] if with_secret else "",
        scope=" ".join(entry.get("oauth_scopes", [])),
        id_teleservice=entry.get("id_teleservice") or "",
    )


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].split("/")[1:]:
            target = target[part]
        node = target
    return node


def _example(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    examples = parameter.get("examples") or schema.get("examples") or []
    if isinstance(examples, dict):  # OpenAPI's map of named examples
        examples = [e.get("value") for e in examples.values()]
    return str(examples[0]) if examples else ""


def _body(document: dict[str, Any], operation: dict[str, Any]) -> str | None:
    content = _resolve(document, operation.get("requestBody", {})).get("content", {})
    media = content.get("application/json")
    if media is None:
        return None
    schema = _resolve(document, media.get("schema", {}))
    examples = schema.get("examples") or []
    return json.dumps(examples[0] if examples else {}, ensure_ascii=False, indent=2)


def requests_of(documents: dict[str, dict[str, Any]], urls: list[str]) -> list[CollectionRequest]:
    """Every operation of the documents at ``urls`` (URL → document), in document order."""
    out: list[CollectionRequest] = []
    for url in urls:
        document = documents[url]
        prefix = document["servers"][0]["url"].rstrip("/")
        folder = document["info"]["title"]
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                parameters = [_resolve(document, p) for p in operation.get("parameters", [])]
                variables = {p["name"]: _example(p) for p in parameters if p["in"] == "path"}
                headers = []
                for p in parameters:
                    if p["in"] != "header" or p["name"].lower() in HANDLED_HEADERS or not p.get("required"):
                        continue
                    headers.append((p["name"], "{{" + HEADER_VARIABLES.get(p["name"], p["name"]) + "}}"))
                success = operation.get("responses", {}).get("200", {}).get("content", {})
                accept = next(iter(success), None)
                if accept:
                    headers.append(("Accept", accept))
                body = _body(document, operation)
                if body is not None:
                    headers.append(("Content-Type", "application/json"))
                summary = operation.get("summary") or operation.get("operationId", "")
                out.append(
                    CollectionRequest(
                        folder=folder,
                        name=f"{operation.get('operationId')} — {summary}"
                        if summary != operation.get("operationId")
                        else summary,
                        method=method.upper(),
                        path=prefix + _PLACEHOLDER.sub(r"{{\1}}", path),
                        headers=tuple(headers),
                        body=body,
                        description=operation.get("description") or summary,
                        variables=variables,
                    )
                )
    return out


def variables_of(access: CollectionAccess, requests: list[CollectionRequest]) -> dict[str, str]:
    """The collection's variables: the access, then every path variable with its example value."""
    variables = {
        "baseUrl": access.base_url,
        "clientId": access.client_id,
        "clientSecret": access.client_secret,
        "scope": access.scope,
        "idTeleservice": access.id_teleservice,
        "franceconnectToken": "",
        "requestId": "collection",
        "access_token": "",
    }
    for request in requests:
        for name, value in request.variables.items():
            variables.setdefault(name, value)
    return variables


def setup_text(access: CollectionAccess, tool: str) -> str:
    """What the person does once (French, as everything the sandbox says to its users)."""
    secret = (
        "Le client_secret est déjà renseigné (--with-secret)."
        if access.client_secret
        else "Renseignez la variable clientSecret (var/credentials.json, partenaire « " + access.consumer + " »)."
    )
    return (
        f"Bac à sable DGFiP — partenaire « {access.consumer} ».\n\n"
        f"1. Certificat client (mTLS) pour {access.base_url} : {tool} → certificats client, "
        f"certificat {access.cert}, clé {access.key} ; autorité de certification : {access.ca_cert}.\n"
        f"2. {secret}\n"
        "3. Lancez d'abord « Obtenir un jeton » (POST /token, client credentials, scope explicite) : le jeton "
        "est gardé dans la variable access_token et envoyé par toutes les autres requêtes ; chacune porte un "
        "X-Correlation-ID neuf.\n"
        "4. Routes FranceConnect : mettez un jeton FranceConnect dans franceconnectToken.\n"
        "Les routes FICOBA demandent un partenaire FICOBA (--consumer ficoba-administration)."
    )
