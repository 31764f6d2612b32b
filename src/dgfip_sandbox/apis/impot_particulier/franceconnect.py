"""The FranceConnect mode of API Impôt particulier: from ``X-FranceConnect-OAuth`` to an SPI and scopes.

The gateway, registered at FranceConnect as the DGFIP data provider, validates the token with
checktoken v2 (one pooled httpx client per gateway process), then, as the CGU list it:

1. the token is active                                   → else 401 4011
2. it was issued to the FS linked to the consumer's habilitation (``fc_client_id``) → else 403 4033
3. the user consented to at least one DGFIP data scope   → else 403 4032
4. the pivot identity matches exactly one déclarant (first given name without accents, upper case;
   family name; birth date; gender; birth country)       → else 404 4041
A missing header answers 400 4008; FranceConnect unreachable or slow (bounded timeout) 502 5021.

Fields returned: the intersection of the consented scopes and the consumer's DataPass scopes. Years
likewise: the user consents to years (``dgfip_annee_n_moins_*`` are FranceConnect scopes, labelled
"Données fiscales de l'année N-1" … on the consent page), so a year is served only when both the
consent and the DataPass allow it (``consented_years``); no such year answers 403 4032, a year
outside them 403 4031 as on the SPI routes (docs/impot-particulier.md, "FranceConnect: years").

Cost per call: one checktoken v2 round trip (never cached: a revoked or logged-out token is refused
on the next call) and the réconciliation, read through the taxpayer read cache.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from starlette.requests import Request

from dgfip_sandbox.apis.impot_particulier.datapass import YEAR_N_1, YEAR_N_2_IF_N_1_MISSING, YEAR_SCOPES
from dgfip_sandbox.apis.impot_particulier.errors import (
    FranceConnectConsentMissing,
    FranceConnectNoTaxpayer,
    FranceConnectTokenInvalid,
    FranceConnectTokenMissing,
    FranceConnectUnreachable,
    FranceConnectWrongServiceProvider,
)
from dgfip_sandbox.apis.impot_particulier.service import cached_read
from dgfip_sandbox.franceconnect.checktoken_client import (
    ChecktokenError,
    ChecktokenRejected,
    FranceConnectUnavailable,
    Introspection,
    PivotIdentity,
    TokenInactive,
)
from dgfip_sandbox.franceconnect.reconciliation import (
    MatchKey,
    ReconciliationError,
    SeveralMatches,
    find_spi,
    key_from_identity,
)
from dgfip_sandbox.franceconnect.scopes import DGFIP_SCOPES
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.state import GatewayState

HEADER = "X-FranceConnect-OAuth"


@dataclass(frozen=True)
class FranceConnectCaller:
    spi: str
    scopes: frozenset[str]  # what the response may hold: consented ∩ DataPass, fields and years


async def resolve(request: Request, caller: CallerContext) -> FranceConnectCaller:
    token = (request.headers.get(HEADER) or "").strip()
    if not token:
        raise FranceConnectTokenMissing(f"les routes FranceConnect exigent l'en-tête {HEADER}")
    state: GatewayState = request.app.state.sandbox
    audit = caller.audit
    try:
        introspection = await state.checktoken.introspect(token)
    except TokenInactive as exc:
        raise FranceConnectTokenInvalid("FranceConnect le déclare inactif (inconnu, expiré ou révoqué)") from exc
    except FranceConnectUnavailable as exc:
        raise FranceConnectUnreachable(
            f"checktoken n'a pas abouti en {state.settings.fc_checktoken_timeout_seconds:g} s au plus"
        ) from exc
    except ChecktokenRejected as exc:
        raise FranceConnectUnreachable(f"checktoken a refusé la passerelle ({exc.status_code})") from exc
    except (ChecktokenError, LookupError) as exc:
        raise FranceConnectUnreachable("réponse de checktoken illisible") from exc
    audit.extra["fc"] = {
        "jti": introspection.jti,
        "sub": introspection.sub,
        "fs": introspection.client_id,
        "scopes": sorted(introspection.scopes),
    }
    if caller.consumer.fc_client_id != introspection.client_id:
        raise FranceConnectWrongServiceProvider(
            f"le fournisseur de service {introspection.client_id[:16]}… n'est pas celui de l'habilitation "
            f"de « {caller.consumer.name} »"
        )
    data_scopes = (introspection.scopes & DGFIP_SCOPES) - set(YEAR_SCOPES)
    if not data_scopes:
        raise FranceConnectConsentMissing(f"scopes consentis : {' '.join(sorted(introspection.scopes)) or 'aucun'}")
    datapass = caller.consumer.datapass_scopes
    years = consented_years(introspection.scopes, datapass)
    if not years:
        raise FranceConnectConsentMissing(
            "aucune année consentie par l'usager parmi celles de l'habilitation "
            f"(consenties : {' '.join(sorted(introspection.scopes & set(YEAR_SCOPES))) or 'aucune'} ; "
            f"habilitation : {' '.join(sorted(datapass & set(YEAR_SCOPES))) or 'aucune'})"
        )
    spi = await _reconcile(state, introspection)
    return FranceConnectCaller(spi=spi, scopes=frozenset((datapass & data_scopes) | years))


def consented_years(consented: frozenset[str], datapass: frozenset[str]) -> frozenset[str]:
    """The year scopes both the user's consent and the DataPass allow.

    Their intersection, plus the one case where the two sides name the same year differently: "N-1"
    on one side and "N-1, or N-2 if N-1 is unavailable" on the other allow N-1. "N-2" beside "N-2 if
    N-1 is unavailable" allows nothing: the sandbox never serves a year one side did not allow.
    """
    years = set(consented & datapass & set(YEAR_SCOPES))
    if (YEAR_N_1 in consented and YEAR_N_2_IF_N_1_MISSING in datapass) or (
        YEAR_N_1 in datapass and YEAR_N_2_IF_N_1_MISSING in consented
    ):
        years.add(YEAR_N_1)
    return frozenset(years)


async def _reconcile(state: GatewayState, introspection: Introspection) -> str:
    """The SPI of the token's identity, through the taxpayer read cache (a hit costs no SQL)."""
    key = _match_key(introspection.identity)
    if isinstance(key, ReconciliationError):
        raise FranceConnectNoTaxpayer("aucun déclarant n'a cette identité") from key

    async def load() -> str | ReconciliationError:
        async with state.sessionmaker() as session:
            try:
                return await find_spi(session, introspection.identity.as_dict())
            except ReconciliationError as exc:
                return exc

    found = await cached_read(state.engine.url, ("fc_reconciliation", key), load)
    if isinstance(found, SeveralMatches):
        raise FranceConnectNoTaxpayer("plusieurs déclarants ont cette identité") from found
    if isinstance(found, ReconciliationError):
        raise FranceConnectNoTaxpayer("aucun déclarant n'a cette identité") from found
    return found


@functools.lru_cache(maxsize=4096)
def _match_key(identity: PivotIdentity) -> MatchKey | ReconciliationError:
    """The réconciliation key of a pivot identity (normalised once per identity)."""
    try:
        return key_from_identity(identity.as_dict())
    except ReconciliationError as exc:
        return exc
