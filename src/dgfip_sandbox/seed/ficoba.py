"""FICOBA's fictitious file, deterministic (``random.Random`` seeded from ``settings.seed``).

Runs after the Impôt particulier seeder: every déclarant of the ``declarants`` table becomes a FICOBA
person with the same SPI and état civil, holding accounts (joint accounts for couples). Around them:
legal entities with valid SIREN/SIRET (Luhn) and their mandataires and bénéficiaires effectifs,
procurations, closed accounts, safe-deposit boxes (nature 500, ``FC`` numbers), people born abroad,
homonyms, a minor, and the protocol's own documented examples (§2.5.2, 3.5.2, 4.5.2, 5.5.2, 6.5.2, 7.3,
8.5.2). Every generated IBAN has valid mod 97 and clé RIB (schwifty).

``PERSONAS`` lists one entry per documented case; ``DEMO_CONSUMERS`` FICOBA's demo habilitations, which
``seed.consumers.demo_consumers()`` adds to the others.
"""

from __future__ import annotations

import collections
import functools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.fr import nif

from dgfip_sandbox.apis.ficoba import datapass
from dgfip_sandbox.apis.ficoba import nomenclatures as nom
from dgfip_sandbox.apis.ficoba.identifiers import BranchIbans, make_iban, make_siren, make_siret
from dgfip_sandbox.apis.ficoba.matching import normalise
from dgfip_sandbox.seed import workers
from dgfip_sandbox.seed.demo_consumer import DemoConsumer
from dgfip_sandbox.seed.draws import Draws
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.accounts import Compte, Droit, Etablissement, Guichet, Personne
from dgfip_sandbox.store.bulk import (
    ColumnRows,
    Records,
    collector_paused,
    deferred_indexes,
    insert_records,
    insert_rows,
    prepare_records,
)
from dgfip_sandbox.store.database import advance_sequences
from dgfip_sandbox.store.taxpayers import Declarant

# Real public bank codes and BICs (the BIC agrees with schwifty's bank registry; tests check it).
ETABLISSEMENTS: list[tuple[str, str, str]] = [
    ("30004", "BNP PARIBAS", "BNPAFRPPXXX"),
    ("12619", "CAIXA GERAL DE DEPOSITOS S A", "CGDIFRPPXXX"),
    ("10107", "BRED BANQUE POPULAIRE", "BREDFRPPXXX"),
    ("30003", "SOCIETE GENERALE", "SOGEFRPPXXX"),
    ("30002", "CREDIT LYONNAIS", "CRLYFRPPXXX"),
    ("20041", "LA BANQUE POSTALE", "PSSTFRPPXXX"),
    ("40618", "BOURSOBANK", "BOUSFRPPXXX"),
    ("11689", "CITIBANK INTERNATIONAL PLC", "CITIFRPPXXX"),
    ("10278", "CREDIT MUTUEL", "CMCIFR2AXXX"),
    ("42559", "CREDIT COOPERATIF", "CCOPFRPPXXX"),
]

# (bank, guichet, libellé, libAdr2, libAdr3, libAdr4); the first four are the protocol's examples.
GUICHETS: list[tuple[str, str, str, str | None, str | None, str]] = [
    ("30004", "00955", "AG NATION", "3 PL DE LA NATION", None, "75011 PARIS"),
    ("30004", "00811", "AG GARE DU NORD", "10 BD DE DENAIN", "BP 105", "75461 PARIS CEDEX 10"),
    ("12619", "00024", "AG TRAPPES", "25 31 R JEAN JAURES", None, "78190 TRAPPES"),
    ("10107", "00616", "AG PLATEAU CAILLOU", "1 R PAUL FERRAND", None, "97460 SAINT PAUL"),
    ("30004", "01692", "AG LYON BELLECOUR", "12 PL BELLECOUR", None, "69002 LYON"),
    ("30003", "04170", "AG MARSEILLE CANEBIERE", "52 LA CANEBIERE", None, "13001 MARSEILLE"),
    ("30003", "02090", "AG NANTES COMMERCE", "4 PL DU COMMERCE", None, "44000 NANTES"),
    ("30002", "00480", "AG LILLE REPUBLIQUE", "1 PL DE LA REPUBLIQUE", None, "59000 LILLE"),
    ("30002", "07310", "AG TOULOUSE CAPITOLE", "17 R DU TAUR", None, "31000 TOULOUSE"),
    ("20041", "00001", "CENTRE FINANCIER DE PARIS", "16 R ETIENNE MARCEL", None, "75002 PARIS"),
    ("20041", "01007", "CENTRE FINANCIER DE LYON", "10 R DE LA CHARITE", None, "69002 LYON"),
    ("40618", "80402", "BOURSOBANK EN LIGNE", "44 R TRAVERSIERE", "CS 80134", "92772 BOULOGNE BILLANCOURT CEDEX"),
    ("11689", "00700", "CITIBANK PARIS", "1 R PAUL CEZANNE", None, "75008 PARIS"),
    ("10278", "06000", "CCM STRASBOURG KLEBER", "3 PL KLEBER", None, "67000 STRASBOURG"),
    ("10278", "36000", "CCM RENNES REPUBLIQUE", "2 PL DE LA REPUBLIQUE", None, "35000 RENNES"),
    ("42559", "10000", "AGENCE DE PARIS", "33 R DES TROIS FONTANOT", None, "92000 NANTERRE"),
]

# (département, commune, libellé, code postal)
COMMUNES: list[tuple[str, str, str, str]] = [
    ("75", "111", "PARIS", "75011"),
    ("75", "115", "PARIS", "75015"),
    ("75", "118", "PARIS", "75018"),
    ("69", "123", "LYON", "69003"),
    ("13", "055", "MARSEILLE", "13005"),
    ("31", "555", "TOULOUSE", "31000"),
    ("44", "109", "NANTES", "44000"),
    ("59", "350", "LILLE", "59000"),
    ("33", "063", "BORDEAUX", "33000"),
    ("67", "482", "STRASBOURG", "67000"),
    ("35", "238", "RENNES", "35000"),
    ("92", "051", "NEUILLY-SUR-SEINE", "92200"),
    ("93", "066", "SAINT-DENIS", "93200"),
    ("06", "088", "NICE", "06000"),
    ("34", "172", "MONTPELLIER", "34000"),
    ("974", "15", "SAINT-PAUL", "97460"),
]
VOIES: list[tuple[str, str]] = [
    ("RUE", "DE LA REPUBLIQUE"),
    ("RUE", "VICTOR HUGO"),
    ("AV", "JEAN JAURES"),
    ("BD", "GAMBETTA"),
    ("RUE", "DES LILAS"),
    ("PL", "DE LA MAIRIE"),
    ("CHE", "DES VIGNES"),
    ("ALL", "DES TILLEULS"),
    ("IMP", "DU MOULIN"),
    ("RUE", "PASTEUR"),
    ("AV", "DU GENERAL LECLERC"),
    ("QUAI", "DES CHARTRONS"),
]

NOMS = [
    "MARTIN",
    "BERNARD",
    "THOMAS",
    "PETIT",
    "ROBERT",
    "RICHARD",
    "DURAND",
    "DUBOIS",
    "MOREAU",
    "LAURENT",
    "SIMON",
    "MICHEL",
    "LEFEBVRE",
    "LEROY",
    "ROUX",
    "DAVID",
    "BERTRAND",
    "MOREL",
    "FOURNIER",
    "GIRARD",
    "BONNET",
    "DUPONT",
    "LAMBERT",
    "FONTAINE",
    "ROUSSEAU",
    "VINCENT",
    "MULLER",
    "LEFEVRE",
    "FAURE",
    "ANDRE",
    "MERCIER",
    "BLANC",
    "GUERIN",
    "BOYER",
    "GARNIER",
    "CHEVALIER",
    "FRANCOIS",
    "LEGRAND",
    "GAUTHIER",
    "GARCIA",
    "N'DIAYE",
    "NGUYEN",
    "DA SILVA",
    "BENALI",
    "KOWALSKI",
    "O'CONNOR",
    "LE GOFF",
    "SAINT-JUST",
]
PRENOMS_M = [
    "JEAN",
    "PIERRE",
    "MICHEL",
    "ANDRE",
    "PHILIPPE",
    "NICOLAS",
    "ALAIN",
    "JULIEN",
    "THOMAS",
    "LUCAS",
    "HUGO",
    "LOUIS",
    "KARIM",
    "YANNICK",
    "FRANCOIS",
    "ETIENNE",
    "MATHIEU",
    "OMAR",
    "PAUL",
    "GABRIEL",
]
PRENOMS_F = [
    "MARIE",
    "NATHALIE",
    "ISABELLE",
    "SYLVIE",
    "CATHERINE",
    "JULIE",
    "CAMILLE",
    "EMMA",
    "LEA",
    "CHLOE",
    "INES",
    "MANON",
    "SARAH",
    "AMELIE",
    "HELENE",
    "AICHA",
    "ZOE",
    "LOUISE",
    "JEANNE",
    "CLAIRE",
]
PAYS_ETRANGERS = ["99352", "99350", "99351", "99139", "99134", "99127", "99109", "99341", "99243", "99122"]

PM_MOTS = [
    "BOULANGERIE",
    "GARAGE",
    "ATELIERS",
    "TRANSPORTS",
    "CABINET",
    "SOCIETE",
    "ASSOCIATION",
    "FROMAGERIE",
    "IMMOBILIERE",
    "CONSEIL",
    "BATIMENT",
    "LIBRAIRIE",
    "PHARMACIE",
    "RESTAURANT",
    "AGENCE",
]
PM_SUFFIXES = [
    "DU CENTRE",
    "DE LA GARE",
    "DES QUAIS",
    "DU LITTORAL",
    "DES ALPES",
    "DU PORT",
    "DE L'OUEST",
    "DU MARAIS",
    "DES COLLINES",
    "DU VAL",
]
CATEGORIES_PM = ["5499", "5710", "5720", "6540", "9220", "5599"]

DEMO_CONSUMERS: tuple[DemoConsumer, ...] = (
    DemoConsumer(
        name="ficoba-administration",
        organisation="Direction de démonstration des créances publiques",
        application="Recouvrement (démonstration FICOBA)",
        siret="13002526500013",
        oauth_scopes=(),
        datapass_scopes=(datapass.ETAT_CIVIL, datapass.ADRESSE, datapass.COMPTE, datapass.ETABLISSEMENT, datapass.DATE),
        ficoba_modalities=(
            datapass.IBAN,
            datapass.SPI,
            datapass.SIREN,
            datapass.PERSONNE_PHYSIQUE,
            datapass.PERSONNE_MORALE,
        ),
        ficoba_motifs=("0003", "0020"),
        quota_per_minute=200,
        id_teleservice="TS-FICOBA-ADMIN",
        description="FICOBA : recherches par IBAN, SPI, SIREN/SIRET, personne physique et morale ; motifs 0003 et "
        "0020 ; toutes les informations du compte",
    ),
    DemoConsumer(
        name="ficoba-banque",
        organisation="Banque de Démoville",
        application="Ouverture de livrets et contrôle d'IBAN",
        siret="89999999900019",
        oauth_scopes=(),
        datapass_scopes=(datapass.VERIFICATION, *datapass.MULTI_DETENTION_SCOPES),
        ficoba_modalities=(datapass.IBAN_PERSONNE_PHYSIQUE, datapass.IBAN_PERSONNE_MORALE, datapass.IBAN_SIREN),
        ficoba_motifs=("0021", "0100"),
        quota_per_minute=200,
        id_teleservice="TS-FICOBA-BANQUE",
        description="FICOBA : vérification de titulaire d'IBAN (PP, PM, SIREN/SIRET) et multi-détention ; motifs "
        "0021 et 0100",
    ),
)


def _nif(stem: str) -> str:
    return stem + nif.calc_check_digits(stem)


# Fixed identifiers of the named cases, so that PERSONAS is known before seeding. SPIs of the documented
# people start with "39" (the tax file's generated SPIs are not expected there; the seeder checks).
SPI_ROLLIN = _nif("3900000101")
SPI_DIEZ = _nif("3900000102")
SPI_DUBOIS = "0001489335901"  # the protocol's "1489335901", completed to 13 digits (numeroSpi is an int64)
SPI_DUBOIS_MARIE = _nif("3900000104")
SPI_JABALI = _nif("3900000105")
SPI_MALKA = _nif("3900000106")
SPI_MANON = _nif("3900000107")
SPI_CORBUSIER = _nif("3900000108")
SPI_BLANGY = _nif("3900000109")
SPI_LUCIE = _nif("3900000110")
SPI_THOMAS = _nif("3900000111")
SPI_MARTIN_LYON = _nif("3900000112")
SPI_MARTIN_LILLE = _nif("3900000113")
SPI_OCONNOR = _nif("3900000114")
SPI_FONTAINE_CLAIRE = _nif("3900000115")
SPI_FONTAINE_PAUL = _nif("3900000116")
SIREN_BOULANGERIE = make_siren("41234567")
SIRET_BOULANGERIE = make_siret(SIREN_BOULANGERIE, "0001")
IBAN_AEROLINK = make_iban("30004", "00811", "00031247950")
IBAN_MANON = make_iban("30004", "00811", "00031247961")
IBAN_LUCIE = make_iban("20041", "01007", "00019041401")
IBAN_BOULANGERIE = make_iban("42559", "10000", "00010040112")
IBAN_BOULANGERIE_CLOS = make_iban("30002", "00480", "00004030101")
IBAN_MARTIN_LYON = make_iban("30003", "04170", "00020010901")
IBAN_MARTIN_LILLE = make_iban("30002", "00480", "00020010902")
IBAN_OCONNOR = make_iban("40618", "80402", "00015020101")
# Documented SIRETs kept verbatim although they fail the Luhn check (protocol §3.5.2, §5.5.2, §6.5.2).
DOCUMENTED_INVALID_SIRETS = frozenset({"94682768462289", "12655768512289", "38228346709377"})


def _persona(case: str, description: str, *, spi: str | None = None, **ids: str) -> dict[str, Any]:
    return {"api": "ficoba", "case": case, "description": description, "spi": spi, **ids}


PERSONAS: list[dict[str, Any]] = [
    _persona(
        "compte-avec-procuration",
        "Compte courant de ROLLIN AMELIE avec une procuration à DIEZ CORINNE, née en "
        "Algérie (exemple §2.5.2 du protocole).",
        spi=SPI_ROLLIN,
        iban="FR7630004009550000135601429",
    ),
    _persona(
        "iban-inconnu",
        "IBAN valide absent du fichier : CAF011 (exemple de requête §2.3 du protocole).",
        iban="FR7610008000015215522274511",
    ),
    _persona(
        "spi-trois-comptes",
        "DUBOIS DANIEL : livret A clos, compte joint avec DUBOIS MARIE PIERRE, compte de son "
        "entreprise individuelle (exemple §3.5.2 ; SPI du protocole complété à 13 chiffres).",
        spi=SPI_DUBOIS,
        siret="94682768462289",
    ),
    _persona("spi-inconnu", "SPI bien formé absent du fichier : CAF007.", spi=_nif("3900000199")),
    _persona(
        "personne-morale",
        "MARSHALL LINE, catégorie 1000, Paris 1er (exemple §5.5.2).",
        siren="126557685",
        siret="12655768512289",
        iban="FR7612619000247463376343426",
    ),
    _persona(
        "personne-physique",
        "JABALI HAKIM né le 7 août 1995 à Nantes, procuration à NANTERRE RUGBY CLUB (exemple §6.5.2).",
        spi=SPI_JABALI,
        iban="FR7610107006163355668777396",
    ),
    _persona(
        "multi-detention-livret-a",
        "MAHAMADOU GARBA MALKA, née au Niger (jour et mois facultatifs) : un livret A ouvert (exemple §8.5.2).",
        spi=SPI_MALKA,
        iban="FR7630004008110003124794680",
    ),
    _persona(
        "multi-detention-aucun",
        "MAHAMADOU GARBA MANON, même nom, sans livret A : CAF020.",
        spi=SPI_MANON,
        iban=IBAN_MANON,
    ),
    _persona(
        "multi-detention-personne-morale",
        "AEROLINK TECH, catégorie 5520, Paris 8e, SIREN 518767462 : un livret A (exemples §8.3.1 et §8.5.2).",
        siren="518767462",
        siret="51876746200014",
        iban=IBAN_AEROLINK,
    ),
    _persona(
        "verification-titulaire",
        "CORBUSIER CHARLES-EDOUARD, titulaire de l'IBAN de l'exemple §7.3.1.",
        spi=SPI_CORBUSIER,
        iban="FR7611689007003478364737625",
    ),
    _persona(
        "verification-mineur",
        "BLANGY NOAH, né en 2012 : livret A de l'exemple §7.3.2.",
        spi=SPI_BLANGY,
        iban="FR7630004016920000166957361",
    ),
    _persona(
        "coffre-fort",
        "WORLD MEDIA loue deux coffres-forts (nature 500, numéros FC… des exemples §7.3.2).",
        siren="785620725",
        siret="78562072500032",
        iban="FC1430004021971896960539599",
    ),
    _persona(
        "mineur-intervalle-dates",
        "LEGRAND LUCIE, née en avril 2019 : recherche par intervalle de dates de "
        "naissance (≤ 1 an, ≤ 10 ans) ; livret jeune avec procuration de son père.",
        spi=SPI_LUCIE,
        iban=IBAN_LUCIE,
    ),
    _persona(
        "homonymes",
        "Deux MARTIN JEAN nés en 1975 (Lyon, Lille) : perPhy renvoie deux réponses, chacune avec son scoreAppariement.",
        spi=SPI_MARTIN_LYON,
        iban=IBAN_MARTIN_LYON,
    ),
    _persona(
        "ne-a-l-etranger-date-incomplete",
        'O\'CONNOR SEAN, né en Irlande en 1980, jour et mois inconnus ("00").',
        spi=SPI_OCONNOR,
        iban=IBAN_OCONNOR,
    ),
    _persona(
        "mandataire-beneficiaires-effectifs",
        "BOULANGERIE DES QUAIS (enseigne AU BON PAIN) : mandataire et bénéficiaires effectifs FONTAINE.",
        siren=SIREN_BOULANGERIE,
        siret=SIRET_BOULANGERIE,
        iban=IBAN_BOULANGERIE,
    ),
    _persona(
        "compte-clos",
        "Compte de BOULANGERIE DES QUAIS clos en 2010 : dateCloture restituée.",
        siren=SIREN_BOULANGERIE,
        iban=IBAN_BOULANGERIE_CLOS,
    ),
]


# ---------------------------------------------------------------------------------------------------
# Rows being built (explicit ids, bulk-inserted at the end), as tuples in each table's column order:
# ``prepare_records`` hands them to the driver as they are (it checks the order against the metadata).

# ficoba_personnes' columns in groups, as the rows are built: a natural person's identity, a legal
# entity's identifiers, the residence, the normalised search keys.
_IDENTITY_COLUMNS = (
    "kind",
    "spi",
    "nom_naissance",
    "nom_usage",
    "prenoms",
    "sexe",
    "annee_naissance",
    "mois_naissance",
    "jour_naissance",
    "code_pays_naissance",
    "code_departement_naissance",
    "code_commune_naissance",
    "libelle_commune_naissance",
    "date_deces",
)
_COMPANY_COLUMNS = (
    "raison_sociale",
    "sigle",
    "enseigne",
    "categorie_juridique",
    "type_repertoire",
    "siren",
    "siret",
    "numero_copro",
    "numero_rna",
    "numero_lei",
)
_ADDRESS_COLUMNS = (
    "code_departement_residence",
    "code_commune_residence",
    "libelle_commune_residence",
    "numero_voie",
    "indice_repetition",
    "code_nature_voie",
    "libelle_voie",
    "libelle_compl_adr",
    "code_postal",
)
_NORM_COLUMNS = (
    "nom_norm",
    "nom_usage_norm",
    "prenoms_norm",
    "raison_sociale_norm",
    "sigle_norm",
    "enseigne_norm",
)
PERSONNE_COLUMNS = (
    "id",
    *_IDENTITY_COLUMNS,
    *_COMPANY_COLUMNS,
    "code_pays_residence",
    *_ADDRESS_COLUMNS,
    *_NORM_COLUMNS,
)
COMPTE_COLUMNS = (
    "id",
    "iban",
    "guichet_id",
    "date_ouverture",
    "date_fiscale",
    "code_motif_ouverture",
    "date_cloture",
    "code_nature",
    "code_type",
    "code_caracteristique",
    "succession",
    "non_resident",
    "devise",
)
DROIT_COLUMNS = ("id", "compte_id", "personne_id", "droit", "date_debut", "date_fin", "date_maj")
_NO_COMPANY = (None,) * len(_COMPANY_COLUMNS)


@dataclass
class Batch:
    """FICOBA's rows being built, with explicit ids: tuples in each table's column order."""

    personnes: ColumnRows = field(default_factory=lambda: ColumnRows(PERSONNE_COLUMNS))
    comptes: ColumnRows = field(default_factory=lambda: ColumnRows(COMPTE_COLUMNS))
    droits: ColumnRows = field(default_factory=lambda: ColumnRows(DROIT_COLUMNS))
    ibans: set[str] = field(default_factory=set)
    next_personne: int = 1
    next_compte: int = 1
    next_droit: int = 1

    def personne(self, **values: Any) -> int:
        """A person from some of its columns (the others as ``personne_row`` completes them)."""
        row = personne_row(values)
        return self.add_personne(tuple(row[name] for name in PERSONNE_COLUMNS[1:]))

    def add_personne(self, values: tuple[Any, ...]) -> int:
        """A person from all its columns but the id, in ``PERSONNE_COLUMNS`` order; returns its id."""
        pid = self.next_personne
        self.personnes.rows.append((pid, *values))
        self.next_personne = pid + 1
        return pid

    def compte(
        self,
        *,
        iban: str,
        guichet_id: int,
        ouverture: date,
        nature: int,
        type_: int = 1,
        cloture: date | None = None,
        motif: str = "0",
        fiscale: date | None = None,
        caracteristique: int = 1,
        succession: bool = False,
        non_resident: bool = False,
        devise: str = "EUR",
    ) -> int:
        if iban in self.ibans:
            raise ValueError(f"duplicate IBAN {iban}")
        self.ibans.add(iban)
        cid = self.next_compte
        self.comptes.rows.append(
            (
                cid,
                iban,
                guichet_id,
                ouverture,
                fiscale,
                motif,
                cloture,
                nature,
                type_,
                caracteristique,
                succession,
                non_resident,
                devise,
            )
        )
        self.next_compte = cid + 1
        return cid

    def droit(
        self,
        compte_id: int,
        personne_id: int,
        droit: int,
        debut: date,
        *,
        fin: date | None = None,
        maj: date | None = None,
    ) -> None:
        did = self.next_droit
        self.droits.rows.append((did, compte_id, personne_id, droit, debut, fin, maj or debut))
        self.next_droit = did + 1

    def tables(self) -> tuple[ColumnRows, ColumnRows, ColumnRows]:
        """The rows of ``BATCH_TABLES``, in that order."""
        return self.personnes, self.comptes, self.droits


def personne_row(values: dict[str, Any]) -> dict[str, Any]:
    """A ``ficoba_personnes`` row (no id) from some of its columns: the others empty, France by default,
    and the normalised search keys computed."""
    row: dict[str, Any] = dict.fromkeys(PERSONNE_COLUMNS[1:])
    row.update(values)
    row["code_pays_residence"] = row["code_pays_residence"] or nom.FRANCE
    row["nom_norm"] = _norm(row["nom_naissance"])
    row["nom_usage_norm"] = _norm(row["nom_usage"])
    row["prenoms_norm"] = _norm(row["prenoms"])
    row["raison_sociale_norm"] = _norm(row["raison_sociale"])
    row["sigle_norm"] = _norm(row["sigle"])
    row["enseigne_norm"] = _norm(row["enseigne"])
    return row


def _person_values(identity: tuple[Any, ...], address: tuple[Any, ...]) -> tuple[Any, ...]:
    """``personne_row`` for a natural person living in France, as the columns after the id in
    ``PERSONNE_COLUMNS`` order: ``identity`` (``_IDENTITY_COLUMNS``), no company identifiers,
    ``address`` (``_ADDRESS_COLUMNS``), the normalised names."""
    _kind, _spi, nom_naissance, nom_usage, prenoms, *_rest = identity
    return (
        *identity,
        *_NO_COMPANY,
        nom.FRANCE,
        *address,
        _norm(nom_naissance),
        _norm(nom_usage),
        _norm(prenoms),
        None,
        None,
        None,
    )


@functools.lru_cache(maxsize=65536)
def _norm(value: str | None) -> str | None:
    """``normalise(value) or None``, each distinct name once (the seed's names repeat a lot)."""
    return normalise(value) or None


def personne_from_declarant(d: Declarant) -> dict[str, Any]:
    """The FICOBA état civil of a déclarant of the tax file (same SPI, same names and birth)."""
    return dict(zip(_IDENTITY_COLUMNS, _declarant_identity(d), strict=True))


def _declarant_identity(d: Declarant) -> tuple[Any, ...]:
    """``personne_from_declarant``'s values, in ``_IDENTITY_COLUMNS`` order."""
    dept, commune = nom.split_commune(d.commune_naissance)
    abroad = d.code_pays_naissance != nom.FRANCE
    born = d.date_naissance.isoformat()  # YYYY-MM-DD: the year, month and day FICOBA stores as text
    return (
        "PP",
        d.spi,
        d.nom_naissance,
        d.nom_usage,
        d.prenoms,
        "1" if d.sexe == "M" else "2",
        born[:4],
        born[5:7],
        born[8:10],
        d.code_pays_naissance,
        None if abroad else (d.departement_naissance or dept),
        None if abroad else commune,
        None if abroad else d.lieu_naissance,
        d.date_deces,
    )


# str(randint(1, 180)) as a table: an address's street number is NUMEROS_VOIE[below(180)].
NUMEROS_VOIE = [str(n) for n in range(1, 181)]
INDICES_REPETITION = [None] * 9 + ["B"]  # a "bis" for one address in ten
# A person's usual products beyond the current account: (nature, share of people holding one).
PRODUCTS = ((201, 0.6), (205, 0.3), (206, 0.1), (213, 0.1), (401, 0.12), (212, 0.06), (209, 0.08), (500, 0.04))
FISCAL_NATURES = frozenset({209, 212, 213})  # products with a date fiscale (their opening)
CLOSED_NATURES = (101, 201, 216)
_FIRST_OPENING = date(1995, 1, 1).toordinal()


class Builder:
    """Deterministic generation of accounts around people; shared by the seeder and the benchmark.

    Days are drawn as ordinals (ints), without timedelta arithmetic; guichets carry their share of the
    IBAN arithmetic (``BranchIbans``)."""

    def __init__(
        self,
        rng: random.Random,
        guichets: dict[tuple[str, str], int],
        batch: Batch | None = None,
        today: date = date(2026, 11, 25),
    ) -> None:
        self.rng = rng
        self.draws = Draws(rng)
        self.guichets = guichets
        self.guichet_keys = sorted(guichets)
        self.batch = batch or Batch()
        self.today = today
        self._today = today.toordinal()
        # (key, id, its IBANs or None) in guichet_keys' order (rng.choice's index); None when the codes are
        # not five ASCII digits each (all of GUICHETS are): make_iban's general path then.
        self._branches = [
            (key, guichets[key], BranchIbans.of(*key) if all(map(_is_numeric_code, key)) else None)
            for key in self.guichet_keys
        ]
        self._by_key = {branch[0]: branch for branch in self._branches}

    def new_iban(
        self, *, bank: str | None = None, branch: str | None = None, coffre_fort: bool = False
    ) -> tuple[str, int]:
        """A new IBAN (not in the batch) and its guichet's id: at ``bank``/``branch``, else a random one."""
        guichet = self._random_branch() if bank is None or branch is None else self._by_key[(bank, branch)]
        return self._new_iban(guichet, coffre_fort), guichet[1]

    def _random_branch(self) -> _Branch:
        return self._branches[self.draws.below(len(self._branches))]

    def _new_iban(self, guichet: _Branch, coffre_fort: bool = False) -> str:
        """A new IBAN at ``guichet``: account numbers drawn (10 digits, then 1) until one is not in the batch."""
        (bank, code), _id, ibans = guichet
        below, taken = self.draws.below, self.batch.ibans
        while True:
            account = below(10**10) * 10 + below(10)
            if ibans is None:
                iban = make_iban(bank, code, f"{account:011d}", coffre_fort=coffre_fort)
            else:
                iban = ibans.iban(account, coffre_fort=coffre_fort)
            if iban not in taken:
                return iban

    def date_between(self, start: date, end: date) -> date:
        """A random day in [start, end), or ``start`` when the interval is empty (then nothing is drawn)."""
        return date.fromordinal(self._day_between(start.toordinal(), end.toordinal()))

    def _day_between(self, start: int, end: int) -> int:
        """``date_between`` on ordinals."""
        if end <= start:
            return start
        return start + self.draws.below(end - start)

    def address(self) -> dict[str, Any]:
        """A random address in France, as ``personne_row``'s residence columns."""
        return dict(zip(_ADDRESS_COLUMNS, self.address_values(), strict=True))

    def address_values(self) -> tuple[Any, ...]:
        """A random address in France, as the values of ``_ADDRESS_COLUMNS``."""
        below = self.draws.below
        dept, commune, libelle, cp = COMMUNES[below(len(COMMUNES))]
        code_voie, voie = VOIES[below(len(VOIES))]
        numero = NUMEROS_VOIE[below(len(NUMEROS_VOIE))]
        indice = INDICES_REPETITION[below(len(INDICES_REPETITION))]
        return dept, commune, libelle, numero, indice, code_voie, voie, None, cp

    def accounts_for(self, holders: list[int], born: date, *, couple: bool = False) -> None:
        """A person's (or a couple's) usual accounts: a current account, savings, sometimes more."""
        b, random_ = self.batch, self.draws.random
        today, between, day = self._today, self._day_between, date.fromordinal
        start = max(_add_years(born, 18).toordinal(), _FIRST_OPENING)
        if start >= today:
            start = today - 30
        guichet = self._random_branch()  # the household's bank, for all but a closed account
        guichet_id = guichet[1]
        if couple:
            opened = day(between(start, today - 60))
            compte = b.compte(
                iban=self._new_iban(guichet), guichet_id=guichet_id, ouverture=opened, nature=101, type_=2
            )
            for holder in holders:
                b.droit(compte, holder, nom.TITULAIRE, opened)
        for holder in holders:
            opened = day(between(start, today - 30))
            compte = b.compte(
                iban=self._new_iban(guichet),
                guichet_id=guichet_id,
                ouverture=opened,
                nature=101,
                caracteristique=2 if couple else 1,
            )
            b.droit(compte, holder, nom.TITULAIRE, opened)
            for nature, share in PRODUCTS:
                if random_() < share:
                    opened = day(between(start, today - 30))
                    compte = b.compte(
                        iban=self._new_iban(guichet, nature == nom.COFFRE_FORT),
                        guichet_id=guichet_id,
                        ouverture=opened,
                        nature=nature,
                        fiscale=opened if nature in FISCAL_NATURES else None,
                    )
                    b.droit(compte, holder, nom.TITULAIRE, opened)
            if random_() < 0.1:  # an account closed after a transfer to another bank
                opened_day = between(start, today - 400)
                opened, closed = day(opened_day), day(between(opened_day + 30, today - 5))
                elsewhere = self._random_branch()
                iban = self._new_iban(elsewhere)
                nature = CLOSED_NATURES[self.draws.below(len(CLOSED_NATURES))]
                compte = b.compte(iban=iban, guichet_id=elsewhere[1], ouverture=opened, nature=nature, cloture=closed)
                b.droit(compte, holder, nom.TITULAIRE, opened, fin=closed, maj=closed)


# A guichet as the Builder draws it: ((bank, code), id, its IBAN arithmetic or None for make_iban's).
_Branch = tuple[tuple[str, str], int, BranchIbans | None]


def _is_numeric_code(code: str) -> bool:
    return len(code) == 5 and code.isascii() and code.isdigit()


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def synthetic_people(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    """Persons with no counterpart in the tax file (procurataires, the benchmark's population…)."""
    for identity in _synthetic_identities(rng, count):
        yield dict(zip(_IDENTITY_COLUMNS, identity, strict=True))


# "01" … "99": months and days as FICOBA stores them.
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]


def _synthetic_identities(rng: random.Random, count: int) -> Iterator[tuple[Any, ...]]:
    """``synthetic_people``'s persons, as the values of ``_IDENTITY_COLUMNS`` (no SPI, no nom d'usage)."""
    draws = Draws(rng)
    below, random_ = draws.below, draws.random
    for _ in range(count):
        sexe = "12"[below(2)]
        year, month, day = 1940 + below(65), 1 + below(12), 1 + below(28)  # randint(1940, 2004) …
        abroad = random_() < 0.12
        dept, commune, libelle, _cp = COMMUNES[below(len(COMMUNES))]
        nom_naissance = NOMS[below(len(NOMS))]
        first_names = (1, 1, 2)[below(3)]
        prenoms = " ".join(rng.sample(PRENOMS_M if sexe == "1" else PRENOMS_F, first_names))
        yield (
            "PP",
            None,
            nom_naissance,
            None,
            prenoms,
            sexe,
            f"{year:04d}",
            "00" if abroad and random_() < 0.3 else _TWO_DIGITS[month],
            "00" if abroad and random_() < 0.3 else _TWO_DIGITS[day],
            PAYS_ETRANGERS[below(len(PAYS_ETRANGERS))] if abroad else nom.FRANCE,
            None if abroad else dept,
            None if abroad else commune,
            None if abroad else libelle,
            None,
        )


async def _guichets(session: AsyncSession) -> dict[tuple[str, str], int]:
    rows = await session.execute(select(Guichet.etablissement_code, Guichet.code, Guichet.id))
    return {(bank, code): gid for bank, code, gid in rows.all()}


BATCH_TABLES = (cast(Table, Personne.__table__), cast(Table, Compte.__table__), cast(Table, Droit.__table__))
_BATCH_TABLE_NAMES = tuple(table.name for table in BATCH_TABLES)  # their rows carry explicit ids
_DROIT_KIND = DROIT_COLUMNS.index("droit")
_ANNEE_NAISSANCE = _IDENTITY_COLUMNS.index("annee_naissance")
_COMPTE_NATURE = COMPTE_COLUMNS.index("code_nature")


async def insert_batch(session: AsyncSession, batch: Batch) -> None:
    """Load the built rows, parents first, with the secondary indexes built once after the load."""
    dialect = session.get_bind().dialect.name
    async with deferred_indexes(session, BATCH_TABLES):
        for table, rows in zip(BATCH_TABLES, batch.tables(), strict=True):
            records = prepare_records(table, rows, dialect)
            if records is not None:
                await insert_records(session, records)
            else:  # no rows, or a dialect only SQLAlchemy's executemany loads
                await insert_rows(session, table, rows.as_dicts())


async def seed(session: AsyncSession, settings: Settings) -> None:
    if await _banks_present(session):
        return  # seeded already (for a large population, by the population seeder: ``start_prepared``)
    await _insert_banks(session)
    guichets = await _guichets(session)
    # Plain rows, not ORM objects: 200,000 déclarants are read in a fraction of the time.
    columns = Declarant.__table__.columns
    # Rows with the déclarant's columns are read as déclarants (same attributes), hence the cast.
    declarants = [
        cast(Declarant, row) for row in await session.execute(select(*columns).order_by(columns.foyer_id, columns.rank))
    ]
    await insert_batch(session, build_batch(settings.seed, settings.seed_size, declarants, guichets))
    await advance_sequences(session, *_BATCH_TABLE_NAMES)


async def _banks_present(session: AsyncSession) -> bool:
    return bool(await session.scalar(select(func.count()).select_from(Etablissement)))


async def _insert_banks(session: AsyncSession) -> None:
    """The établissements and their guichets (ids from 1, in ``GUICHETS`` order on a fresh database)."""
    await session.execute(
        insert(Etablissement), [{"code": c, "libelle": label, "bic": b} for c, label, b in ETABLISSEMENTS]
    )
    await session.execute(
        insert(Guichet),
        [
            {
                "etablissement_code": bank,
                "code": code,
                "libelle": libelle,
                "lib_adr1": None,
                "lib_adr2": a2,
                "lib_adr3": a3,
                "lib_adr4": a4,
            }
            for bank, code, libelle, a2, a3, a4 in GUICHETS
        ],
    )


@collector_paused()  # the batch is hundreds of thousands of tuples: see collector_paused
def build_batch(seed: int, size: int, declarants: list[Declarant], guichets: dict[tuple[str, str], int]) -> Batch:
    """FICOBA's rows around the tax file's ``declarants`` (ordered by foyer and rank)."""
    rng = random.Random(f"ficoba:{seed}")  # noqa: S311 - deterministic fictitious data, not a secret
    batch = Batch()
    builder = Builder(rng, guichets, batch)
    spis = {d.spi for d in declarants}
    by_spi: dict[str, int] = {}

    # 1. The tax file's déclarants, one address per foyer, a joint account for most couples.
    foyers: dict[int, list[Declarant]] = {}
    for declarant in declarants:
        foyers.setdefault(declarant.foyer_id, []).append(declarant)
    for members in foyers.values():
        address = builder.address_values()
        ids = []
        for d in members:
            pid = batch.add_personne(_person_values(_declarant_identity(d), address))
            by_spi[d.spi] = pid
            ids.append((pid, d))
        couple = len(ids) == 2 and rng.random() < 0.7
        if couple:
            builder.accounts_for([pid for pid, _ in ids], min(d.date_naissance for _, d in ids), couple=True)
        else:
            for pid, d in ids:
                builder.accounts_for([pid], d.date_naissance)

    # 2. People outside the tax file: procurataires and mandataires.
    extra = []
    for identity in _synthetic_identities(rng, max(40, len(declarants) // 10)):
        pid = batch.add_personne(_person_values(identity, builder.address_values()))
        extra.append(pid)
        builder.accounts_for([pid], date(int(identity[_ANNEE_NAISSANCE]), 6, 15))
    holders = [row for row in batch.droits.rows if row[_DROIT_KIND] == nom.TITULAIRE]
    for _id, compte_id, _personne, _droit, debut, _fin, _maj in rng.sample(
        holders, min(len(holders), max(5, len(holders) // 20))
    ):
        batch.droit(compte_id, rng.choice(extra), nom.PROCURATION, debut + timedelta(days=10))

    # 3. Legal entities, their mandataires and bénéficiaires effectifs.
    physical = [pid for pid in by_spi.values()] or extra
    sirens: set[str] = set()
    for index in range(max(30, size // 20)):
        siren = make_siren(f"{rng.randrange(10**7, 10**8)}")
        while siren in sirens:
            siren = make_siren(f"{rng.randrange(10**7, 10**8)}")
        sirens.add(siren)
        categorie = rng.choice(CATEGORIES_PM)
        raison = f"{rng.choice(PM_MOTS)} {rng.choice(NOMS)} {rng.choice(PM_SUFFIXES)}"
        etablissements = 2 if index % 7 == 0 else 1
        for nic in range(etablissements):
            pm = batch.personne(
                kind="PM",
                raison_sociale=raison,
                sigle=None,
                enseigne=raison.split()[0] if nic else None,
                categorie_juridique=categorie,
                type_repertoire="SIRENE",
                siren=siren,
                siret=make_siret(siren, f"{nic + 1:04d}"),
                numero_rna=f"W{rng.randrange(10**9):09d}" if categorie == "9220" else None,
                **builder.address(),
            )
            opened = builder.date_between(date(2005, 1, 1), builder.today - timedelta(days=30))
            iban, guichet = builder.new_iban()
            compte = batch.compte(iban=iban, guichet_id=guichet, ouverture=opened, nature=101)
            batch.droit(compte, pm, nom.TITULAIRE, opened)
            batch.droit(compte, rng.choice(physical), nom.MANDATAIRE, opened)
            for be in rng.sample(physical, min(len(physical), rng.choice((1, 1, 2)))):
                batch.droit(compte, be, nom.BENEFICIAIRE_EFFECTIF, opened)
            if categorie in ("9220", "6540") or rng.random() < 0.2:
                nature = 201 if categorie == "9220" else 401
                iban, guichet = builder.new_iban()
                compte = batch.compte(iban=iban, guichet_id=guichet, ouverture=opened, nature=nature)
                batch.droit(compte, pm, nom.TITULAIRE, opened)

    # Every nature of annexe 1 at least once.
    present = {row[_COMPTE_NATURE] for row in batch.comptes.rows}
    for nature in sorted(set(nom.NATURES) - present):
        holder = rng.choice(extra)
        opened = builder.date_between(date(2000, 1, 1), builder.today - timedelta(days=30))
        iban, guichet = builder.new_iban(coffre_fort=nature == nom.COFFRE_FORT)
        compte = batch.compte(iban=iban, guichet_id=guichet, ouverture=opened, nature=nature)
        batch.droit(compte, holder, nom.TITULAIRE, opened)

    # 4. Named cases, among them the protocol's documented examples.
    _documented(builder, spis)
    return batch


# ---------------------------------------------------------------------------------------------------
# The same rows prepared in a worker process (seed.workers) while the population is being drawn and
# written, and written by the population seeder between its chunks, in its transaction (``start_prepared``,
# a companion of the population seeder for large seeds). The worker draws the déclarants from the
# population's own generator, the ones the population seeder is writing; ``seed`` then finds the rows there.

RECORDS_PER_PIECE = 20_000  # rows per piece sent by the worker: written between two population chunks


def _assumed_guichets() -> dict[tuple[str, str], int]:
    """The guichets' ids on a fresh database (inserted in ``GUICHETS`` order, ids from 1)."""
    return {(bank, code): index for index, (bank, code, *_rest) in enumerate(GUICHETS, start=1)}


def prepared_records(seed: int, size: int, dialect: str, per_piece: int, chunk_starts: Any) -> Iterator[Records]:
    """The records of ``BATCH_TABLES`` in pieces of ``per_piece`` rows, parents first: runs in the worker,
    from the population's own generator (publishing ``chunk_starts`` on the way, if given)."""
    from dgfip_sandbox.seed.population import declarant_rows

    names = [c.name for c in Declarant.__table__.columns]
    row_type = collections.namedtuple("_DeclarantRow", names)  # type: ignore[misc]  # names from the metadata
    declarants = [row_type(*(row[name] for name in names)) for row in declarant_rows(seed, size, chunk_starts)]
    batch = build_batch(seed, size, cast(list[Declarant], declarants), _assumed_guichets())
    for table, rows in zip(BATCH_TABLES, batch.tables(), strict=True):
        for start in range(0, len(rows.rows), per_piece):
            records = prepare_records(table, ColumnRows(rows.columns, rows.rows[start : start + per_piece]), dialect)
            if records is not None:
                yield records


class _PreparedRows:
    """The population seeder's companion: FICOBA's rows from the worker, written when they arrive."""

    tables: Sequence[Table] = BATCH_TABLES

    def __init__(self, worker: workers.Worker, *, publishes_chunk_starts: bool) -> None:
        self.publishes_chunk_starts = publishes_chunk_starts
        self._worker = worker
        self._pieces = worker.items()
        self._started = False
        self._done = False

    async def write_ready(self, session: AsyncSession) -> bool:
        if self._done or not self._worker.ready():
            return False
        return await self._write_next(session)

    async def write_rest(self, session: AsyncSession) -> None:
        while not self._done:
            await self._write_next(session)

    async def _write_next(self, session: AsyncSession) -> bool:
        if not self._started:
            if await _banks_present(session):  # FICOBA is there already: it keeps its rows
                self._done = True
                return False
            await _insert_banks(session)  # the guichets' ids the worker assumed (fresh tables)
            self._started = True
        piece = await anext(self._pieces, None)
        if piece is None:
            self._done = True
            await advance_sequences(session, *_BATCH_TABLE_NAMES)
            return False
        await insert_records(session, cast(Records, piece))
        return True

    def exitcode(self) -> int | None:
        return self._worker.exitcode()

    def close(self) -> None:
        self._worker.close()


@workers.companion
def start_prepared(settings: Settings, dialect: str, chunk_starts: Any) -> workers.Companion:
    """Start computing this seeder's rows in a worker (called by the population seeder, large seeds); the
    worker draws the whole population, so it publishes the population's ``chunk_starts`` if offered."""
    worker = workers.Worker(
        prepared_records, settings.seed, settings.seed_size, dialect, RECORDS_PER_PIECE, chunk_starts
    )
    return _PreparedRows(worker, publishes_chunk_starts=chunk_starts is not None)


def _documented(builder: Builder, taken_spis: set[str]) -> None:
    b, g = builder.batch, builder.guichets
    d = date.fromisoformat
    clash = taken_spis & {p["spi"] for p in PERSONAS if p["spi"]}
    if clash:
        raise RuntimeError(f"SPI of a FICOBA persona already in the tax file: {sorted(clash)}")

    def pp(
        nom_naissance: str,
        prenoms: str,
        sexe: str,
        born: str,
        spi: str,
        *,
        pays: str = nom.FRANCE,
        dept: str | None = None,
        commune: str | None = None,
        lieu: str | None = None,
        address: dict[str, Any] | None = None,
    ) -> int:
        year, month, day = born.split("-")
        return b.personne(
            kind="PP",
            spi=spi,
            nom_naissance=nom_naissance,
            prenoms=prenoms,
            sexe=sexe,
            annee_naissance=year,
            mois_naissance=month,
            jour_naissance=day,
            code_pays_naissance=pays,
            code_departement_naissance=dept,
            code_commune_naissance=commune,
            libelle_commune_naissance=lieu,
            **(address or builder.address()),
        )

    def paris(commune: str, numero: str, voie_code: str, voie: str, cp: str) -> dict[str, Any]:
        return {
            "code_departement_residence": "75",
            "code_commune_residence": commune,
            "libelle_commune_residence": "PARIS",
            "code_postal": cp,
            "numero_voie": numero,
            "code_nature_voie": voie_code,
            "libelle_voie": voie,
        }

    def simple(holder: int, iban: str, opened: str, nature: int = 101, **kwargs: Any) -> int:
        bank, branch = iban[4:9], iban[9:14]
        compte = b.compte(iban=iban, guichet_id=g[(bank, branch)], ouverture=d(opened), nature=nature, **kwargs)
        b.droit(compte, holder, nom.TITULAIRE, d(opened))
        return compte

    # §2.5.2 numCpte: ROLLIN with a procuration to DIEZ (born in Algeria).
    rollin = pp(
        "ROLLIN",
        "AMELIE MARIE JUSTINE",
        "2",
        "1993-09-01",
        SPI_ROLLIN,
        dept="94",
        commune="028",
        lieu="CRETEIL",
        address=paris("111", "12", "AV", "PHILIPPE AUGUSTE", "75011"),
    )
    diez = pp("DIEZ", "CORINNE ANNE MARIE", "2", "1958-01-10", SPI_DIEZ, pays="99352")
    compte = b.compte(
        iban="FR7630004009550000135601429", guichet_id=g[("30004", "00955")], ouverture=d("2012-04-07"), nature=101
    )
    b.droit(compte, diez, nom.PROCURATION, d("2023-11-27"), maj=d("2024-03-21"))
    b.droit(compte, rollin, nom.TITULAIRE, d("2023-11-27"), maj=d("2024-03-21"))

    # §3.5.2 spi: DUBOIS DANIEL, a closed livret A, a joint account, his sole proprietorship's account.
    dubois = pp(
        "DUBOIS",
        "DANIEL",
        "1",
        "1958-02-18",
        SPI_DUBOIS,
        dept="13",
        commune="055",
        lieu="MARSEILLE",
        address=paris("116", "99", "RUE", "MONTAIGNE", "75016"),
    )
    marie = pp(
        "DUBOIS",
        "MARIE PIERRE",
        "2",
        "1968-02-18",
        SPI_DUBOIS_MARIE,
        dept="13",
        commune="055",
        lieu="MARSEILLE",
        address=paris("108", "34", "RUE", "DE LA PAIX", "75008"),
    )
    trappes = g[("12619", "00024")]
    compte = b.compte(
        iban="FR7612619000243847384737463",
        guichet_id=trappes,
        ouverture=d("2023-11-30"),
        nature=201,
        cloture=d("2023-12-01"),
    )
    b.droit(compte, dubois, nom.TITULAIRE, d("2023-12-02"), maj=d("2024-07-03"))
    compte = b.compte(
        iban="FR7612619000243843748343457", guichet_id=trappes, ouverture=d("2023-11-30"), nature=101, type_=2
    )
    b.droit(compte, marie, nom.TITULAIRE, d("2023-12-01"), maj=d("2024-07-02"))
    b.droit(compte, dubois, nom.TITULAIRE, d("2023-12-01"), maj=d("2024-07-02"))
    dubois_ei = b.personne(
        kind="PM",
        raison_sociale="DUBOIS DANIEL",
        categorie_juridique="1000",
        siren="946827684",
        siret="94682768462289",
        numero_copro="102010",
        numero_rna="22222",
        numero_lei="969500VY3US76MX3IZ76",
        **paris("116", "99", "RUE", "MONTAIGNE", "75016"),
    )
    compte = b.compte(iban="FR7612619000243483748343475", guichet_id=trappes, ouverture=d("2023-11-30"), nature=101)
    b.droit(compte, dubois_ei, nom.TITULAIRE, d("2023-12-01"), maj=d("2024-07-02"))
    b.droit(compte, dubois, nom.ETCI_EI, d("2023-12-01"), maj=d("2024-07-02"))

    # §5.5.2 perPro: MARSHALL LINE.
    marshall = b.personne(
        kind="PM",
        raison_sociale="MARSHALL LINE",
        categorie_juridique="1000",
        siren="126557685",
        siret="12655768512289",
        **paris("101", "34", "RUE", "DE LA BOURSE", "75001"),
    )
    compte = b.compte(iban="FR7612619000247463376343426", guichet_id=trappes, ouverture=d("2023-11-30"), nature=101)
    b.droit(compte, marshall, nom.TITULAIRE, d("2023-12-01"), maj=d("2024-03-22"))

    # §6.5.2 perPhy: JABALI HAKIM, with a procuration to an association.
    jabali = pp(
        "JABALI",
        "HAKIM",
        "1",
        "1995-08-07",
        SPI_JABALI,
        dept="44",
        commune="109",
        lieu="NANTES",
        address={
            "code_departement_residence": "92",
            "code_commune_residence": "051",
            "libelle_commune_residence": "NEUILLY-SUR-SEINE",
            "code_postal": "92200",
            "numero_voie": "34",
            "code_nature_voie": "RUE",
            "libelle_voie": "SOYER",
        },
    )
    club = b.personne(
        kind="PM",
        raison_sociale="NANTERRE RUGBY CLUB",
        sigle="NCC",
        categorie_juridique="6540",
        siren="382283467",
        siret="38228346709377",
        numero_copro="1451222244",
        numero_rna="1451222233",
        numero_lei="969500BQ6JWNL1WTGX41",
        **builder.address(),
    )
    compte = simple(jabali, "FR7610107006163355668777396", "2024-02-22")
    b.droit(compte, club, nom.PROCURATION, d("2024-02-23"), maj=d("2024-04-16"))

    # §8.5.2 multiDet: MAHAMADOU GARBA MALKA (born in Niger) holds a livret A; her homonym MANON does not.
    malka = pp("MAHAMADOU GARBA", "MALKA", "2", "1995-10-09", SPI_MALKA, pays="99344")
    manon = pp("MAHAMADOU GARBA", "MANON", "2", "1991-10-09", SPI_MANON, pays="99344")
    simple(malka, "FR7630004008110003124794680", "2023-01-26", 201)
    simple(manon, IBAN_MANON, "2019-05-02")

    # §8.3.1 / §8.5.2 multiDet by PM and by SIREN: AEROLINK TECH holds a livret A.
    aerolink = b.personne(
        kind="PM",
        raison_sociale="AEROLINK TECH",
        categorie_juridique="5520",
        siren="518767462",
        siret="51876746200014",
        **paris("108", "5", "RUE", "DE MIROMESNIL", "75008"),
    )
    simple(aerolink, IBAN_AEROLINK, "2023-01-26", 201)

    # §7.3 verifIban: CORBUSIER (Citibank), BLANGY NOAH (born 2012), WORLD MEDIA's safe-deposit boxes (the FC
    # numbers name guichets 02197 and 00871, which the sandbox does not have: the boxes sit at AG NATION).
    corbusier = pp(
        "CORBUSIER",
        "CHARLES EDOUARD",
        "1",
        "1911-11-11",
        SPI_CORBUSIER,
        dept="78",
        commune="498",
        lieu="SAINT-GERMAIN-EN-LAYE",
    )
    simple(corbusier, "FR7611689007003478364737625", "1990-03-12")
    blangy = pp("BLANGY", "NOAH", "1", "2012-10-19", SPI_BLANGY, dept="75", commune="115", lieu="PARIS")
    simple(blangy, "FR7630004016920000166957361", "2013-01-05", 201)
    world = b.personne(
        kind="PM",
        raison_sociale="WORLD MEDIA",
        categorie_juridique="1000",
        siren="785620725",
        siret="78562072500032",
        **builder.address(),
    )
    nation = g[("30004", "00955")]
    for iban, opened in (("FC1430004021971896960539599", "2018-06-01"), ("FC1030004008711812050237399", "2020-09-15")):
        coffre = b.compte(iban=iban, guichet_id=nation, ouverture=d(opened), nature=nom.COFFRE_FORT)
        b.droit(coffre, world, nom.TITULAIRE, d(opened))

    # A minor born within ten years (birth-date range searches), her father holding a procuration.
    lucie = pp("LEGRAND", "LUCIE", "2", "2019-04-14", SPI_LUCIE, dept="69", commune="123", lieu="LYON")
    thomas = pp("LEGRAND", "THOMAS", "1", "1986-02-03", SPI_THOMAS, dept="69", commune="123", lieu="LYON")
    compte = simple(lucie, IBAN_LUCIE, "2019-06-01", 204)
    b.droit(compte, thomas, nom.PROCURATION, d("2019-06-01"))

    # Homonyms: two MARTIN JEAN born in 1975, one in Lyon, one in Lille.
    lyon = pp("MARTIN", "JEAN", "1", "1975-03-02", SPI_MARTIN_LYON, dept="69", commune="123", lieu="LYON")
    lille = pp("MARTIN", "JEAN PAUL", "1", "1975-11-20", SPI_MARTIN_LILLE, dept="59", commune="350", lieu="LILLE")
    simple(lyon, IBAN_MARTIN_LYON, "2001-09-10")
    simple(lille, IBAN_MARTIN_LILLE, "2001-09-10")

    # Born abroad with an incomplete birth date ("00"), a name with an apostrophe.
    oconnor = b.personne(
        kind="PP",
        spi=SPI_OCONNOR,
        nom_naissance="O'CONNOR",
        prenoms="SEAN",
        sexe="1",
        annee_naissance="1980",
        mois_naissance="00",
        jour_naissance="00",
        code_pays_naissance="99136",
        **builder.address(),
    )
    simple(oconnor, IBAN_OCONNOR, "2015-02-01")

    # A company with a mandataire and two bénéficiaires effectifs, and an account closed in 2010.
    boulangerie = b.personne(
        kind="PM",
        raison_sociale="BOULANGERIE DES QUAIS",
        enseigne="AU BON PAIN",
        categorie_juridique="5499",
        siren=SIREN_BOULANGERIE,
        siret=SIRET_BOULANGERIE,
        **builder.address(),
    )
    claire = pp("FONTAINE", "CLAIRE", "2", "1972-05-30", SPI_FONTAINE_CLAIRE, dept="33", commune="063", lieu="BORDEAUX")
    paul = pp("FONTAINE", "PAUL", "1", "1970-12-01", SPI_FONTAINE_PAUL, dept="33", commune="063", lieu="BORDEAUX")
    compte = simple(boulangerie, IBAN_BOULANGERIE, "2010-01-04")
    b.droit(compte, claire, nom.MANDATAIRE, d("2010-01-04"))
    b.droit(compte, claire, nom.BENEFICIAIRE_EFFECTIF, d("2017-08-01"))
    b.droit(compte, paul, nom.BENEFICIAIRE_EFFECTIF, d("2017-08-01"))
    compte = b.compte(
        iban=IBAN_BOULANGERIE_CLOS,
        guichet_id=g[("30002", "00480")],
        ouverture=d("2004-03-01"),
        nature=101,
        cloture=d("2010-02-01"),
    )
    b.droit(compte, boulangerie, nom.TITULAIRE, d("2004-03-01"), fin=d("2010-02-01"))
