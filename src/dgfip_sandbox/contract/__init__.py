"""The served OpenAPI documents, shipped as files: ``gateway.openapi.json`` (the whole gateway),
``impot-particulier.openapi.json`` and ``ficoba.openapi.json``.

They are what the gateway serves at ``/openapi.json``, ``/impotparticulier/1.0/openapi.json`` and
``/fcb-masrestit/api/v2/openapi.json`` (built by ``gateway/openapi.py`` from the routes); written by
``dgfip-sandbox export openapi`` and checked against the built documents by tests/contract/.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

COMBINED_FILE = "gateway.openapi.json"


def shipped_document(file_name: str) -> dict[str, Any]:
    """One shipped document, read from the installed package."""
    document: dict[str, Any] = json.loads(resources.files(__name__).joinpath(file_name).read_text(encoding="utf-8"))
    return document


def render(document: dict[str, Any]) -> str:
    """The canonical text of a document (what the files hold)."""
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
