"""An openapi-diff for DGFIP's contracts: what differs between a served and a published document.

Compared per operation (method + path relative to the server URL): presence and operationId; header,
path and query parameters (name, ``required``, JSON type); the request body (media types, the fields
of its schema with their JSON types); the responses (statuses, media types, and for 2xx the fields of
the schema with their types); the OAuth scopes. Whatever the served document marks ``x-sandbox`` is
additive by definition and left out. ``$ref`` are resolved; ``anyOf [X, null]`` counts as X; formats
(int32, int64, uuid…) and descriptions are not compared.

Each difference is one French sentence; identical sentences on several operations are grouped into
one line: ``<sentence> — <operationIds>`` ("toutes les opérations" when every operation has it).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
MAX_DEPTH = 30


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        name = node["$ref"].split("/")
        target: Any = document
        for part in name[1:]:
            target = target[part]
        node = target
    return node


def _type(document: dict[str, Any], schema: Any) -> str:
    schema = _resolve(document, schema)
    if not isinstance(schema, dict):
        return "?"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            types = sorted({_type(document, s) for s in schema[key]} - {"null"})
            return "|".join(types)
    kind = schema.get("type")
    if isinstance(kind, list):
        return "|".join(sorted(set(kind) - {"null"}))
    if kind is None and "properties" in schema:
        return "object"
    return str(kind) if kind else "any"


def fields(document: dict[str, Any], schema: Any, prefix: str = "", depth: int = 0) -> dict[str, str]:
    """Dotted field path → JSON type (``[]`` after an array's name)."""
    schema = _resolve(document, schema)
    out: dict[str, str] = {}
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return out
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            if _type(document, option) != "null":
                out.update(fields(document, option, prefix, depth + 1))
    if schema.get("type") == "array":
        return fields(document, schema.get("items", {}), prefix + "[]", depth + 1)
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        out[path] = _type(document, sub)
        out.update(fields(document, sub, path, depth + 1))
    return out


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document.get("paths", {}).items()
        for method, operation in item.items()
        if method in HTTP_METHODS and not operation.get("x-sandbox")
    }


def _parameters(document: dict[str, Any], operation: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {}
    for parameter in operation.get("parameters", []):
        parameter = _resolve(document, parameter)
        if parameter.get("x-sandbox") or parameter.get("in") == "cookie":
            continue
        name = parameter["name"].lower() if parameter["in"] == "header" else parameter["name"]
        out[(parameter["in"], name)] = parameter
    return out


def _scopes(operation: dict[str, Any]) -> set[str]:
    return {
        scope for requirement in operation.get("security", []) for scopes in requirement.values() for scope in scopes
    }


def _compare_fields(served: dict[str, str], published: dict[str, str], where: str) -> list[str]:
    out = []
    for path in sorted(set(published) - set(served)):
        out.append(f"{where} : champ publié absent `{path}`")
    for path in sorted(set(served) - set(published)):
        out.append(f"{where} : champ ajouté `{path}` ({served[path]})")
    for path in sorted(set(served) & set(published)):
        if served[path] != published[path]:
            out.append(f"{where} : `{path}` est {served[path]} (publié : {published[path]})")
    return out


def _operation_differences(
    served_doc: dict[str, Any], published_doc: dict[str, Any], served: dict[str, Any], published: dict[str, Any]
) -> list[str]:
    out: list[str] = []
    if served.get("operationId") != published.get("operationId"):
        out.append(f"operationId `{served.get('operationId')}` (publié : `{published.get('operationId')}`)")
    served_params, published_params = _parameters(served_doc, served), _parameters(published_doc, published)
    for key in sorted(set(published_params) - set(served_params)):
        out.append(f"paramètre publié absent : {key[0]} `{published_params[key]['name']}`")
    for key in sorted(set(served_params) - set(published_params)):
        p = served_params[key]
        out.append(f"paramètre ajouté : {key[0]} `{p['name']}`{' (requis)' if p.get('required') else ''}")
    for key in sorted(set(served_params) & set(published_params)):
        s, p = served_params[key], published_params[key]
        name = f"{key[0]} `{s['name']}`"
        if bool(s.get("required")) != bool(p.get("required")):
            out.append(
                f"paramètre {name} {'requis' if s.get('required') else 'facultatif'} (publié : "
                f"{'requis' if p.get('required') else 'facultatif'})"
            )
        served_type, published_type = _type(served_doc, s.get("schema", {})), _type(published_doc, p.get("schema", {}))
        if served_type != published_type:
            out.append(f"paramètre {name} de type {served_type} (publié : {published_type})")
    served_body = _resolve(served_doc, served.get("requestBody", {})).get("content", {})
    published_body = _resolve(published_doc, published.get("requestBody", {})).get("content", {})
    for media in sorted(set(served_body) ^ set(published_body)):
        out.append(f"corps de requête {'ajouté' if media in served_body else 'publié absent'} : {media}")
    for media in sorted(set(served_body) & set(published_body)):
        out += _compare_fields(
            fields(served_doc, served_body[media].get("schema", {})),
            fields(published_doc, published_body[media].get("schema", {})),
            "corps de requête",
        )
    served_responses, published_responses = served.get("responses", {}), published.get("responses", {})
    added = sorted(set(served_responses) - set(published_responses) - {"default"})
    if added:
        out.append(f"statuts ajoutés : {', '.join(added)}")
    removed = sorted(set(published_responses) - set(served_responses) - {"default"})
    if removed:
        out.append(f"statuts publiés absents : {', '.join(removed)}")
    for status in sorted(set(served_responses) & set(published_responses)):
        s_content = _resolve(served_doc, served_responses[status]).get("content", {})
        p_content = _resolve(published_doc, published_responses[status]).get("content", {})
        for media in sorted(set(s_content) - set(p_content)):
            kind = "corps ajouté" if not p_content else "type de média ajouté"
            out.append(f"réponse {status} : {kind} {media}")
        for media in sorted(set(p_content) - set(s_content)):
            out.append(f"réponse {status} : type de média publié absent {media}")
        if status.startswith("2"):
            for media in sorted(set(s_content) & set(p_content)):
                out += _compare_fields(
                    fields(served_doc, s_content[media].get("schema", {})),
                    fields(published_doc, p_content[media].get("schema", {})),
                    f"réponse {status}",
                )
    if _scopes(served) != _scopes(published):
        out.append(f"scopes {sorted(_scopes(served))} (publiés : {sorted(_scopes(published))})")
    return out


def differences(served_doc: dict[str, Any], published_doc: dict[str, Any]) -> list[str]:
    """The grouped lines, sorted."""
    served_ops, published_ops = _operations(served_doc), _operations(published_doc)
    grouped: dict[str, set[str]] = defaultdict(set)
    lines = []
    for key in sorted(set(published_ops) - set(served_ops)):
        lines.append(f"opération publiée absente : {key[0]} {key[1]}")
    for key in sorted(set(served_ops) - set(published_ops)):
        lines.append(f"opération ajoutée : {key[0]} {key[1]}")
    common = sorted(set(served_ops) & set(published_ops))
    for key in common:
        name = published_ops[key].get("operationId") or f"{key[0]} {key[1]}"
        for sentence in _operation_differences(served_doc, published_doc, served_ops[key], published_ops[key]):
            grouped[sentence].add(name)
    for sentence, names in grouped.items():
        where = "toutes les opérations" if len(names) == len(common) else ", ".join(sorted(names))
        lines.append(f"{sentence} — {where}")
    return sorted(lines)
