"""The contract as data: one OpenAPI 3.1 document per API, and the gateway's combined document.

Built from the routes themselves (FastAPI's generator over the same pydantic models the handlers use),
then completed with what the APIM pipeline (``pipeline.STEPS``, run for every ``protected`` route) adds
to every route it guards:

- the security: mutual TLS **and** an OAuth2 client-credentials token carrying the route's scope
  (``Policy.scope`` of its ``protected`` endpoint), as DGFIP's swaggers publish them (scheme
  ``Authorization``);
- the headers the pipeline reads: ``Authorization`` and ``X-Correlation-ID`` (required);
- the APIM refusals in DGFIP's envelope (401 900901/900902, 403 900910/900805, 400 910000, 429 900804);
- what the sandbox adds, marked ``x-sandbox: true``: ``X-Sandbox-Scenario``, the RateLimit headers,
  the ``/sandbox/*`` routes.

FastAPI's 422 is removed: every validation failure is answered in the API's own envelope (400).
Each business API describes itself with an ``ApiContract`` (gateway/api_contract.py: its prefix, title,
OAuth scopes, the pydantic models of the request bodies its handlers read themselves and of its
responses), carried by its ``MountedApi``; the composition root hands those to the gateway, which
imports no API. A per-API document has the published layout: server
URL = the API's prefix, paths relative to it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute

from dgfip_sandbox.errors import ReponseErreurApim
from dgfip_sandbox.gateway.api_contract import REF_PREFIX, ApiContract, schema_ref
from dgfip_sandbox.gateway.pipeline import Policy

OPENAPI_VERSION = "3.1.0"
COMBINED_URL = "/openapi.json"
SANDBOX = "x-sandbox"
OAUTH_SCHEME = "Authorization"  # the published name of the OAuth2 scheme
MTLS_SCHEME = "mTLS"
TOKEN_URL = "/token"  # noqa: S105 -- a URL path, not a password
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _header(name: str, description: str, *, required: bool, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


APIM_PARAMETERS = [
    _header(
        "Authorization",
        'Jeton d\'authentification. Header Authorization standard, utilisant un schéma Bearer. Exemple: "Bearer {token}"',
        required=True,
    ),
    _header(
        "X-Correlation-ID",
        "Identifiant de corrélation de la requête (format UUID)",
        required=True,
        schema={"type": "string", "format": "uuid", "pattern": UUID_PATTERN},
    ),
]
SCENARIO_PARAMETER = {
    **_header(
        "X-Sandbox-Scenario",
        "Bac à sable : scénario simulé (latency=1500, error=503, quota, fc-unreachable, none) pour les "
        "partenaires ayant l'option « scenarios » (docs/scenarios.md). Ignoré sinon ; absent de la plateforme DGFiP.",
        required=False,
    ),
    SANDBOX: True,
}

# The APIM refusals every guarded route can answer (status → description), in the APIM envelope.
APIM_RESPONSES: dict[str, str] = {
    "400": "910000 : X-Correlation-ID absent ou mal formé",
    "401": "900901 : Invalid Credentials (jeton ou certificat client refusé) ; 900902 : Missing Credentials",
    "403": "900910 : le jeton ne porte pas le scope de la ressource ; 900805 : adresse IP non autorisée",
    "429": "900804 : Message throttled out (quota par minute dépassé)",
}


# The quota step's headers (quota.QuotaDecision; IETF draft-ietf-httpapi-ratelimit-headers), absent at DGFiP.
RATELIMIT_HEADERS = {
    "RateLimit-Policy": 'Bac à sable : la politique de quota, ex. "minute";q=200;w=60',
    "RateLimit": 'Bac à sable : appels restants et secondes avant la fenêtre suivante, ex. "minute";r=199;t=42',
}


def _ratelimit_headers() -> dict[str, Any]:
    return {
        name: {"description": description, "schema": {"type": "string"}, SANDBOX: True}
        for name, description in RATELIMIT_HEADERS.items()
    }


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """The app's APIRoutes, through included routers (FastAPI ≥ 0.13x keeps them as ``original_router``;
    the routers here are included without an extra prefix, so a route's path is its full path)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif (router := getattr(route, "original_router", None)) is not None:
            yield from _api_routes(router.routes)


def route_policies(app: FastAPI) -> dict[tuple[str, str], Policy]:
    """(path, method) → the pipeline policy guarding that route (``pipeline.GatewayRoute``)."""
    policies: dict[tuple[str, str], Policy] = {}
    for route in _api_routes(app.routes):
        policy = getattr(route, "policy", None)
        if route.include_in_schema and isinstance(policy, Policy):
            for method in route.methods or ():
                policies[(route.path_format, method.lower())] = policy
    return policies


def _merge_error(responses: dict[str, Any], status: str, description: str) -> None:
    """Add an APIM refusal to a status; when the API answers the same status, either envelope may come."""
    apim = schema_ref(ReponseErreurApim)
    existing = responses.get(status)
    if existing is None:
        responses[status] = {"description": description, "content": {"application/json": {"schema": apim}}}
        return
    existing["description"] = f"{existing['description']} ; {description}"
    content = existing.setdefault("content", {})
    media = content.setdefault("application/json", {})
    schema = media.get("schema")
    if schema is None or schema == apim:
        media["schema"] = apim
    else:
        media["schema"] = {"anyOf": [schema, apim]}


def _guard(operation: dict[str, Any], policy: Policy) -> None:
    operation["parameters"] = [*APIM_PARAMETERS, *operation.get("parameters", []), SCENARIO_PARAMETER]
    operation["security"] = [{MTLS_SCHEME: [], OAUTH_SCHEME: [policy.scope] if policy.scope else []}]
    responses = operation.setdefault("responses", {})
    for status, description in APIM_RESPONSES.items():
        _merge_error(responses, status, description)
    for status, response in responses.items():
        if status.startswith("2") or status == "429":
            response.setdefault("headers", {}).update(_ratelimit_headers())
    responses["429"]["headers"]["Retry-After"] = {
        "description": "Secondes avant la fenêtre suivante",
        "schema": {"type": "integer"},
    }


# POST /token reads its form itself (token_endpoint.py): what it takes and answers, for the document.
TOKEN_OPERATION: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "scope": {"type": "string", "description": "Scopes OAuth séparés par des espaces"},
                        "client_id": {
                            "type": "string",
                            "description": "Si l'authentification HTTP Basic n'est pas utilisée",
                        },
                        "client_secret": {"type": "string"},
                    },
                }
            }
        },
    },
    "responses": {
        "200": {
            "description": "Jeton d'accès (RFC 6749 §5.1)",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["access_token", "token_type", "expires_in", "scope"],
                        "properties": {
                            "access_token": {"type": "string"},
                            "token_type": {"type": "string", "enum": ["Bearer"]},
                            "expires_in": {"type": "integer"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        },
        "400": {"description": "invalid_request, unsupported_grant_type, invalid_scope (RFC 6749 §5.2)"},
        "401": {"description": "invalid_client (RFC 6749 §5.2) ; 900901 : certificat client refusé"},
        "403": {"description": "900805 : adresse IP non autorisée"},
    },
    "security": [{MTLS_SCHEME: []}],
}


def _request_body(model: type[BaseModel]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema_ref(model)}}}


def _model_schemas(models: Iterable[type[BaseModel]]) -> dict[str, Any]:
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=REF_PREFIX + "{model}")
    return dict(top.get("$defs", {}))


def build_combined(app: FastAPI, contracts: Iterable[ApiContract]) -> dict[str, Any]:
    """The gateway's whole surface: the APIs (full paths), /token, the JWKS, /health and /sandbox/*."""
    contracts = list(contracts)
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version=OPENAPI_VERSION,
        description=app.description,
        routes=app.routes,
        tags=None,
    )
    bodies = {op: model for c in contracts for op, model in c.request_bodies.items()}
    policies = route_policies(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            operation.get("responses", {}).pop("422", None)
            policy = policies.get((path, method))
            if policy is not None:
                _guard(operation, policy)
            if operation.get("operationId") in bodies:
                operation["requestBody"] = _request_body(bodies[operation["operationId"]])
            if path.startswith("/sandbox/"):
                operation[SANDBOX] = True
            if path == TOKEN_URL and method == "post":
                operation.update(copy.deepcopy(TOKEN_OPERATION))
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(_model_schemas([ReponseErreurApim, *bodies.values(), *(m for c in contracts for m in c.models)]))
    components["schemas"] = dict(sorted(schemas.items()))
    components["securitySchemes"] = _security_schemes({s: d for c in contracts for s, d in c.scopes.items()})
    document["servers"] = [{"url": "/", "description": "La passerelle du bac à sable (mTLS)"}]
    return document


def _security_schemes(scopes: Mapping[str, str]) -> dict[str, Any]:
    return {
        MTLS_SCHEME: {
            "type": "mutualTLS",
            "description": "Certificat client enregistré pour le partenaire (RGS), présenté à chaque appel",
        },
        OAUTH_SCHEME: {
            "type": "oauth2",
            "description": "OAuth 2.0 avec un grant type Client Credentials. Header Authorization standard, "
            'utilisant un schéma Bearer. Exemple: "Bearer {token}"',
            "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": dict(scopes)}},
        },
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reachable_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    seen: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return {name: schemas[name] for name in sorted(seen)}


def build_api_document(combined: dict[str, Any], contract: ApiContract) -> dict[str, Any]:
    """One API's document, laid out as DGFIP publishes it: server URL = prefix, paths relative to it."""
    paths = {
        path[len(contract.prefix) :]: copy.deepcopy(item)
        for path, item in combined["paths"].items()
        if path.startswith(contract.prefix + "/")
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": contract.title, "version": contract.version, "description": contract.description},
        "servers": [{"url": contract.prefix, "description": "La passerelle du bac à sable (mTLS)"}],
        "paths": paths,
        "components": {
            "schemas": _reachable_schemas(paths, combined["components"]["schemas"]),
            "securitySchemes": _security_schemes(contract.scopes),
        },
        "security": [{MTLS_SCHEME: [], OAUTH_SCHEME: []}],
    }


def build_documents(app: FastAPI, contracts: Iterable[ApiContract]) -> dict[str, dict[str, Any]]:
    """URL → document: the combined one at /openapi.json, each API's at <prefix>/openapi.json."""
    contracts = list(contracts)
    combined = build_combined(app, contracts)
    documents = {COMBINED_URL: combined}
    for contract in contracts:
        documents[contract.url] = build_api_document(combined, contract)
    return documents
