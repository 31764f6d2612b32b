"""Check 6: scenario injection, so that an integrator can test its retries and error handling.

For consumers whose ``sandbox_options`` contain ``"scenarios"``, the ``X-Sandbox-Scenario`` header
(or, without it, the consumer's standing scenario set through the admin) makes the call slow, fail,
run out of quota or find FranceConnect unreachable. The grammar (docs/scenarios.md)::

    scenario = item *( "," item )
    item     = "latency=" milliseconds            slow: wait, then answer normally
             | "error=" ( "500" | "503" | "408" | "509" | CATnnn | CAFnnn | codeapp )
             | "quota"                            429 900804, as a spent quota
             | "fc-unreachable"                   502 5021 on calls that carry X-FranceConnect-OAuth
             | "none"                             no scenario (overrides a standing one)

At most one failure (error, quota, fc-unreachable) per scenario; latency combines with any. The
step runs after the quota check, so an injected call still counts against the real quota. For a
consumer without the option the header is ignored (and the audit record says so); a malformed
header from a consumer with the option is a 400 in the APIM envelope, never a 500. The latency
goes through ``GatewayState.sleep`` so that tests never sleep.

The gateway imports no API: the injectable codes and the FranceConnect outage error come from the
mounted APIs (``MountedApi``, gateway/mounted_api.py) as a ``ScenarioErrors`` catalogue (scenario_errors.py), so each
injected error is the API's own class, in the API's own envelope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.requests import Request

from dgfip_sandbox.errors import BadRequest, QuotaExceeded
from dgfip_sandbox.gateway.quota import WINDOW_SECONDS, rate_limit_headers
from dgfip_sandbox.gateway.scenario_errors import ScenarioErrors
from dgfip_sandbox.gateway.state import GatewayState
from dgfip_sandbox.store.audit import AuditEntry
from dgfip_sandbox.store.consumers import ConsumerRecord

HEADER = "x-sandbox-scenario"
OPTION = "scenarios"
MAX_HEADER_LENGTH = 200

_ITEM = re.compile(r"(?P<name>[a-z][a-z-]*)(?:=(?P<value>[A-Za-z0-9]+))?", re.ASCII)


class ScenarioSyntaxError(ValueError):
    """The scenario text does not follow the grammar; ``str(exc)`` says why, in French."""


@dataclass(frozen=True)
class Scenario:
    latency_ms: int = 0
    error: str | None = None
    quota: bool = False
    fc_unreachable: bool = False

    @property
    def empty(self) -> bool:
        return not (self.latency_ms or self.error or self.quota or self.fc_unreachable)

    def describe(self) -> str:
        parts = []
        if self.latency_ms:
            parts.append(f"latency={self.latency_ms}")
        if self.error:
            parts.append(f"error={self.error}")
        if self.quota:
            parts.append("quota")
        if self.fc_unreachable:
            parts.append("fc-unreachable")
        return ",".join(parts) or "none"


def parse_scenario(text: str, errors: ScenarioErrors, *, max_latency_ms: int = 30000) -> Scenario:
    """Parse the header (or a standing scenario); raise ScenarioSyntaxError with a French reason."""
    if len(text) > MAX_HEADER_LENGTH:
        raise ScenarioSyntaxError(f"valeur trop longue ({len(text)} caractères, {MAX_HEADER_LENGTH} au plus)")
    items = [item.strip() for item in re.split(r"[,;]", text)]
    if not any(items):
        raise ScenarioSyntaxError("valeur vide (exemples : « latency=1500 », « error=503 », « quota »)")
    latency: int | None = None
    failures: list[str] = []
    error: str | None = None
    quota = fc = none = False
    for item in items:
        match = _ITEM.fullmatch(item)
        if not item or match is None:
            raise ScenarioSyntaxError(f"élément illisible « {item[:40]} »")
        name, value = match.group("name"), match.group("value")
        if name == "latency":
            if value is None or not (value.isascii() and value.isdigit()):
                raise ScenarioSyntaxError("latency attend une durée en millisecondes (latency=1500)")
            if latency is not None:
                raise ScenarioSyntaxError("latency est donné deux fois")
            latency = int(value)
            if latency > max_latency_ms:
                raise ScenarioSyntaxError(f"latency={latency} dépasse le maximum de {max_latency_ms} ms")
        elif name == "error":
            if value is None:
                raise ScenarioSyntaxError(
                    "error attend un code (error=503, error=500, error=CAT001, error=CAF003, error=4101)"
                )
            code = value.upper()
            if not errors.known(code):
                raise ScenarioSyntaxError(f"code d'erreur inconnu « {value} » (voir docs/scenarios.md)")
            error = code
            failures.append(item)
        elif name in ("quota", "fc-unreachable", "none"):
            if value is not None:
                raise ScenarioSyntaxError(f"{name} ne prend pas de valeur")
            if name == "quota":
                quota = True
                failures.append(item)
            elif name == "fc-unreachable":
                fc = True
                failures.append(item)
            else:
                none = True
        else:
            raise ScenarioSyntaxError(f"scénario inconnu « {name} » (latency, error, quota, fc-unreachable, none)")
    if len(failures) > 1:
        raise ScenarioSyntaxError(f"une seule panne à la fois ({', '.join(failures)})")
    if none and (latency or failures):
        raise ScenarioSyntaxError("none ne se combine avec aucun autre scénario")
    return Scenario(latency_ms=latency or 0, error=error, quota=quota, fc_unreachable=fc)


def _source(request: Request, consumer: ConsumerRecord) -> tuple[str, str] | None:
    header = request.headers.get(HEADER)
    if header is not None:
        return header, "en-tête"
    if consumer.sandbox_scenario:
        return consumer.sandbox_scenario, "réglage du partenaire"
    return None


async def check_scenario(request: Request, state: GatewayState, consumer: ConsumerRecord, audit: AuditEntry) -> str:
    """Apply the scenario, if any; return the trace line. Raises the injected ApiError."""
    source = _source(request, consumer)
    if source is None:
        return "aucun scénario"
    text, origin = source
    if OPTION not in consumer.sandbox_options:
        audit.extra["scenario_ignored"] = text[:MAX_HEADER_LENGTH]
        return f"ignoré : le partenaire n'a pas l'option « {OPTION} »"
    try:
        scenario = parse_scenario(text, state.scenario_errors, max_latency_ms=state.settings.scenario_max_latency_ms)
    except ScenarioSyntaxError as exc:
        audit.extra["scenario"] = text[:MAX_HEADER_LENGTH]
        raise BadRequest(f"en-tête X-Sandbox-Scenario invalide : {exc}") from exc
    audit.extra["scenario"] = scenario.describe()
    if scenario.latency_ms:
        await state.sleep(scenario.latency_ms / 1000)
    if scenario.quota:
        now = int(state.clock.now().timestamp())
        reset = WINDOW_SECONDS - now % WINDOW_SECONDS
        limit = consumer.quota_for(audit.api)
        # The simulated exhaustion replaces the real counter's RateLimit headers.
        request.scope.get("state", {}).pop("response_headers", None)
        raise QuotaExceeded(
            f"quota de {limit} appels par minute atteint (scénario simulé) ; réessayez dans {reset} s",
            headers={
                "Retry-After": str(reset),
                **rate_limit_headers(audit.api, limit=limit, remaining=0, reset_seconds=reset),
            },
        )
    if scenario.error:
        raise state.scenario_errors.error(scenario.error, audit.api)
    if scenario.fc_unreachable and request.headers.get("x-franceconnect-oauth"):
        raise state.scenario_errors.fc_unreachable(
            "le contrôle du jeton FranceConnect (checktoken) a échoué (scénario simulé)"
        )
    return f"{scenario.describe()} ({origin})"
