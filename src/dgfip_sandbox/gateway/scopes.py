"""Check 3b: the token carries the route's OAuth scope (RessourceIR, RessourceIRFacture, …) → else 900910."""

from __future__ import annotations

from typing import Any

from dgfip_sandbox.errors import ScopeNotAllowed


def check_route_scope(claims: dict[str, Any], required: str | None) -> None:
    if required is None:
        return
    granted = str(claims.get("scope", "")).split()
    if required not in granted:
        raise ScopeNotAllowed(
            f"cette ressource exige le scope {required} ; le jeton porte : {' '.join(granted) or 'aucun scope'}"
        )
