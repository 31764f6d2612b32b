"""Business errors of API Impôt particulier: the published ``codeapp`` values, carried in ``erreur.code``.

    codeapp  HTTP  published meaning (swagger, LEP and IFI operations)
    4001     400   Le spi est dans un format incorrect
    4002     400   mauvais format d'année (annrev ou bareme)
    4007     400   mauvais format de département
    4031     403   L'utilisateur n'a pas accès à la ressource
    4101     410   La requête avec le spi et l'année ne renvoie aucun résultat
    4102     410   Le spi envoyé ne correspond à aucun usager

The swagger publishes these on the LEP and IFI operations; the sandbox answers them on every SPI route
(the other operations only list "400 Requete mal formée / 403 Accès refusé"), which is what DGFIP's
functional documentation describes ("un code erreur technique spécifique" for a year not yet taxed,
4101 when there is no IFI taxation). The sandbox also uses 4031 for a missing or wrong
``ID_Teleservice`` header and for a year outside the consumer's DataPass year scopes: both are
"the user has no access to the resource". ``detail`` adds, in French, what exactly was wrong.
"""

from __future__ import annotations

from dgfip_sandbox.errors import ApiError


class ImpotParticulierError(ApiError):
    """Base of the business errors (integer codes, Paris time like the APIM layer)."""


class SpiFormatError(ImpotParticulierError):
    status_code = 400
    code = 4001
    message = "Le spi est dans un format incorrect"


class YearFormatError(ImpotParticulierError):
    status_code = 400
    code = 4002
    message = "Mauvais format d'année (annrev ou bareme)"


class DepartementFormatError(ImpotParticulierError):
    status_code = 400
    code = 4007
    message = "Mauvais format de département"


class AccessDenied(ImpotParticulierError):
    status_code = 403
    code = 4031
    message = "L'utilisateur n'a pas accès à la ressource"


class NoResult(ImpotParticulierError):
    status_code = 410
    code = 4101
    message = "La requête avec le spi et l'année ne renvoie aucun résultat"


class UnknownSpi(ImpotParticulierError):
    status_code = 410
    code = 4102
    message = "Le spi envoyé ne correspond à aucun usager"


# The FranceConnect variant of the routes. DGFIP publishes no code for these cases (reference §2.3,
# "Not found"): the sandbox uses the statuses the issue and FranceConnect's data-provider example
# give, with codes in the same codeapp family. [I]


class FranceConnectTokenMissing(ImpotParticulierError):
    status_code = 400
    code = 4008
    message = "Le jeton FranceConnect (en-tête X-FranceConnect-OAuth) est absent"


class FranceConnectTokenInvalid(ImpotParticulierError):
    status_code = 401
    code = 4011
    message = "Le jeton FranceConnect est invalide ou expiré"


class FranceConnectConsentMissing(ImpotParticulierError):
    status_code = 403
    code = 4032
    message = "Le consentement FranceConnect ne couvre aucune donnée de la DGFiP"


class FranceConnectWrongServiceProvider(ImpotParticulierError):
    status_code = 403
    code = 4033
    message = "Le jeton FranceConnect a été délivré à un autre fournisseur de service"


class FranceConnectNoTaxpayer(ImpotParticulierError):
    status_code = 404
    code = 4041
    message = "L'identité FranceConnect ne correspond à aucun déclarant unique"


class FranceConnectUnreachable(ImpotParticulierError):
    status_code = 502
    code = 5021
    message = "FranceConnect est injoignable ou n'a pas répondu à temps"
