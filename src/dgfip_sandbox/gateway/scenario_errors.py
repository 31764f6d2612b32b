"""What a scenario (scenarios.py) may inject: the gateway's own 500 and 503, and each mounted API's codes.

Built once from the ``MountedApi`` list the composition root passes (``ScenarioErrors.of(apis)``): the
gateway keeps no copy of an API's catalogue, and an injected error is the API's own class, rendered
in the API's own envelope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dgfip_sandbox.errors import ApiError, InternalError
from dgfip_sandbox.gateway.mounted_api import ErrorFactory, MountedApi

SERVICE_UNAVAILABLE_RETRY_AFTER = "5"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = 503
    message = "Service indisponible"


def _service_unavailable(detail: str | None) -> ApiError:
    return ServiceUnavailable(detail, headers={"Retry-After": SERVICE_UNAVAILABLE_RETRY_AFTER})


def _plain_status(status: int) -> ApiError:
    """A simulated HTTP failure in the APIM envelope (code = status, as the gateway's 404/405/500 are)."""
    simulated = type(f"SimulatedStatus{status}", (ApiError,), {"status_code": status, "code": status})
    error: ApiError = simulated("Erreur simulée (scénario)")
    return error


# The gateway's own injectable errors, in the APIM envelope.
GATEWAY_ERRORS: dict[str, ErrorFactory] = {"500": InternalError, "503": _service_unavailable}


@dataclass(frozen=True)
class ScenarioErrors:
    """What a scenario may inject: the gateway's 500 and 503, and the mounted APIs' own codes."""

    by_code: Mapping[str, ErrorFactory] = field(default_factory=lambda: dict(GATEWAY_ERRORS))
    franceconnect_unreachable: ErrorFactory | None = None
    # Per API: the HTTP-status codes it answers in its own envelope (MountedApi.status_errors).
    by_api: Mapping[str, Mapping[str, ErrorFactory]] = field(default_factory=dict)

    @classmethod
    def of(cls, apis: Iterable[MountedApi]) -> ScenarioErrors:
        by_code = dict(GATEWAY_ERRORS)
        unreachable = None
        by_api: dict[str, Mapping[str, ErrorFactory]] = {}
        for api in apis:
            clash = by_code.keys() & api.injectable_errors.keys()
            if clash:
                raise ValueError(f"{api.name}: scenario codes already taken: {sorted(clash)}")
            by_code.update(api.injectable_errors)
            unreachable = unreachable or api.franceconnect_unreachable
            if api.status_errors:
                by_api[api.name] = api.status_errors
        return cls(by_code=by_code, franceconnect_unreachable=unreachable, by_api=by_api)

    def known(self, code: str) -> bool:
        """Whether ``error=<code>`` names an injectable error on some route."""
        return code in self.by_code or any(code in errors for errors in self.by_api.values())

    def error(self, code: str, api: str | None = None) -> ApiError:
        """The error ``error=<code>`` injects on a route of ``api`` (the API's own status error first).

        A status code only one API publishes (FICOBA's 408, 509) answers in the gateway's envelope on
        the other APIs' routes, as a plain HTTP failure would."""
        own = self.by_api.get(api or "", {})
        if code in own:
            return own[code](None)
        if code in self.by_code:
            return self.by_code[code](None)
        for errors in self.by_api.values():
            if code in errors:
                return _plain_status(int(code))
        raise KeyError(code)

    def fc_unreachable(self, detail: str) -> ApiError:
        if self.franceconnect_unreachable is None:  # no mounted API calls FranceConnect
            return _service_unavailable(detail)
        return self.franceconnect_unreachable(detail)
