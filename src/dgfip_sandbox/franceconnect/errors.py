"""How the FranceConnect-like service refuses, in FranceConnect's three manners.

* ``OidcError``: back-channel endpoints (/token, /token/revocation, /userinfo, /checktoken) answer
  JSON ``{"error", "error_description", "error_uri"}`` with the OAuth 2.0 status (400, 401). The texts
  are the ones FranceConnect's engine (panva oidc-provider) writes, in English, as FranceConnect
  formats them: ``"<description> (<detail>)"`` — ``(undefined)`` when the engine gives no detail — and
  an ``error_uri`` into FranceConnect's partner documentation carrying the error code (``Y04`` + the
  code FranceConnect generated for that engine error) and a unique id. Checktoken keeps its own
  fixed texts and has no ``error_uri`` (FranceConnect's checktoken contract).
* ``PageError``: a browser step that cannot go back to the service provider safely (malformed
  /authorize request, unknown client, unregistered redirect_uri, lost session) renders an HTML
  error page with FranceConnect's error code and French message. Never a redirect: that would be an
  open redirector.
* ``RedirectError``: once client_id and redirect_uri are known good, protocol errors go back to the
  service provider as ``redirect_uri?error=…&error_description=…&state=…&iss=…`` (OIDC core
  §3.1.2.6, RFC 9207).
"""

from __future__ import annotations

import uuid

# FranceConnect's OidcProvider errorUriBase.
ERROR_URI_BASE = "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/"

# FranceConnect's code and page message for a request its DTO refuses (missing, malformed or unknown
# parameter: OidcProviderAuthorizeParamsException), and its message for an FS it cannot talk to.
FORMAT_ERROR_CODE = "Y030007"
FORMAT_ERROR_MESSAGE = "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous."
SP_COMMUNICATION_ERROR = (
    "Une erreur de communication avec le fournisseur de service est survenue. Veuillez réessayer ultérieurement."
)


class OidcError(Exception):
    def __init__(
        self,
        status_code: int,
        error: str,
        description: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(f"{error}: {description}")
        self.status_code = status_code
        self.error = error
        self.description = description
        self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        body = {"error": self.error, "error_description": self.description}
        if self.code is not None:
            body["error_uri"] = f"{ERROR_URI_BASE}?code={self.code}&id={uuid.uuid4()}"
        return body


def invalid_request(description: str, code: str) -> OidcError:
    """oidc-provider's InvalidRequest carries no detail: FranceConnect prints "(undefined)"."""
    return OidcError(400, "invalid_request", f"{description} (undefined)", code=code)


def invalid_client(detail: str, code: str) -> OidcError:
    return OidcError(401, "invalid_client", f"client authentication failed ({detail})", code=code)


def invalid_grant(detail: str, code: str) -> OidcError:
    return OidcError(400, "invalid_grant", f"grant request is invalid ({detail})", code=code)


def invalid_token(description: str, detail: str, code: str) -> OidcError:
    return OidcError(
        401,
        "invalid_token",
        f"{description} ({detail})",
        code=code,
        headers={
            "WWW-Authenticate": f'Bearer realm="FranceConnect", error="invalid_token", error_description="{description}"'
        },
    )


class PageError(Exception):
    """An error shown to the user on a FranceConnect page (never a redirect)."""

    def __init__(
        self,
        message: str = FORMAT_ERROR_MESSAGE,
        *,
        code: str = FORMAT_ERROR_CODE,
        error: str = "invalid_request",
        status_code: int = 400,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.error = error
        self.status_code = status_code


def format_error(*, back_channel: bool) -> OidcError | PageError:
    """FranceConnect's refusal of a parameter its DTO does not validate (``Y030007``,
    OidcProviderAuthorizeParamsException: 400, ``invalid_request``, "invalid parameter"): an error
    page on a browser step, the OAuth JSON error on a back-channel endpoint."""
    if back_channel:
        return OidcError(400, "invalid_request", "invalid parameter")
    return PageError(FORMAT_ERROR_MESSAGE, code=FORMAT_ERROR_CODE)


def is_back_channel(path: str) -> bool:
    """The endpoints that answer JSON (OAuth errors) rather than an HTML page."""
    return path.endswith(("/token", "/token/revocation", "/userinfo", "/checktoken"))


class RedirectError(Exception):
    """A protocol error sent back to the service provider's registered redirect_uri."""

    def __init__(self, redirect_uri: str, state: str | None, error: str, description: str, *, fragment: bool = False):
        super().__init__(f"{error}: {description}")
        self.redirect_uri = redirect_uri
        self.state = state
        self.error = error
        self.description = description
        self.fragment = fragment
