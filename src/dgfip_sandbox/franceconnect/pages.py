"""HTML rendering for the browser steps (Jinja2 templates, French, FranceConnect-like look)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi.responses import HTMLResponse, RedirectResponse

from dgfip_sandbox.franceconnect.errors import PageError, RedirectError
from dgfip_sandbox.franceconnect.state import FranceConnectState

# Pages are framed by nobody and load nothing from elsewhere. No form-action directive: the consent
# form's answer is a redirect to the service provider, which form-action would block in Chromium.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def render(state: FranceConnectState, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = state.templates.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)


def render_error(state: FranceConnectState, error: PageError) -> HTMLResponse:
    return render(
        state,
        "error.html",
        status_code=error.status_code,
        code=error.code,
        error=error.error,
        message=error.message,
    )


def with_query(url: str, params: dict[str, str]) -> str:
    """Append parameters to a registered URL, keeping the query it already has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def with_fragment(url: str, params: dict[str, str]) -> str:
    """The parameters in the fragment (an error for response types that answer in the fragment)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, urlencode(params)))


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def redirect_error(error: RedirectError, issuer: str) -> RedirectResponse:
    """Back to the FS with the error, its state and FranceConnect's issuer (RFC 9207, as FranceConnect)."""
    params = {"error": error.error, "error_description": error.description}
    if error.state:
        params["state"] = error.state
    params["iss"] = issuer
    if error.fragment:
        return redirect(with_fragment(error.redirect_uri, params))
    return redirect(with_query(error.redirect_uri, params))
