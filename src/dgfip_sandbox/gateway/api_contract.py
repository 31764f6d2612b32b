"""What a business API says about itself in its OpenAPI document, beyond its routes (``ApiContract``),
and the helpers its routes use to declare documented responses (``response``, ``schema_ref``).

Each API package builds one ``ApiContract`` (``apis/*/contract.py``) and hands it to the gateway inside its
``MountedApi``; gateway/openapi.py builds the documents from the routes and these contracts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class ApiContract:
    """What a business API says about itself beyond its routes."""

    api: str  # the api of its routes (pipeline.protected)
    prefix: str  # "/impotparticulier/1.0": the server URL of its document
    title: str
    version: str
    description: str
    scopes: Mapping[str, str]  # OAuth scope → description
    request_bodies: Mapping[str, type[BaseModel]] = field(default_factory=dict)  # operationId → model
    models: Sequence[type[BaseModel]] = ()  # the models its responses refer to (schema_ref)
    file_name: str = ""  # the shipped document's file name (dgfip_sandbox/contract/)

    @property
    def url(self) -> str:
        return f"{self.prefix}/openapi.json"


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to a model's schema; the model must be listed in its API's ``ApiContract.models``."""
    return {"$ref": REF_PREFIX + model.__name__}


def response(description: str, model: type[BaseModel], *media_types: str) -> dict[str, Any]:
    """A documented response (FastAPI ``responses=`` entry) whose body is ``model`` under each media type."""
    return {"description": description, "content": {m: {"schema": schema_ref(model)} for m in media_types}}
