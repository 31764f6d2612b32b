"""How the FranceConnect-like service refuses, in FranceConnect's three manners.

* ``OidcError``: back-channel endpoints (/token, /userinfo, /checktoken) answer JSON
  ``{"error", "error_description"}`` with the OAuth 2.0 status (400, 401); the texts are the ones
  FranceConnect's engine (panva oidc-provider) writes, in English, as FranceConnect returns them.
* ``PageError``: a browser step that cannot go back to the service provider safely (unknown
  client, unregistered redirect_uri, malformed /authorize request, lost session) renders an HTML
  error page with FranceConnect's error code (``Y000400`` for a malformed request) and a French
  message. Never a redirect: that would be an open redirector.
* ``RedirectError``: once client_id and redirect_uri are known good, protocol errors go back to the
  service provider as ``redirect_uri?error=…&error_description=…&state=…`` (OIDC core §3.1.2.6).
"""

from __future__ import annotations


class OidcError(Exception):
    def __init__(self, status_code: int, error: str, description: str, *, headers: dict[str, str] | None = None):
        super().__init__(f"{error}: {description}")
        self.status_code = status_code
        self.error = error
        self.description = description
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def invalid_request(description: str) -> OidcError:
    return OidcError(400, "invalid_request", description)


def invalid_client(description: str = "client authentication failed") -> OidcError:
    return OidcError(401, "invalid_client", description)


def invalid_grant(detail: str) -> OidcError:
    return OidcError(400, "invalid_grant", f"grant request is invalid ({detail})")


def invalid_token(description: str) -> OidcError:
    return OidcError(
        401,
        "invalid_token",
        description,
        headers={
            "WWW-Authenticate": f'Bearer realm="FranceConnect", error="invalid_token", error_description="{description}"'
        },
    )


class PageError(Exception):
    """An error shown to the user on a FranceConnect page (never a redirect)."""

    def __init__(self, message: str, *, code: str = "Y000400", error: str = "invalid_request", status_code: int = 400):
        super().__init__(message)
        self.message = message
        self.code = code
        self.error = error
        self.status_code = status_code


FORMAT_ERROR_CODE = "Y030007"
FORMAT_ERROR_MESSAGE = "Une erreur technique est survenue, fermez l’onglet de votre navigateur et reconnectez-vous."


def format_error(*, back_channel: bool) -> OidcError | PageError:
    """FranceConnect's refusal of a parameter its DTO does not validate (``Y030007``,
    OidcProviderAuthorizeParamsException: 400, ``invalid_request``, "invalid parameter"): an error
    page on a browser step, the OAuth JSON error on a back-channel endpoint."""
    if back_channel:
        return OidcError(400, "invalid_request", "invalid parameter")
    return PageError(FORMAT_ERROR_MESSAGE, code=FORMAT_ERROR_CODE)


def is_back_channel(path: str) -> bool:
    """The endpoints that answer JSON (OAuth errors) rather than an HTML page."""
    return path.endswith(("/token", "/userinfo", "/checktoken"))


class RedirectError(Exception):
    """A protocol error sent back to the service provider's registered redirect_uri."""

    def __init__(self, redirect_uri: str, state: str | None, error: str, description: str):
        super().__init__(f"{error}: {description}")
        self.redirect_uri = redirect_uri
        self.state = state
        self.error = error
        self.description = description
