"""HTTP methods as RFC 9110 says, for every route of the gateway.

- ``HEAD`` is served wherever ``GET`` is (§9.3.2): :class:`HeadAsGet` runs the request as a ``GET`` through
  the whole pipeline (the audit records ``HEAD``) and the answer keeps its status and headers, without a body;
- every ``405`` carries ``Allow`` (§15.5.6), completed by :func:`allow_methods` with ``HEAD`` where ``GET`` is
  and ``OPTIONS``;
- ``OPTIONS`` on a known path answers ``204`` with that ``Allow`` (§9.3.7), without authentication (it says no
  more than the published contract); on an unknown path it is the usual ``404`` envelope. The router finds the
  path's methods: an ``OPTIONS`` matches no route's methods, so it reaches the 405 handler, which answers it.

A trailing slash is not redirected (the app is built with ``redirect_slashes=False``): an unknown path is a 404.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def allow_methods(allow: str) -> str:
    """The router's ``Allow`` value completed with HEAD (where GET is) and OPTIONS, sorted."""
    methods = {m.strip().upper() for m in allow.split(",") if m.strip()}
    if "GET" in methods:
        methods.add("HEAD")
    methods.add("OPTIONS")
    return ", ".join(sorted(methods))


class HeadAsGet:
    """ASGI middleware placed inside the audit layer: HEAD runs as GET and its answer leaves without a body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)
