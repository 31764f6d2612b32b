"""What an API package hands the gateway: its routers, its scopes and the errors a scenario may inject.

The gateway imports no API. Each API package (``apis/impot_particulier/mount.py``, ``apis/ficoba/mount.py``)
describes itself as a ``MountedApi``; the composition root (``dgfip_sandbox.assembly``) passes them to
``create_gateway_app``, which mounts the routers behind its pipeline and answers the scenarios of
gateway/scenarios.py with the APIs' own error classes, so in each API's own envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import APIRouter

from dgfip_sandbox.errors import ApiError
from dgfip_sandbox.gateway.api_contract import ApiContract

# An error factory: called with the French detail (or None), it returns the ApiError to raise.
ErrorFactory = Callable[[str | None], ApiError]


@dataclass(frozen=True)
class MountedApi:
    """One business API as the gateway mounts it.

    ``injectable_errors``: the codes ``X-Sandbox-Scenario: error=<code>`` may inject (code → factory),
    from the API's own catalogue; ``franceconnect_unreachable``: the error the API answers when
    FranceConnect's checktoken cannot be reached (the ``fc-unreachable`` scenario answers the same);
    ``status_errors``: the HTTP-status codes (``"503"``, ``"408"``…) the API answers in its own envelope
    rather than the gateway's (on that API's routes, ``error=503`` is the API's 503);
    ``request_schemas``: the JSON schemas (each with its ``$defs``) of the request bodies the API reads
    without declaring them to FastAPI (the request journal keeps the values of their members);
    ``contract``: what the API says about itself in its OpenAPI document (gateway/openapi.py)."""

    name: str
    routers: Sequence[APIRouter]
    scopes: type[StrEnum]
    injectable_errors: Mapping[str, ErrorFactory] = field(default_factory=dict)
    franceconnect_unreachable: ErrorFactory | None = None
    status_errors: Mapping[str, ErrorFactory] = field(default_factory=dict)
    request_schemas: Sequence[dict[str, Any]] = ()
    contract: ApiContract | None = None
