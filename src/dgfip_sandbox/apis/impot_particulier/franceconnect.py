"""The FranceConnect mode of API Impôt particulier: from ``X-FranceConnect-OAuth`` to an SPI and scopes.

The gateway, registered at FranceConnect as the DGFIP data provider, validates the token with
checktoken v2 (one pooled httpx client per gateway process), then, as the CGU list it:

1. the token is active                                   → else 401 4011
2. it was issued to the FS linked to the consumer's habilitation (``fc_client_id``) → else 403 4033
3. the user consented to at least one DGFIP data scope   → else 403 4032
4. the pivot identity matches exactly one déclarant (first given name without accents, upper case;
   family name; birth date; gender; birth country)       → else 404 4041
A missing header answers 400 4008; FranceConnect unreachable or slow (bounded timeout) 502 5021.

Fields returned: the intersection of the consented scopes and the consumer's DataPass scopes; years:
the consumer's DataPass year scopes (a user consents to data, the habilitation decides the years).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from dgfip_sandbox.apis.impot_particulier.datapass import YEAR_SCOPES
from dgfip_sandbox.apis.impot_particulier.errors import (
    FranceConnectConsentMissing,
    FranceConnectNoTaxpayer,
    FranceConnectTokenInvalid,
    FranceConnectTokenMissing,
    FranceConnectUnreachable,
    FranceConnectWrongServiceProvider,
)
from dgfip_sandbox.franceconnect.checktoken_client import (
    ChecktokenError,
    ChecktokenRejected,
    FranceConnectUnavailable,
    TokenInactive,
)
from dgfip_sandbox.franceconnect.reconciliation import ReconciliationError, SeveralMatches, find_spi
from dgfip_sandbox.franceconnect.scopes import DGFIP_SCOPES
from dgfip_sandbox.gateway.context import CallerContext
from dgfip_sandbox.gateway.state import GatewayState

HEADER = "X-FranceConnect-OAuth"


@dataclass(frozen=True)
class FranceConnectCaller:
    spi: str
    scopes: frozenset[str]  # what the response may hold: consented ∩ DataPass, plus DataPass years


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
    async with state.sessionmaker() as session:
        try:
            spi = await find_spi(session, introspection.identity.as_dict())
        except SeveralMatches as exc:
            raise FranceConnectNoTaxpayer("plusieurs déclarants ont cette identité") from exc
        except ReconciliationError as exc:
            raise FranceConnectNoTaxpayer("aucun déclarant n'a cette identité") from exc
    datapass = caller.consumer.datapass_scopes
    scopes = frozenset((datapass & data_scopes) | (datapass & set(YEAR_SCOPES)))
    return FranceConnectCaller(spi=spi, scopes=scopes)
