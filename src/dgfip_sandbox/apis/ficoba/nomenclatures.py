"""FICOBA's reference tables (protocole technique Ficoba3 v8, annexes 1-5 and 7, and §2.5.3.5).

Codes and labels as the protocol publishes them; the few labels it does not publish are marked [I].
"""

from __future__ import annotations

# Annexe 1: natures de compte.
NATURES: dict[int, str] = {
    101: "Compte courant bancaire",
    102: "Compte chèque postal",
    103: "Compte de paiement",
    104: "Compte de monnaie électronique",
    201: "Compte d'épargne livret A",
    202: "Compte d'épargne livret bleu",
    203: "Compte d'épargne livret B",
    204: "Compte d'épargne livret jeune",
    205: "Livret de développement durable solidaire",
    206: "Livret d'épargne populaire",
    207: "Livret d'épargne entreprise",
    208: "Livret d'épargne des travailleurs manuels",
    209: "Plan d'épargne logement",
    210: "Compte d'épargne logement",
    211: "Plan d'épargne populaire",
    212: "Plan d'épargne en actions",
    213: "Plan d'épargne retraite",
    214: "PEA-PME",
    215: "Plan d'épargne d'entreprise",
    216: "Compte sur Livret",
    217: "Plan d'épargne avenir climat",
    300: "Compte a terme",
    401: "Comptes-titres",
    500: "Coffre-fort",
    900: "Autre compte",
}

COFFRE_FORT = 500

# Natures a bank may check before opening a regulated account (multi-détention, OS035) [I]: the
# regulated savings products whose law forbids holding two. CAF017 for any other known nature.
MULTI_DETENTION_NATURES: frozenset[int] = frozenset({201, 202, 204, 205, 206, 209, 210, 211, 212, 213, 214, 217})

# "Concernant l'ouverture d'un compte de nature 201, il est effectué en base une recherche sur la
# présence d'un compte de nature 201 et de nature 202" (§8.3.2).
MULTI_DETENTION_EQUIVALENTS: dict[int, frozenset[int]] = {201: frozenset({201, 202}), 202: frozenset({201, 202})}

# Annexe 2 (the response examples write the short form "Simple" / "Joint").
TYPES: dict[int, str] = {1: "Simple", 2: "Joint", 3: "Collectif", 4: "Indivis avec ou sans solidarite"}

# Annexe 3.
CARACTERISTIQUES: dict[int, str] = {1: "Compte unique", 2: "Compte principal"}

# §8.5.3.2 codeMotifOuverture.
MOTIFS_OUVERTURE: dict[str, str] = {
    "0": "Ouverture par le titulaire",
    "1": "Ouverture par transfert d'un autre établissement",
    "2": "Ouverture suite à succession",
    "3": "Ouverture par transfert d'un compte issu d'une succession",
}

# §2.5.3.5.1 droitSurCompte: "1 : titulaire 2 : procuration 6 : mandataire 8 : etci ei 9 : bénéficiaire
# effectif"; the examples render the label ("Titulaire", "Procuration").
TITULAIRE, PROCURATION, MANDATAIRE, ETCI_EI, BENEFICIAIRE_EFFECTIF = 1, 2, 6, 8, 9
DROITS: dict[int, str] = {
    TITULAIRE: "Titulaire",
    PROCURATION: "Procuration",
    MANDATAIRE: "Mandataire",
    ETCI_EI: "Etci ei",
    BENEFICIAIRE_EFFECTIF: "Beneficiaire effectif",
}

# Request sexe codes (§8.3.2 "1 : Masculin 2 : Feminin 3 : Inconnu 4 : Non défini") and their labels.
SEXES: dict[str, str] = {"1": "Masculin", "2": "Feminin", "3": "Inconnu", "4": "Non defini"}

# Annexe 5: "non" / "oui".
OUI_NON = {False: "non", True: "oui"}

FRANCE = "99100"

# INSEE COG codes of the countries the sandbox population is born in (libellés as FICOBA writes them).
PAYS: dict[str, str] = {
    "99100": "FRANCE",
    "99101": "DANEMARK",
    "99109": "ALLEMAGNE",
    "99127": "ITALIE",
    "99131": "BELGIQUE",
    "99132": "ROYAUME-UNI",
    "99136": "IRLANDE",
    "99134": "ESPAGNE",
    "99139": "PORTUGAL",
    "99140": "SUISSE",
    "99122": "POLOGNE",
    "99123": "ROUMANIE",
    "99350": "MAROC",
    "99351": "TUNISIE",
    "99352": "REPUBLIQUE ALGERIENNE DEMOCRATIQUE ET POPULAIRE",
    "99341": "SENEGAL",
    "99344": "NIGER",
    "99326": "COTE D'IVOIRE",
    "99324": "CAMEROUN",
    "99243": "VIET NAM",
    "99216": "CHINE",
    "99404": "CANADA",
    "99415": "BRESIL",
    "99417": "PEROU",
}

# Départements (INSEE COG), as the protocol's examples write them ("Bouches-du-Rhone", "Val-de-Marne").
DEPARTEMENTS: dict[str, str] = {
    "01": "Ain",
    "02": "Aisne",
    "03": "Allier",
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "07": "Ardeche",
    "08": "Ardennes",
    "09": "Ariege",
    "10": "Aube",
    "11": "Aude",
    "12": "Aveyron",
    "13": "Bouches-du-Rhone",
    "14": "Calvados",
    "15": "Cantal",
    "16": "Charente",
    "17": "Charente-Maritime",
    "18": "Cher",
    "19": "Correze",
    "2A": "Corse-du-Sud",
    "2B": "Haute-Corse",
    "21": "Cote-d'Or",
    "22": "Cotes-d'Armor",
    "23": "Creuse",
    "24": "Dordogne",
    "25": "Doubs",
    "26": "Drome",
    "27": "Eure",
    "28": "Eure-et-Loir",
    "29": "Finistere",
    "30": "Gard",
    "31": "Haute-Garonne",
    "32": "Gers",
    "33": "Gironde",
    "34": "Herault",
    "35": "Ille-et-Vilaine",
    "36": "Indre",
    "37": "Indre-et-Loire",
    "38": "Isere",
    "39": "Jura",
    "40": "Landes",
    "41": "Loir-et-Cher",
    "42": "Loire",
    "43": "Haute-Loire",
    "44": "Loire-Atlantique",
    "45": "Loiret",
    "46": "Lot",
    "47": "Lot-et-Garonne",
    "48": "Lozere",
    "49": "Maine-et-Loire",
    "50": "Manche",
    "51": "Marne",
    "52": "Haute-Marne",
    "53": "Mayenne",
    "54": "Meurthe-et-Moselle",
    "55": "Meuse",
    "56": "Morbihan",
    "57": "Moselle",
    "58": "Nievre",
    "59": "Nord",
    "60": "Oise",
    "61": "Orne",
    "62": "Pas-de-Calais",
    "63": "Puy-de-Dome",
    "64": "Pyrenees-Atlantiques",
    "65": "Hautes-Pyrenees",
    "66": "Pyrenees-Orientales",
    "67": "Bas-Rhin",
    "68": "Haut-Rhin",
    "69": "Rhone",
    "70": "Haute-Saone",
    "71": "Saone-et-Loire",
    "72": "Sarthe",
    "73": "Savoie",
    "74": "Haute-Savoie",
    "75": "Paris",
    "76": "Seine-Maritime",
    "77": "Seine-et-Marne",
    "78": "Yvelines",
    "79": "Deux-Sevres",
    "80": "Somme",
    "81": "Tarn",
    "82": "Tarn-et-Garonne",
    "83": "Var",
    "84": "Vaucluse",
    "85": "Vendee",
    "86": "Vienne",
    "87": "Haute-Vienne",
    "88": "Vosges",
    "89": "Yonne",
    "90": "Territoire de Belfort",
    "91": "Essonne",
    "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis",
    "94": "Val-de-Marne",
    "95": "Val-d'Oise",
    "971": "Guadeloupe",
    "972": "Martinique",
    "973": "Guyane",
    "974": "La Reunion",
    "976": "Mayotte",
}


def split_commune(code_insee: str | None) -> tuple[str | None, str | None]:
    """Split an INSEE commune code (13055) into FICOBA's département (13) and commune (055) parts."""
    if not code_insee or len(code_insee) != 5:
        return None, None
    if code_insee.startswith("97"):
        return code_insee[:3], code_insee[3:]
    return code_insee[:2], code_insee[2:]


def libelle_pays(code: str | None) -> str | None:
    return PAYS.get(code or "")
