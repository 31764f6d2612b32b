"""The ``ID_Teleservice`` header: the identifier of the consumer's use case (one per DataPass habilitation).

DGFIP's swagger declares it optional, but its functional presentation calls it "indispensable pour les
échanges avec le bac à sable et avec des données réelles" and ties one use case to each identifier. The
sandbox therefore requires it and requires it to be the one registered for the calling consumer;
otherwise 403 with codeapp 4031 ("L'utilisateur n'a pas accès à la ressource").
"""

from __future__ import annotations

from dgfip_sandbox.apis.impot_particulier.errors import AccessDenied
from dgfip_sandbox.store.consumers import ConsumerRecord

HEADER = "ID_Teleservice"


def check_teleservice(consumer: ConsumerRecord, presented: str | None) -> None:
    if consumer.id_teleservice is None:
        raise AccessDenied("aucun ID_Teleservice n'est attribué à ce consommateur")
    if presented is None or not presented.strip():
        raise AccessDenied(f"l'en-tête {HEADER} est absent ; il identifie le cas d'usage de l'habilitation")
    if presented.strip() != consumer.id_teleservice:
        raise AccessDenied(
            f"l'{HEADER} « {presented.strip()[:100]} » n'est pas celui de l'habilitation de ce consommateur"
        )
