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

# An error factory: called with the French detail (or None), it returns the ApiError to raise.
ErrorFactory = Callable[[str | None], ApiError]


@dataclass(frozen=True)
class MountedApi:
    """One business API as the gateway mounts it.

    ``injectable_errors``: the codes ``X-Sandbox-Scenario: error=<code>`` may inject (code → factory),
    from the API's own catalogue; ``franceconnect_unreachable``: the error the API answers when
    FranceConnect's checktoken cannot be reached (the ``fc-unreachable`` scenario answers the same);
    ``request_schemas``: the JSON schemas (each with its ``$defs``) of the request bodies the API reads
    without declaring them to FastAPI (the request journal keeps the values of their members)."""

    name: str
    routers: Sequence[APIRouter]
    scopes: type[StrEnum]
    injectable_errors: Mapping[str, ErrorFactory] = field(default_factory=dict)
    franceconnect_unreachable: ErrorFactory | None = None
    request_schemas: Sequence[dict[str, Any]] = ()
