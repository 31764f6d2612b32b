"""Refusals of the admin API and of the administration service, in the sandbox's envelope."""

from __future__ import annotations

from dgfip_sandbox.errors import ApiError


class AdminError(ApiError):
    """Base of the administration errors (integer codes = HTTP status, Paris time)."""


class AdminUnauthorized(AdminError):
    status_code = 401
    code = 401
    message = "Authentification administrateur requise"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="dgfip-sandbox-admin"'})


class AdminForbidden(AdminError):
    status_code = 403
    code = 403
    message = "Accès à l'administration refusé"


class ConsumerNotFound(AdminError):
    status_code = 404
    code = 404
    message = "Partenaire inconnu"


class CertificateNotFound(AdminError):
    status_code = 404
    code = 404
    message = "Certificat inconnu"


class RouteNotFound(AdminError):
    status_code = 404
    code = 404
    message = "Ressource d'administration inconnue"


class ConsumerExists(AdminError):
    status_code = 409
    code = 409
    message = "Partenaire déjà enregistré"


class InvalidAdminRequest(AdminError):
    status_code = 400
    code = 400
    message = "Requête d'administration invalide"


class HttpRefusal(InvalidAdminRequest):
    """A routing refusal other than 404 (405, …): its HTTP status is the status and the code."""

    def __init__(self, status: int, detail: str | None = None) -> None:
        self.status_code = status
        self.code = status
        super().__init__(detail)


class InvalidTestData(AdminError):
    status_code = 400
    code = 400
    message = "Données de test refusées, rien n'a été écrit"


class TestDataNotFound(AdminError):
    __test__ = False  # not a pytest test class
    status_code = 404
    code = 404
    message = "Donnée de test inconnue"
