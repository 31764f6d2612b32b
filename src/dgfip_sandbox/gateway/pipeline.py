"""The APIM pipeline: the checks DGFIP's API Management makes before any business API runs.

Order (fixed; the first failing check decides the answer):

    1. client certificate  client_cert.py   → 401 900901  missing, unknown CA, expired, revoked, unregistered
    2. caller IP           caller_ip.py     → 403 900805  address outside the consumer's CIDRs
    3. bearer token        bearer.py        → 401 900902  no token / 401 900901 bad, expired, other certificate
       route scope         scopes.py        → 403 900910  token without the route's OAuth scope
    4. correlation id      correlation.py   → 400 910000  X-Correlation-ID missing or not a UUID
    5. quota               quota.py         → 429 900804  per-minute quota spent (Retry-After, RateLimit)
    6. scenario            scenarios.py     → injected latency / 503 / 500 / CAT / CAF / 429 / 502 for consumers
                                              with the "scenarios" option; 400 for a malformed X-Sandbox-Scenario

Cheap transport facts are checked first; the quota counts only authenticated, entitled calls. Each
step writes one line in the request's decision trace (``AuditEntry.check``), which the audit record
and the journal keep. The API handler runs after step 6; the audit record is written by
``audit_middleware.AuditMiddleware`` before the response leaves.
"""

from __future__ import annotations

from starlette.requests import Request

from dgfip_sandbox import pki
from dgfip_sandbox.errors import ApiError
from dgfip_sandbox.gateway.bearer import check_bearer_token
from dgfip_sandbox.gateway.caller_ip import check_caller_ip
from dgfip_sandbox.gateway.client_cert import check_client_certificate
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.correlation import check_correlation_id
from dgfip_sandbox.gateway.quota import check_quota
from dgfip_sandbox.gateway.scenarios import check_scenario
from dgfip_sandbox.gateway.scopes import check_route_scope
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.store.audit import AuditEntry


def gateway_state(request: Request) -> GatewayState:
    return request.app.state.sandbox  # type: ignore[no-any-return]  # Starlette's app.state is untyped


def audit_entry(request: Request) -> AuditEntry:
    return request.scope["state"]["audit"]  # type: ignore[no-any-return]  # set by AuditMiddleware


class GatewayPolicy:
    """A FastAPI dependency: ``Depends(GatewayPolicy(api="impot_particulier", scope="RessourceIR"))``."""

    def __init__(self, *, api: str, scope: str | None = None) -> None:
        self.api = api
        self.scope = scope

    async def __call__(self, request: Request) -> CallerContext:
        state = gateway_state(request)
        audit = audit_entry(request)
        audit.api = self.api
        step = "client_certificate"
        try:
            consumer, cert, fingerprint = await check_client_certificate(request, state)
            audit.consumer_id, audit.consumer_name, audit.cert_fingerprint = consumer.id, consumer.name, fingerprint
            audit.check(step, True, consumer.name)

            step = "caller_ip"
            client_ip = check_caller_ip(request, state, consumer)
            audit.client_ip = client_ip
            audit.check(step, True, client_ip)

            step = "bearer_token"
            claims = check_bearer_token(request, state, consumer, pki.x5t_s256(cert))
            audit.check(step, True, f"jti={claims.get('jti')}")

            step = "route_scope"
            check_route_scope(claims, self.scope)
            audit.check(step, True, self.scope or "aucun scope exigé")

            step = "correlation_id"
            correlation_id = check_correlation_id(request)
            audit.check(step, True, "")

            step = "quota"
            decision = await check_quota(
                state.quota, consumer_id=consumer.id, limit=consumer.quota_per_minute, now=state.clock.now()
            )
            audit.check(step, True, f"{decision.limit - decision.remaining}/{decision.limit}")
            request.scope["state"]["response_headers"] = decision.headers()

            step = "scenario"
            audit.check(step, True, await check_scenario(request, state, consumer, audit))
        except ApiError as exc:
            audit.check(step, False, exc.full_message)
            raise
        return CallerContext(
            consumer=consumer,
            cert_fingerprint=fingerprint,
            client_ip=client_ip,
            correlation_id=correlation_id,
            token_claims=claims,
            audit=audit,
        )
