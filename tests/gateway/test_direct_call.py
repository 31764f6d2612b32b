"""Protected endpoints called directly (pipeline.DirectCall) get exactly the values FastAPI's handler
would give them: path parameters as matched, headers read by alias as ``Request.headers`` reads them
(the first of several, absent → None); and the business routes do take that path."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.dependencies.utils import request_params_to_args
from fastapi.routing import APIRoute
from starlette.datastructures import Headers

from dgfip_sandbox.assembly import build_gateway_app
from dgfip_sandbox.gateway.pipeline import GatewayRoute
from dgfip_sandbox.settings import Settings

HEADER_SETS: list[list[tuple[bytes, bytes]]] = [
    [],
    [(b"id_teleservice", b"TS-1")],
    [(b"id_teleservice", b"")],
    [(b"id_teleservice", b"premier"), (b"id_teleservice", b"second")],
    [(b"ID_Teleservice", b"casse d'origine")],
    [(b"x-franceconnect-oauth", b"jeton"), (b"id_teleservice", b"TS-2"), (b"accept", b"*/*")],
    [(b"id_teleservice", "é".encode("latin-1"))],
]
PATH_VALUES = ["1000000001084", "", "12 34", "é", "..", "2024"]


def gateway_routes() -> list[GatewayRoute]:
    app = build_gateway_app(Settings())
    return [route for route in app.routes if isinstance(route, GatewayRoute) and route.policy is not None]


def test_the_business_routes_are_called_directly() -> None:
    routes = gateway_routes()
    direct = {route.path for route in routes if route.direct is not None}
    spi_routes = {route.path for route in routes if "/spi/{spi}/" in route.path}
    ficoba_routes = {route.path for route in routes if route.path.startswith("/fcb-masrestit/")}
    assert spi_routes and spi_routes <= direct
    assert ficoba_routes and ficoba_routes <= direct
    # A route with query parameters (FastAPI validates them) keeps FastAPI's handler.
    assert "/sandbox/journal" not in direct


@pytest.mark.parametrize("headers", HEADER_SETS)
@pytest.mark.parametrize("value", PATH_VALUES)
def test_direct_arguments_are_fastapis(headers: list[tuple[bytes, bytes]], value: str) -> None:
    for route in gateway_routes():
        if route.direct is None:
            continue
        dependant = route.dependant
        path_params = {field.alias: value for field in dependant.path_params}
        scope: dict[str, Any] = {"type": "http", "method": "GET", "headers": headers, "path_params": path_params}
        expected: dict[str, Any] = {}
        for fields, source in ((dependant.path_params, path_params), (dependant.header_params, Headers(scope=scope))):
            values, errors = request_params_to_args(fields, source)
            assert not errors
            expected.update(values)
        caller = object()
        got = route.direct.arguments(scope, _receive, _send, caller)  # type: ignore[arg-type]  # a stand-in
        assert got.pop(route.direct.caller_name) is caller
        if route.direct.request_name is not None:
            assert got.pop(route.direct.request_name).scope is scope
        assert got == expected, route.path


def test_an_endpoint_with_other_parameters_keeps_fastapis_handler() -> None:
    from dgfip_sandbox.gateway.pipeline import Caller, DirectCall, protected

    @protected(api="probe")
    async def with_query(caller: Caller, annee: str | None = None) -> dict[str, Any]:
        return {}

    assert DirectCall.of(APIRoute("/probe", with_query)) is None


async def _receive() -> dict[str, Any]:
    return {"type": "http.request"}


async def _send(message: dict[str, Any]) -> None:
    return None
