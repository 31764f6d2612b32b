"""The catalogues a consumer's habilitation is checked against: OAuth scopes, DataPass scopes, FICOBA
modalities and motifs, quota tiers.

Consumer administration (the admin API, ``dgfip-sandbox consumers …``, the demo consumers) calls
:func:`check_oauth_scopes` and the others, so that a typo (``RessourceFoo``, ``dgfip_foo``) is refused
with the list of valid values, in French, instead of being stored and failing later at the gateway.

- OAuth scopes: those of API Impôt particulier's published operations (one per resource; FICOBA's
  operations carry none, its access is its DataPass modalities).
- DataPass scopes: Impôt particulier's (the DataPass labels, the TH local scopes removed in 2023, and
  the sandbox's ``sandbox_besoins_specifiques`` pseudo-scope, see apis/impot_particulier/datapass.py)
  and FICOBA's (apis/ficoba/datapass.py).
- FICOBA modalities (``with_ficoba_*``) and the sandbox's motif catalogue (``MOTIFS``, [I]).
- Quota tiers: 200, 500 and 750 calls per minute for every API (store/consumers.QUOTA_TIERS), and per API
  the tiers DataPass offers (store/consumers.API_QUOTA_TIERS).
"""

from __future__ import annotations

from collections.abc import Iterable

from dgfip_sandbox.apis.ficoba import datapass as ficoba_datapass
from dgfip_sandbox.apis.impot_particulier import datapass as ip_datapass
from dgfip_sandbox.apis.impot_particulier.scopes import OAuthScope
from dgfip_sandbox.store.consumers import API_QUOTA_TIERS, QUOTA_TIERS

IMPOT_PARTICULIER_OAUTH_SCOPES: tuple[str, ...] = tuple(OAuthScope)

# The DataPass scopes the demo consumers of Impôt particulier hold: DataPass's published list, without
# the "N-2 if N-1 is missing" year scope (they hold N-1, N-2 and N-3 themselves).
IMPOT_PARTICULIER_DATAPASS_SCOPES: tuple[str, ...] = tuple(
    s for s in ip_datapass.PUBLISHED_SCOPES if s != ip_datapass.YEAR_N_2_IF_N_1_MISSING
)

OAUTH_SCOPES: tuple[str, ...] = IMPOT_PARTICULIER_OAUTH_SCOPES
DATAPASS_SCOPES: tuple[str, ...] = (
    *ip_datapass.PUBLISHED_SCOPES,
    *ip_datapass.TH_LOCAL_SCOPES,
    ip_datapass.BESOINS_SPECIFIQUES,
    *ficoba_datapass.ALL_SCOPES,
)
FICOBA_MODALITIES: tuple[str, ...] = tuple(ficoba_datapass.ALL_MODALITIES)
FICOBA_MOTIFS: tuple[str, ...] = tuple(ficoba_datapass.MOTIFS)


class CatalogueError(ValueError):
    """A value outside its catalogue; the message (French) lists the valid values."""


def _check(values: Iterable[str], catalogue: tuple[str, ...], what: str) -> list[str]:
    cleaned: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if value not in catalogue:
            raise CatalogueError(f"{what} inconnu : « {value[:60]} » (valeurs possibles : {', '.join(catalogue)})")
        if value not in cleaned:
            cleaned.append(value)
    return cleaned


def check_oauth_scopes(values: Iterable[str]) -> list[str]:
    return _check(values, OAUTH_SCOPES, "scope OAuth")


def check_datapass_scopes(values: Iterable[str]) -> list[str]:
    return _check(values, DATAPASS_SCOPES, "scope DataPass")


def check_ficoba_modalities(values: Iterable[str]) -> list[str]:
    return _check(values, FICOBA_MODALITIES, "modalité FICOBA")


def check_ficoba_motifs(values: Iterable[str]) -> list[str]:
    """Motifs as the convention writes them, on four digits (``3`` is ``0003``)."""
    cleaned = (str(v).strip() for v in values)
    return _check(
        (ficoba_datapass.normalise_motif(v) if v.isdigit() else v for v in cleaned), FICOBA_MOTIFS, "motif FICOBA"
    )


def check_quota_tier(tier: int, api: str | None = None) -> int:
    """A tier for every API (the CGU's 200, 500, 750) or, with ``api``, one of the tiers DataPass offers for it."""
    if api is None:
        if tier not in QUOTA_TIERS:
            raise CatalogueError(
                f"palier de quota {tier} inconnu (paliers des CGU : {', '.join(map(str, QUOTA_TIERS))} appels/minute)"
            )
        return tier
    if api not in API_QUOTA_TIERS:
        raise CatalogueError(f"API inconnue : « {api[:40]} » (valeurs possibles : {', '.join(API_QUOTA_TIERS)})")
    if tier not in API_QUOTA_TIERS[api]:
        tiers = ", ".join(map(str, API_QUOTA_TIERS[api]))
        raise CatalogueError(f"palier de quota {tier} inconnu pour {api} (paliers DataPass : {tiers} appels/minute)")
    return tier
