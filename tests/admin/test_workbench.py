"""The portal workbench's forms and request building from an OpenAPI document (admin/workbench.py)."""

from __future__ import annotations

from typing import Any

import pytest

from dgfip_sandbox.admin.errors import InvalidAdminRequest
from dgfip_sandbox.admin.workbench import TryRequest, concrete_path, consumer_files, example_of, route_forms

DOCUMENT: dict[str, Any] = {
    "paths": {
        "/a/{spi}/annrev/{annrev}": {
            "get": {
                "tags": ["Impôt"],
                "summary": "Assiettes",
                "operationId": "assiettes",
                "parameters": [
                    {"in": "path", "name": "spi", "required": True, "schema": {"type": "string", "example": "1"}},
                    {"$ref": "#/components/parameters/annrev"},
                    {"in": "header", "name": "X-Correlation-ID", "required": True, "schema": {"type": "string"}},
                ],
            },
            "parameters": [],
        },
        "/b": {
            "post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}
        },
    },
    "components": {
        "parameters": {"annrev": {"in": "path", "name": "annrev", "required": True, "schema": {"default": 2024}}},
        "schemas": {
            "B": {
                "type": "object",
                "properties": {
                    "motif": {"enum": ["M1", "M2"]},
                    "siren": {"anyOf": [{"type": "null"}, {"type": "string", "examples": ["123456789"]}]},
                    "comptes": {"type": "array", "items": {"type": "integer"}},
                },
            }
        },
    },
}


def test_route_forms_group_by_tag_resolve_references_and_build_body_examples() -> None:
    groups = route_forms(DOCUMENT)
    assert [g["tag"] for g in groups] == ["Impôt", "Autres"]
    assiettes = groups[0]["routes"][0]
    assert (assiettes["method"], assiettes["path"], assiettes["operation_id"]) == (
        "GET",
        "/a/{spi}/annrev/{annrev}",
        "assiettes",
    )
    assert [(p["in"], p["name"], p["required"], p["example"]) for p in assiettes["parameters"]] == [
        ("path", "spi", True, "1"),
        ("path", "annrev", True, "2024"),
        ("header", "X-Correlation-ID", True, ""),
    ]
    assert assiettes["body"] is None
    body = groups[1]["routes"][0]["body"]
    assert body is not None and '"motif": "M1"' in body and '"siren": "123456789"' in body
    assert example_of(DOCUMENT, {"$ref": "#/components/schemas/B"})["comptes"] == [0]


def test_concrete_path_fills_and_escapes_parameters_and_refuses_what_the_document_lacks() -> None:
    request = TryRequest(
        consumer="c", method="get", path="/a/{spi}/annrev/{annrev}", path_params={"spi": "../x y", "annrev": "2024"}
    )
    assert concrete_path(DOCUMENT, request) == "/a/..%2Fx%20y/annrev/2024"
    with pytest.raises(InvalidAdminRequest, match="annrev"):
        concrete_path(DOCUMENT, request.model_copy(update={"path_params": {"spi": "1"}}))
    with pytest.raises(InvalidAdminRequest, match="route inconnue"):
        concrete_path(DOCUMENT, request.model_copy(update={"path": "https://example.org/"}))
    with pytest.raises(InvalidAdminRequest, match="route inconnue"):
        concrete_path(DOCUMENT, request.model_copy(update={"method": "DELETE"}))


def test_consumer_files_only_for_a_consumer_with_secret_and_certificate() -> None:
    credentials = {
        "gateway": {"ca_cert": "certs/ca.pem", "token_url": "https://localhost/token"},
        "consumers": [
            {"name": "a", "client_id": "id-a", "client_secret": "s", "cert": "a.pem", "key": "a.key"},
            {"name": "b", "client_id": "id-b", "client_secret": None, "cert": "b.pem", "key": "b.key"},
        ],
    }
    files = consumer_files(credentials, "a")
    assert files is not None and (files.cert, files.key, files.ca_cert) == ("a.pem", "a.key", "certs/ca.pem")
    assert consumer_files(credentials, "b") is None and consumer_files(credentials, "z") is None
