"""The demo consumers registered by ``dgfip-sandbox up`` (and by the test harness)."""

from __future__ import annotations

from dgfip_sandbox.catalogue import IMPOT_PARTICULIER_DATAPASS_SCOPES, IMPOT_PARTICULIER_OAUTH_SCOPES
from dgfip_sandbox.seed.demo_consumer import DemoConsumer

__all__ = ["IMPOT_PARTICULIER_DATAPASS_SCOPES", "IMPOT_PARTICULIER_OAUTH_SCOPES", "DemoConsumer", "demo_consumers"]

DEMO_CONSUMERS: tuple[DemoConsumer, ...] = (
    DemoConsumer(
        name="mairie-demo",
        organisation="Mairie de Démoville",
        application="Tarification cantine",
        oauth_scopes=IMPOT_PARTICULIER_OAUTH_SCOPES,
        datapass_scopes=IMPOT_PARTICULIER_DATAPASS_SCOPES,
        quota_per_minute=200,
        id_teleservice="TS-MAIRIE-DEMO",
        siret="21750001600019",
        fc_client_id="a117d5b904d205db675b1f479e03d0407017c233583e786c966f8f70017f1480",  # the demo FS (franceconnect/registry.py)
        description="Toutes les ressources et tous les scopes DataPass d'Impôt particulier, 200 appels/min",
    ),
    DemoConsumer(
        name="caf-demo",
        organisation="Caisse d'allocations de Démoville",
        application="Quotient familial",
        oauth_scopes=("RessourceIR", "RessourceIRDerniere", "RessourceIRDerniere2"),
        datapass_scopes=("dgfip_annee_n_moins_1", "dgfip_sitfam", "dgfip_nbpart", "dgfip_pac_nbPac"),
        quota_per_minute=500,
        id_teleservice="TS-CAF-DEMO",
        description="DataPass restreint (situation de famille, parts, nombre de personnes à charge ; N-1), 500 appels/min",
    ),
    DemoConsumer(
        name="editeur-demo",
        organisation="Éditeur Logiciel Démo",
        application="Dossier locatif",
        oauth_scopes=IMPOT_PARTICULIER_OAUTH_SCOPES[:-1],
        datapass_scopes=tuple(s for s in IMPOT_PARTICULIER_DATAPASS_SCOPES if s != "dgfip_IndLep"),
        quota_per_minute=750,
        id_teleservice="TS-EDITEUR-DEMO",
        description="Ressources IR, IFI et TH, 750 appels/min",
    ),
    DemoConsumer(
        name="hors-reseau-demo",
        organisation="Partenaire hors réseau",
        application="Démonstration du filtrage IP",
        oauth_scopes=("RessourceIR",),
        datapass_scopes=("dgfip_annee_n_moins_1", "dgfip_rfr"),
        quota_per_minute=200,
        id_teleservice="TS-HORS-RESEAU",
        allowed_ips=("203.0.113.0/24",),
        description="Adresses autorisées 203.0.113.0/24 : tout appel depuis la machine locale est refusé (900805)",
    ),
)


def demo_consumers() -> tuple[DemoConsumer, ...]:
    """The Impôt particulier demo consumers plus those the other APIs contribute."""
    from dgfip_sandbox.seed.ficoba import DEMO_CONSUMERS as FICOBA_CONSUMERS  # a large module, loaded on use

    return DEMO_CONSUMERS + FICOBA_CONSUMERS
