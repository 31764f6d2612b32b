"""The APIM pipeline: the checks DGFIP's API Management makes before any business API runs.

An ordered list of named steps (``STEPS``), each with explicit inputs and outputs on a :class:`Call`
(the shape of Authlib's resource protector: validators run in turn over one request, the first
failure decides). Order (fixed):

    1. client certificate  client_cert.py   → 401 900901  missing, unknown CA, expired, revoked, unregistered
    2. caller IP           caller_ip.py     → 403 900805  address outside the consumer's CIDRs
    3. bearer token        bearer.py        → 401 900902  no token / 401 900901 bad, expired, other certificate
       route scope         scopes.py        → 403 900910  token without the route's OAuth scope
    4. correlation id      correlation.py   → 400 910000  X-Correlation-ID missing or not a UUID
    5. quota               quota.py         → 429 900804  per-minute quota spent (Retry-After, RateLimit)
    6. scenario            scenarios.py     → injected latency / 503 / 500 / CAT / CAF / 429 / 502 for consumers
                                              with the "scenarios" option; 400 for a malformed X-Sandbox-Scenario

Cheap transport facts are checked first; the quota counts only authenticated, entitled calls. Each
step writes one line in the request's decision trace (``AuditEntry.check``), passed or failed, which
the audit record and the journal keep. ``POST /token`` runs ``STEPS[:2]`` (token_endpoint.py).

The pipeline runs as plain ASGI code (:func:`run_pipeline`), not as a FastAPI dependency: a route
declared with :func:`protected` and served by :class:`GatewayRoute` runs the steps on the ASGI scope
before FastAPI parses anything, and the handler receives the outcome as ``caller: Caller``. The API
handler runs after step 6; the audit record is written by ``audit_middleware.AuditMiddleware``
before the response leaves.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from cryptography import x509
from fastapi import Depends
from fastapi import routing as fastapi_routing
from fastapi._compat import ModelField
from fastapi.dependencies.utils import get_typed_return_annotation
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from dgfip_sandbox.errors import ApiError
from dgfip_sandbox.gateway.bearer import check_bearer_token
from dgfip_sandbox.gateway.caller_ip import check_caller_ip
from dgfip_sandbox.gateway.client_cert import check_client_certificate
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.correlation import check_correlation_id
from dgfip_sandbox.gateway.quota import QuotaDecision, check_quota
from dgfip_sandbox.gateway.scenarios import check_scenario
from dgfip_sandbox.gateway.scopes import check_route_scope
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.store.audit import AuditEntry
from dgfip_sandbox.store.consumers import ConsumerRecord


def gateway_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.sandbox
    return state


def audit_entry(request: Request) -> AuditEntry:
    entry: AuditEntry = request.scope["state"]["audit"]
    return entry


@dataclass
class Call:
    """One request through the pipeline: its inputs (first four fields) and what the steps add."""

    request: Request
    state: GatewayState
    audit: AuditEntry
    required_scope: str | None = None
    # Outputs, each filled by the step that names it in ``gives``.
    consumer: ConsumerRecord | None = None
    certificate: x509.Certificate | None = None
    fingerprint: str = ""
    thumbprint: str = ""
    client_ip: str = ""
    claims: dict[str, Any] = field(default_factory=dict)
    correlation_id: str = ""
    quota: QuotaDecision | None = None

    def need_consumer(self) -> ConsumerRecord:
        if self.consumer is None:  # a step list out of order: a programming error, answered as a 500
            raise RuntimeError("pipeline step run before client_certificate")
        return self.consumer

    def need_certificate(self) -> x509.Certificate:
        if self.certificate is None:
            raise RuntimeError("pipeline step run before client_certificate")
        return self.certificate

    def context(self) -> CallerContext:
        return CallerContext(
            consumer=self.need_consumer(),
            cert_fingerprint=self.fingerprint,
            client_ip=self.client_ip,
            correlation_id=self.correlation_id,
            token_claims=self.claims,
            audit=self.audit,
        )


@dataclass(frozen=True)
class Step:
    """A named check: reads ``needs`` from the :class:`Call`, sets ``gives``, returns the trace reason."""

    name: str
    run: Callable[[Call], Awaitable[str]]
    needs: tuple[str, ...] = ()
    gives: tuple[str, ...] = ()


async def client_certificate(call: Call) -> str:
    consumer, verified = await check_client_certificate(call.request, call.state)
    call.consumer, call.certificate = consumer, verified.cert
    call.fingerprint, call.thumbprint = verified.fingerprint, verified.thumbprint
    call.audit.consumer_id, call.audit.consumer_name = consumer.id, consumer.name
    call.audit.cert_fingerprint = call.fingerprint
    return consumer.name


async def caller_ip(call: Call) -> str:
    call.client_ip = check_caller_ip(call.request, call.state, call.need_consumer())
    call.audit.client_ip = call.client_ip
    return call.client_ip


async def bearer_token(call: Call) -> str:
    if not call.thumbprint:
        raise RuntimeError("pipeline step run before client_certificate")
    call.claims = check_bearer_token(call.request, call.state, call.need_consumer(), call.thumbprint)
    return f"jti={call.claims.get('jti')}"


async def route_scope(call: Call) -> str:
    check_route_scope(call.claims, call.required_scope)
    return call.required_scope or "aucun scope exigé"


async def correlation_id(call: Call) -> str:
    call.correlation_id = check_correlation_id(call.request)
    return ""


async def quota(call: Call) -> str:
    consumer = call.need_consumer()
    api = call.audit.api
    call.quota = await check_quota(
        call.state.quota, consumer_id=consumer.id, limit=consumer.quota_for(api), now=call.state.clock.now(), api=api
    )
    call.request.scope["state"]["response_headers"] = call.quota.headers()
    return f"{call.quota.limit - call.quota.remaining}/{call.quota.limit}"


async def scenario(call: Call) -> str:
    return await check_scenario(call.request, call.state, call.need_consumer(), call.audit)


STEPS: tuple[Step, ...] = (
    Step("client_certificate", client_certificate, gives=("consumer", "certificate", "fingerprint", "thumbprint")),
    Step("caller_ip", caller_ip, needs=("consumer",), gives=("client_ip",)),
    Step("bearer_token", bearer_token, needs=("consumer", "thumbprint"), gives=("claims",)),
    Step("route_scope", route_scope, needs=("claims", "required_scope")),
    Step("correlation_id", correlation_id, gives=("correlation_id",)),
    Step("quota", quota, needs=("consumer",), gives=("quota",)),
    Step("scenario", scenario, needs=("consumer",)),
)


async def run_steps(steps: Sequence[Step], call: Call) -> None:
    """Run ``steps`` in order; each writes its line of the decision trace, the first failure raises."""
    for step in steps:
        try:
            reason = await step.run(call)
        except ApiError as exc:
            call.audit.check(step.name, False, exc.full_message)
            raise
        call.audit.check(step.name, True, reason)


@dataclass(frozen=True)
class Policy:
    """What a protected route asks of the pipeline: the API it belongs to and its OAuth scope."""

    api: str
    scope: str | None = None


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def protected(*, api: str, scope: str | None = None) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint as served behind the whole pipeline (its router uses ``GatewayRoute``)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.gateway_policy = Policy(api=api, scope=scope)  # type: ignore[attr-defined]  # a marker attribute
        return endpoint

    return mark


async def run_pipeline(scope: Scope, policy: Policy) -> CallerContext:
    """Plain ASGI: run ``STEPS`` on the request's scope; the handler finds the outcome in ``Caller``."""
    request = Request(scope)
    call = Call(request=request, state=gateway_state(request), audit=audit_entry(request), required_scope=policy.scope)
    call.audit.api = policy.api
    await run_steps(STEPS, call)
    caller = call.context()
    scope["state"]["caller"] = caller
    return caller


class GatewayRoute(APIRoute):
    """An API route whose endpoint is marked :func:`protected`: the pipeline runs before FastAPI's handler.

    A call with a method the route does not serve goes straight to FastAPI's 405, as before any check.
    When the endpoint's parameters are all plain ones (:class:`DirectCall`), it is then called directly
    and its ``Response`` sent as is, without FastAPI's per-request dependency solving; any other
    endpoint goes through FastAPI's handler. Either way a refusal propagates to the app's exception
    handlers (the same envelope).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        policy = getattr(endpoint, "gateway_policy", None)
        self.policy = policy if isinstance(policy, Policy) else None
        self.direct = DirectCall.of(self) if self.policy is not None else None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.policy is not None and self.methods is not None and scope["method"] in self.methods:
            caller = await run_pipeline(scope, self.policy)
            if self.direct is not None and self.direct.applies(scope):
                response = await self.direct.call(scope, receive, send, caller)
                await response(scope, receive, send)
                return
        await super().handle(scope, receive, send)


async def _caller(request: Request) -> CallerContext:
    caller: CallerContext = request.scope["state"]["caller"]
    return caller


# What a protected handler declares to receive the pipeline's outcome.
Caller = Annotated[CallerContext, Depends(_caller)]


_PLAIN_TEXT = (str, str | None)


def _plain_text(field: ModelField, *, required: bool) -> bool:
    """A parameter FastAPI would hand over unchanged: ``str`` (or ``str | None`` defaulting to None),
    no constraint, no validation alias, no name/alias switching."""
    info = field.field_info
    config = field.config or {}
    return (
        info.annotation in _PLAIN_TEXT
        and (info.annotation is str) == required
        and not info.metadata
        and info.validation_alias in (None, field.alias)
        and (required or (info.default is None and not info.validate_default))
        and not any(
            config.get(key) is not None for key in ("validate_by_alias", "validate_by_name", "populate_by_name")
        )
    )


@dataclass(frozen=True)
class DirectCall:
    """How to call a protected endpoint without FastAPI's handler: its path parameters (``str``), its
    headers (``str | None``, read by alias as ``Request.headers.get`` reads them: the first one), the
    ``Request`` and the pipeline's ``Caller``. Built only for an endpoint that declares nothing else
    (no query, cookie or body parameter, no other dependency) and returns a ``Response``: for it,
    FastAPI's handler would pass exactly these values (tests/gateway/test_direct_call.py compares both)."""

    endpoint: Callable[..., Awaitable[Response]]
    request_name: str | None
    caller_name: str
    path: tuple[tuple[str, str], ...]  # (parameter, path parameter)
    headers: tuple[tuple[str, bytes], ...]  # (parameter, header name in lower case)
    route: APIRoute

    @classmethod
    def of(cls, route: APIRoute) -> DirectCall | None:
        dependant = route.dependant
        if not inspect.iscoroutinefunction(route.endpoint):
            return None
        returned = get_typed_return_annotation(route.endpoint)
        if not (isinstance(returned, type) and issubclass(returned, Response)):
            return None
        if (
            dependant.query_params
            or dependant.cookie_params
            or dependant.body_params
            or route.body_field is not None
            or route.dependencies
            or route.max_body_size is not None
            or any(
                getattr(dependant, name) is not None
                for name in (
                    "websocket_param_name",
                    "http_connection_param_name",
                    "response_param_name",
                    "background_tasks_param_name",
                    "security_scopes_param_name",
                )
            )
        ):
            return None
        callers = [d for d in dependant.dependencies if d.call is _caller]
        if len(callers) != 1 or len(dependant.dependencies) != 1:
            return None
        caller = callers[0]
        if (
            caller.name is None
            or caller.dependencies
            or caller.path_params
            or caller.header_params
            or caller.query_params
        ):
            return None
        if not all(_plain_text(f, required=True) for f in dependant.path_params):
            return None
        if not all(_plain_text(f, required=False) and f.field_info.alias for f in dependant.header_params):
            return None
        return cls(
            endpoint=route.endpoint,
            request_name=dependant.request_param_name,
            caller_name=caller.name,
            path=tuple((f.name, f.alias) for f in dependant.path_params),
            headers=tuple((f.name, f.alias.lower().encode("latin-1")) for f in dependant.header_params),
            route=route,
        )

    def applies(self, scope: Scope) -> bool:
        """Not when the app overrides dependencies (tests), nor when the route is included with
        dependencies or a body limit of its own: FastAPI's handler then decides."""
        overrides = getattr(self.route.dependency_overrides_provider, "dependency_overrides", None)
        if overrides:
            return False
        context = _effective_route_context(scope)
        return context is None or (not context.dependencies and context.max_body_size is None)

    def arguments(self, scope: Scope, receive: Receive, send: Send, caller: CallerContext) -> dict[str, Any]:
        values: dict[str, Any] = {self.caller_name: caller}
        if self.request_name is not None:
            values[self.request_name] = Request(scope, receive, send)
        path_params = scope["path_params"]
        for name, key in self.path:
            values[name] = path_params[key]
        raw = scope["headers"]
        for name, header in self.headers:  # as Starlette's Headers.get: the first, names compared as sent
            values[name] = next((value.decode("latin-1") for key, value in raw if key == header), None)
        return values

    async def call(self, scope: Scope, receive: Receive, send: Send, caller: CallerContext) -> Response:
        response = await self.endpoint(**self.arguments(scope, receive, send, caller))
        if not isinstance(response, Response):  # the endpoint breaks its own annotation
            raise TypeError(f"{self.route.path}: the endpoint did not return a Response")
        return response


def _effective_route_context(scope: Scope) -> Any:
    """The route as FastAPI includes it (its include-level dependencies, body limit), if any."""
    getter = getattr(fastapi_routing, "_get_scope_effective_route_context", None)
    return getter(scope) if getter is not None else None
