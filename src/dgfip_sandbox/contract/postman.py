"""A Postman collection (format v2.1) of the sandbox, from contract/collection.py's requests.

Postman keeps client certificates in its settings, not in a collection: the collection's description
says which files to declare (and ``newman run --ssl-client-cert … --ssl-client-key … --ssl-extra-ca-certs …``
does the same on the command line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dgfip_sandbox.contract.collection import (
    CollectionAccess,
    CollectionRequest,
    requests_of,
    setup_text,
    variables_of,
)

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
FILE_NAME = "dgfip-sandbox.postman_collection.json"
CORRELATION_SCRIPT = [
    "// Un X-Correlation-ID neuf (UUID) à chaque appel, comme l'APIM l'exige (910000 sinon).",
    "pm.request.headers.upsert({key: 'X-Correlation-ID', value: pm.variables.replaceIn('{{$guid}}')});",
]
TOKEN_SCRIPT = [
    "// Garde le jeton pour les autres requêtes (authentification Bearer de la collection).",
    "const body = pm.response.json();",
    "if (body.access_token) { pm.collectionVariables.set('access_token', body.access_token); }",
    "pm.test('jeton obtenu', () => pm.expect(body.access_token).to.be.a('string'));",
]


def _url(path: str) -> dict[str, Any]:
    return {"raw": "{{baseUrl}}" + path, "host": ["{{baseUrl}}"], "path": [p for p in path.split("/") if p]}


def _item(request: CollectionRequest) -> dict[str, Any]:
    item: dict[str, Any] = {
        "name": request.name,
        "request": {
            "method": request.method,
            "header": [{"key": k, "value": v} for k, v in request.headers],
            "url": _url(request.path),
            "description": request.description,
        },
    }
    if request.body is not None:
        item["request"]["body"] = {"mode": "raw", "raw": request.body, "options": {"raw": {"language": "json"}}}
    return item


def token_item() -> dict[str, Any]:
    return {
        "name": "Obtenir un jeton (client credentials)",
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": TOKEN_SCRIPT}}],
        "request": {
            "auth": {
                "type": "basic",
                "basic": [
                    {"key": "username", "value": "{{clientId}}", "type": "string"},
                    {"key": "password", "value": "{{clientSecret}}", "type": "string"},
                ],
            },
            "method": "POST",
            "header": [],
            "body": {
                "mode": "urlencoded",
                "urlencoded": [
                    {"key": "grant_type", "value": "client_credentials"},
                    {"key": "scope", "value": "{{scope}}"},
                ],
            },
            "url": _url("/token"),
            "description": "POST /token (OAuth2 client credentials, RFC 6749 §4.4) sur la connexion mTLS.",
        },
    }


def build(documents: dict[str, dict[str, Any]], urls: list[str], access: CollectionAccess) -> dict[str, Any]:
    requests = requests_of(documents, urls)
    folders: dict[str, list[dict[str, Any]]] = {}
    for request in requests:
        folders.setdefault(request.folder, []).append(_item(request))
    return {
        "info": {"name": "Bac à sable DGFiP", "description": setup_text(access, "Postman"), "schema": SCHEMA},
        "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{access_token}}", "type": "string"}]},
        "event": [{"listen": "prerequest", "script": {"type": "text/javascript", "exec": CORRELATION_SCRIPT}}],
        "variable": [{"key": k, "value": v} for k, v in variables_of(access, requests).items()],
        "item": [
            {"name": "APIM", "item": [token_item()]},
            *({"name": name, "item": items} for name, items in folders.items()),
        ],
    }


def write(documents: dict[str, dict[str, Any]], urls: list[str], access: CollectionAccess, output: Path) -> list[Path]:
    path = output / FILE_NAME
    path.write_text(json.dumps(build(documents, urls, access), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if access.client_secret:
        path.chmod(0o600)  # it holds a client secret
    return [path]
