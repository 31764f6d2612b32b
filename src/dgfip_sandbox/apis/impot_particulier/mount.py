"""API Impôt particulier as the gateway mounts it (the composition root passes ``API`` to the gateway)."""

from __future__ import annotations

from dgfip_sandbox.apis.impot_particulier import errors, franceconnect_router, router
from dgfip_sandbox.apis.impot_particulier.contract import CONTRACT
from dgfip_sandbox.apis.impot_particulier.scopes import OAuthScope
from dgfip_sandbox.gateway.mounted_api import ErrorFactory, MountedApi

# The published codeapp values (errors.py) a scenario may inject: ``error=4101`` answers what the API does.
INJECTABLE_ERRORS: dict[str, ErrorFactory] = {
    str(cls.code): cls
    for cls in (
        errors.SpiFormatError,
        errors.YearFormatError,
        errors.DepartementFormatError,
        errors.AccessDenied,
        errors.NoResult,
        errors.UnknownSpi,
    )
}

API = MountedApi(
    name="impot_particulier",
    routers=(router.router, franceconnect_router.router),
    scopes=OAuthScope,
    injectable_errors=INJECTABLE_ERRORS,
    contract=CONTRACT,
    franceconnect_unreachable=errors.FranceConnectUnreachable,
)
