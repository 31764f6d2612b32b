"""Errors rendered in DGFIP's envelope ``{"erreur": {"code", "message", "horodatage"}}``.

Every refusal raises an ``ApiError``; one handler per app renders it. The tree::

    ApiError                      the envelope; status_code, code, message, headers
    ├── ApimError                 DGFIP's API Management layer (integer codes, Paris time)
    │   ├── MissingCredentials    900902  401  no bearer token
    │   ├── InvalidCredentials    900901  401  bad / expired / tampered token, or client certificate refused
    │   ├── ScopeNotAllowed       900910  403  the token lacks the route's OAuth scope
    │   ├── IpNotAllowed          900805  403  caller address outside the consumer's allowlist
    │   ├── CorrelationIdMissing  910000  400  X-Correlation-ID absent or not a UUID
    │   ├── QuotaExceeded         900804  429  per-minute quota spent (Retry-After, RateLimit fields)
    │   ├── QuotaStoreUnavailable 900809  503  the shared quota store cannot be reached (fail closed)
    │   ├── ResourceNotFound      404     404  no such route
    │   ├── MethodNotAllowed      405     405  wrong HTTP method for the route
    │   ├── NotAcceptable         406     406  Accept names no media type the route produces
    │   ├── HeadersTooLarge       431     431  request headers over the configured size
    │   └── InternalError         500     500  an unexpected failure (logged, never a stack trace)
    ├── impot_particulier.errors  codeapp 4001, 4002, 4007, 4031, 4101, 4102 …
    └── ficoba.errors             CATxxx and CAFxxx (string codes, UTC time)

The codes 9009xx / 910000 / 900804 are DGFIP's published APIM catalogue; their HTTP statuses and the
900805 / 900809 / 404 / 405 / 406 / 431 / 500 codes are WSO2 API Manager's defaults, which DGFIP's
APIM is built on [I]. Messages keep the published text and, because a sandbox teaches, add in French
what exactly was wrong.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

PARIS = ZoneInfo("Europe/Paris")


def horodatage(now: datetime) -> str:
    """ISO 8601 with the Paris offset, as DGFIP's APIM writes it: 2021-06-16T18:50:58+02:00."""
    return now.astimezone(PARIS).isoformat(timespec="seconds")


class ErreurApim(BaseModel):
    """The ``erreur`` object of the APIM envelope (FICOBA swagger 2025, ``defaultErrorApim``)."""

    code: int = Field(examples=[900901])
    message: str = Field(examples=["Invalid Credentials"])
    horodatage: str = Field(examples=["2021-06-16T18:50:58+02:00"])


class ReponseErreurApim(BaseModel):
    """DGFIP's APIM error envelope, also used by API Impôt particulier's codeapp errors."""

    erreur: ErreurApim


class ApiError(Exception):
    # Class attributes each subclass sets; an instance may override them (admin's HttpRefusal).
    status_code: int = 400
    code: int | str = 0
    message: str = ""

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.detail = detail
        self.headers = headers or {}
        super().__init__(self.full_message)

    @property
    def full_message(self) -> str:
        if self.detail:
            return f"{self.message} : {self.detail}" if self.message else self.detail
        return self.message

    def timestamp(self, now: datetime) -> str:
        return horodatage(now)

    def envelope(self, now: datetime) -> dict[str, Any]:
        return {"erreur": {"code": self.code, "message": self.full_message, "horodatage": self.timestamp(now)}}


class ApimError(ApiError):
    """A refusal by the API Management layer, before any business API runs."""


class MissingCredentials(ApimError):
    status_code = 401
    code = 900902
    message = "Missing Credentials"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="DGFiP APIM"', **(headers or {})})


class InvalidCredentials(ApimError):
    status_code = 401
    code = 900901
    message = "Invalid Credentials"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": 'Bearer realm="DGFiP APIM", error="invalid_token"', **(headers or {})}
        )


class CertificateRejected(InvalidCredentials):
    """The client certificate is missing, revoked, or not registered to an active consumer."""

    def __init__(self, detail: str | None = None) -> None:
        ApiError.__init__(self, detail)


class ScopeNotAllowed(ApimError):
    status_code = 403
    code = 900910
    message = "The access token does not allow you to access the requested resource"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="DGFiP APIM", error="insufficient_scope"'})


class IpNotAllowed(ApimError):
    status_code = 403
    code = 900805
    message = "Message blocked"


class CorrelationIdMissing(ApimError):
    status_code = 400
    code = 910000
    message = "Le paramètre X-Correlation-ID n'est pas présent dans le header HTTP"


class QuotaExceeded(ApimError):
    status_code = 429
    code = 900804
    message = "Message throttled out"


class QuotaStoreUnavailable(ApimError):
    status_code = 503
    code = 900809
    message = "Service de quotas indisponible"


class ResourceNotFound(ApimError):
    status_code = 404
    code = 404
    message = "No matching resource found for given API Request"


class MethodNotAllowed(ApimError):
    status_code = 405
    code = 405
    message = "Method not allowed for given API resource"


class NotAcceptable(ApimError):
    status_code = 406
    code = 406
    message = "Format de réponse non supporté"


class HeadersTooLarge(ApimError):
    status_code = 431
    code = 431
    message = "En-têtes de requête trop volumineux"


class BadRequest(ApimError):
    status_code = 400
    code = 400
    message = "Requête mal formée"


class InternalError(ApimError):
    status_code = 500
    code = 500
    message = "Erreur technique"
