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


# The gateway's own injectable errors, in the APIM envelope.
GATEWAY_ERRORS: dict[str, ErrorFactory] = {"500": InternalError, "503": _service_unavailable}


@dataclass(frozen=True)
class ScenarioErrors:
    """What a scenario may inject: the gateway's 500 and 503, and the mounted APIs' own codes."""

    by_code: Mapping[str, ErrorFactory] = field(default_factory=lambda: dict(GATEWAY_ERRORS))
    franceconnect_unreachable: ErrorFactory | None = None

    @classmethod
    def of(cls, apis: Iterable[MountedApi]) -> ScenarioErrors:
        by_code = dict(GATEWAY_ERRORS)
        unreachable = None
        for api in apis:
            clash = by_code.keys() & api.injectable_errors.keys()
            if clash:
                raise ValueError(f"{api.name}: scenario codes already taken: {sorted(clash)}")
            by_code.update(api.injectable_errors)
            unreachable = unreachable or api.franceconnect_unreachable
        return cls(by_code=by_code, franceconnect_unreachable=unreachable)

    def error(self, code: str) -> ApiError:
        return self.by_code[code](None)

    def fc_unreachable(self, detail: str) -> ApiError:
        if self.franceconnect_unreachable is None:  # no mounted API calls FranceConnect
            return _service_unavailable(detail)
        return self.franceconnect_unreachable(detail)
