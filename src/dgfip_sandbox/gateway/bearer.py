"""Check 3: the OAuth2 bearer token (issued by this gateway's ``POST /token``).

No token → 900902. Unreadable, tampered, ``alg: none``, foreign issuer, expired, or bound to another
certificate than the one presented (RFC 8705 ``cnf.x5t#S256``) → 900901.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from dgfip_sandbox.errors import InvalidCredentials, MissingCredentials
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.gateway.tokens import TokenError
from dgfip_sandbox.store.consumers import ConsumerRecord


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def check_bearer_token(
    request: Request, state: GatewayState, consumer: ConsumerRecord, cert_thumbprint: str
) -> dict[str, Any]:
    token = bearer_token(request)
    if token is None:
        if request.headers.get("authorization"):
            raise MissingCredentials("l'en-tête Authorization doit être de la forme « Bearer <jeton> »")
        raise MissingCredentials("aucun jeton d'accès dans l'en-tête Authorization (obtenez-en un sur POST /token)")
    try:
        claims = state.tokens.verify(token, now=state.clock.now())
    except TokenError as exc:
        raise InvalidCredentials(str(exc)) from exc
    bound = (claims.get("cnf") or {}).get("x5t#S256")
    if bound != cert_thumbprint:
        raise InvalidCredentials("le jeton a été délivré pour un autre certificat client (RFC 8705)")
    if claims.get("client_id") != consumer.client_id:
        raise InvalidCredentials("le jeton a été délivré à un autre partenaire")
    return claims
