"""FICOBA's own errors: technical anomalies CATxxx and functional anomalies CAFxxx.

Protocole technique Ficoba3 v8, annexe 9 (codes, messages, HTTP statuses) and §2.6 (envelope)::

    {"erreur": {"code": "CAT002", "message": "Le format JSON n'est pas correct", "horodatage": "2024-10-29T10:11:27.338Z"}}

Unlike the APIM layer, FICOBA writes string codes and a UTC timestamp with milliseconds.

The "no result" functional codes (CAF007, 009, 011, 013, 015, 020, 021, 022, 023, 026, 028, 029) have HTTP
status 200: they are not raised but carried in the success envelope's ``messageInformatif``
(``FicobaError.informatif``), with no account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dgfip_sandbox.errors import ApiError


def horodatage_utc(now: datetime) -> str:
    """2024-10-29T10:11:27.338Z, as FICOBA writes it."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class FicobaError(ApiError):
    code = "CAT004"

    def timestamp(self, now: datetime) -> str:
        return horodatage_utc(now)

    def informatif(self, now: datetime) -> dict[str, Any]:
        """The ``messageInformatif`` block of a 200 answer."""
        block: dict[str, Any] = self.envelope(now)["erreur"]
        return block


# ---------------------------------------------------------------------------------------------------
# HTTP-level refusals in FICOBA's envelope (§1.6, annexe 9 §18.1): no CAT/CAF code is published for them,
# so the code is the HTTP status, as a string.


class NotAcceptable(FicobaError):
    status_code = 406
    code = "406"
    message = "La ressource demandée n'est pas disponible dans le format demandé. Seul le JSON est accepté"


class PayloadTooLarge(FicobaError):
    status_code = 413
    code = "413"
    message = "La requête est trop volumineuse"


# The server-side statuses of §1.6, with its texts: a scenario (X-Sandbox-Scenario: error=503…) answers
# them in FICOBA's envelope, the code a string as the swagger's ReponseErreur says.


class RequestTimeout(FicobaError):
    status_code = 408
    code = "408"
    message = "Temps d'attente d'une réponse du serveur écoulé"


class InternalServerError(FicobaError):
    status_code = 500
    code = "500"
    message = "Erreur de traitement – demande à renouveler"


class ServiceUnavailable(FicobaError):
    status_code = 503
    code = "503"
    message = "Service temporairement indisponible ou en maintenance"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers={"Retry-After": "5", **(headers or {})})


class BandwidthLimitExceeded(FicobaError):
    status_code = 509
    code = "509"
    message = "Limite de bande passante dépassée"


STATUS_ERRORS: dict[str, type[FicobaError]] = {
    cls.code: cls for cls in (RequestTimeout, InternalServerError, ServiceUnavailable, BandwidthLimitExceeded)
}


# ---------------------------------------------------------------------------------------------------
# Technical anomalies (annexe 9 §18.2)


class CAT001(FicobaError):
    status_code = 500
    code = "CAT001"
    message = "Service temporairement indisponible ou en maintenance"


class CAT002(FicobaError):
    status_code = 400
    code = "CAT002"
    message = "Le format JSON n'est pas correct"


class CAT003(FicobaError):
    status_code = 500
    code = "CAT003"
    message = "Erreur technique SQL"


class CAT004(FicobaError):
    status_code = 500
    code = "CAT004"
    message = "Erreur technique interne Ficoba"


class CAT005(FicobaError):
    status_code = 400
    code = "CAT005"
    message = "L'identifiant de corrélation est obligatoire."


class CAT006(FicobaError):
    status_code = 401
    code = "CAT006"
    message = "Problème APIM-DGFIP"


class CAT007(FicobaError):
    status_code = 500
    code = "CAT007"
    message = "Erreur technique bac à sable."


class CAT008(FicobaError):
    status_code = 500
    code = "CAT008"
    message = "Erreur lors de la récupération du jeton."


class CAT009(FicobaError):
    status_code = 500
    code = "CAT009"
    message = "La rubrique organisation est absente."


class CAT010(FicobaError):
    status_code = 500
    code = "CAT010"
    message = "La rubrique application est absente."


class CAT011(FicobaError):
    status_code = 500
    code = "CAT011"
    message = "La rubrique KEYTYPE du jeton est absente."


class CAT012(FicobaError):
    status_code = 500  # as published (annexe 9), although the fault is the client's
    code = "CAT012"
    message = "Le jeton X-Request-ID est obligatoire."


# ---------------------------------------------------------------------------------------------------
# Functional anomalies (annexe 9 §18.3)


class CAF001(FicobaError):
    status_code = 400
    code = "CAF001"
    message = "Absence du critère obligatoire"


class CAF002(FicobaError):
    status_code = 400
    code = "CAF002"
    message = "Format incorrect"


class CAF003(FicobaError):
    status_code = 400
    code = "CAF003"
    message = "Code motif invalide"


class CAF004(FicobaError):
    status_code = 400
    code = "CAF004"
    message = "Format SPI incorrect"


class CAF005(FicobaError):
    status_code = 400
    code = "CAF005"
    message = "Format SPI erroné"


class CAF007(FicobaError):
    status_code = 200
    code = "CAF007"
    message = "Aucun compte associé à ce SPI"


class CAF009(FicobaError):
    status_code = 200
    code = "CAF009"
    message = "Aucun compte associé à ce SIRENSIRET"


class CAF010(FicobaError):
    status_code = 400
    code = "CAF010"
    message = "Un SIREN et un SIRET sont présents simultanément"


class CAF011(FicobaError):
    status_code = 200
    code = "CAF011"
    message = "Aucun IBAN correspondant trouvé"


class CAF013(FicobaError):
    status_code = 200
    code = "CAF013"
    message = "Aucun compte associé à la Personne Physique"


class CAF015(FicobaError):
    status_code = 200
    code = "CAF015"
    message = "Aucun compte associé à la personne Morale"


class CAF016(FicobaError):
    status_code = 400
    code = "CAF016"
    message = "Il ne peut être renseigné qu'une adresse en France"


class CAF017(FicobaError):
    status_code = 400
    code = "CAF017"
    message = "CodeNatureCompte non autorisé"


class CAF018(FicobaError):
    status_code = 400
    code = "CAF018"
    message = "Les indicatifs du type de recherche ne peuvent être simultanément renseignés à la même valeur"


class CAF019(FicobaError):
    status_code = 400
    code = "CAF019"
    message = "Incohérence entre l'indicatif du type de personne recherchée et les données saisies en entrée"


class CAF020(FicobaError):
    status_code = 200
    code = "CAF020"
    message = "Aucun compte réglementé de même nature trouvé"


class CAF021(FicobaError):
    status_code = 200
    code = "CAF021"
    message = "Aucun compte trouvé"


class CAF022(FicobaError):
    status_code = 200
    code = "CAF022"
    message = "Aucun établissement correspondant trouvé"


class CAF023(FicobaError):
    status_code = 200
    code = "CAF023"
    message = "Aucun guichet correspond trouvé"


class CAF024(FicobaError):
    status_code = 400
    code = "CAF024"
    message = "Au moins une des dates de la recherche est située dans le futur par rapport à la date du jour"


class CAF025(FicobaError):
    status_code = 400
    code = "CAF025"
    message = "Un seul booléen peut être renseigné à 1 à la fois."


class CAF026(FicobaError):
    status_code = 200
    code = "CAF026"
    message = "Aucune personne morale ou physique associée à ce compte."


class CAF027(FicobaError):
    status_code = 400
    code = "CAF027"
    message = "Le code pays doit être 99100"


class CAF028(FicobaError):
    status_code = 200
    code = "CAF028"
    message = "Aucune adresse correspondante trouvée"


class CAF029(FicobaError):
    status_code = 200
    code = "CAF029"
    message = "Aucune compte trouvée à cette adresse"


class CAF030(FicobaError):
    status_code = 400
    code = "CAF030"
    message = "Le demandeur est inconnu."


class CAF031(FicobaError):
    status_code = 400
    code = "CAF031"
    message = "Pas d'autorisation pour le motif et le type de recherche."


class CAF032(FicobaError):
    status_code = 400
    code = "CAF032"
    message = "L'intervalle de date de la demande ne peut être supérieur à 1 an."


class CAF033(FicobaError):
    status_code = 400
    code = "CAF033"
    message = "La période entre la date du jour et l'une des dates de la recherche ne peut être supérieure à 10 ans."


class CAF034(FicobaError):
    status_code = 400  # the protocol gives no HTTP status; 400 like every other refused criterion [I]
    code = "CAF034"
    message = "Nature de compte inconnue."


CATALOGUE: dict[str, type[FicobaError]] = {
    cls.code: cls
    for cls in FicobaError.__subclasses__()
    if isinstance(cls.code, str) and cls.code.startswith(("CAT", "CAF"))
}
