"""``POST /token``: OAuth2 client credentials (RFC 6749 §4.4), as DGFIP's APIM serves it.

Client authentication by HTTP Basic or by form fields; ``scope`` is space-separated and must be a
subset of the consumer's granted OAuth scopes (all of them when omitted). The endpoint also requires
that consumer's client certificate and an allowed IP (checks 1 and 2 of the pipeline, answered in the
APIM envelope); the OAuth errors themselves follow RFC 6749 §5.2 (Authlib's error classes).
Descriptions are ASCII, as RFC 6749 requires.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from authlib.oauth2.rfc6749.errors import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnsupportedGrantTypeError,
)
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.requests import Request

from dgfip_sandbox.gateway.pipeline import STEPS, Call, audit_entry, gateway_state, run_steps
from dgfip_sandbox.store.consumers import verify_secret

router = APIRouter()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _oauth_error(error: OAuth2Error, request: Request, *, headers: dict[str, str] | None = None) -> JSONResponse:
    audit = audit_entry(request)
    audit.outcome = error.error
    audit.extra["error"] = error.description
    answer = dict(error.get_headers())
    answer.pop("Content-Type", None)
    return JSONResponse(
        dict(error.get_body()), status_code=error.status_code, headers={**answer, **NO_STORE, **(headers or {})}
    )


def _invalid_client(description: str) -> InvalidClientError:
    error = InvalidClientError(description)
    error.status_code = 401
    return error


def _ascii(text: str) -> str:
    """RFC 6749 §5.2: error_description holds only %x20-21 / %x23-5B / %x5D-7E."""
    return "".join(c if (0x20 <= ord(c) <= 0x7E and c not in '"\\') else "?" for c in text)


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return ("", "")
    return unquote(client_id), unquote(secret)


@router.post("/token", summary="Jeton d'accès OAuth2 (client credentials)", tags=["APIM"])
async def issue_token(request: Request) -> JSONResponse:
    state = gateway_state(request)
    audit = audit_entry(request)
    audit.api = "token"
    # The pipeline's first two steps (client certificate, caller IP), their failures in the trace.
    call = Call(request=request, state=state, audit=audit)
    await run_steps(STEPS[:2], call)
    consumer = call.need_consumer()

    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return _oauth_error(InvalidRequestError("Content-Type must be application/x-www-form-urlencoded"), request)
    form = await request.form()
    basic = _basic_credentials(request)
    form_id, form_secret = form.get("client_id"), form.get("client_secret")
    if basic is not None and (form_id or form_secret):
        return _oauth_error(InvalidRequestError("use one client authentication method, not both"), request)
    client_id, secret = basic if basic is not None else (str(form_id or ""), str(form_secret or ""))
    if not client_id or not secret:
        return _oauth_error(
            _invalid_client("client authentication is required (HTTP Basic or client_id/client_secret)"), request
        )
    now = state.clock.now()
    wait = state.token_throttle.wait_seconds(consumer.id, now)
    if wait:
        # Refused without checking the secret: a guess made now tells nothing (gateway/token_throttle.py).
        audit.extra["throttled_seconds"] = wait
        audit.check("token_throttle", False, f"{wait} s")
        return _oauth_error(
            _invalid_client(f"trop d'echecs d'authentification pour ce client : nouvel essai possible dans {wait} s"),
            request,
            headers={"Retry-After": str(wait)},
        )
    if client_id != consumer.client_id or not verify_secret(secret, consumer.client_secret_hash):
        state.token_throttle.failed(consumer.id, now)
        return _oauth_error(
            _invalid_client("unknown client, wrong secret, or client_id not registered to the presented certificate"),
            request,
        )
    state.token_throttle.succeeded(consumer.id)

    grant_type = form.get("grant_type")
    if not grant_type:
        return _oauth_error(InvalidRequestError("missing grant_type"), request)
    if grant_type != "client_credentials":
        unsupported = UnsupportedGrantTypeError(_ascii(str(grant_type)[:40]))
        unsupported.description = _ascii(f"grant_type {str(grant_type)[:40]} is not supported (use client_credentials)")
        return _oauth_error(unsupported, request)

    raw_scope = form.get("scope")
    requested = str(raw_scope).split() if raw_scope else sorted(consumer.oauth_scopes)
    unknown = [s for s in requested if s not in consumer.oauth_scopes]
    if unknown:
        return _oauth_error(
            InvalidScopeError(_ascii(f"scope not granted to this client: {' '.join(unknown)[:200]}")),
            request,
        )

    token, claims = state.tokens.issue(
        client_id=consumer.client_id,
        organisation=consumer.organisation,
        application=consumer.application,
        scopes=requested,
        cert_thumbprint=call.thumbprint,
        now=state.clock.now(),
    )
    audit.extra["jti"] = claims["jti"]
    audit.extra["scope"] = claims["scope"]
    return JSONResponse(
        {
            "access_token": token,
            "scope": claims["scope"],
            "token_type": "Bearer",
            "expires_in": state.tokens.ttl_seconds,
        },
        headers=NO_STORE,
    )
