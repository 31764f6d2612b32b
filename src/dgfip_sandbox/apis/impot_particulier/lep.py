"""Livret d'épargne populaire: the revenu fiscal de référence ceilings the LEP indicator is judged on.

DGFIP's LEP documentation is only published on its APIM portal. The ceilings below are the 2025
barème as published by the press (first part, first extra half-part, each further half-part; France
métropolitaine, Guadeloupe/Martinique/La Réunion, Guyane, Mayotte). The sandbox reuses them for 2026
(assumption). Other barème years get "204 Aucune réponse ne peut être apportée".
"""

from __future__ import annotations

_2025 = {
    "metropole": (22823, 6095, 6095),
    "antilles_reunion": (27009, 6450, 6095),
    "guyane": (28236, 7771, 6239),
    "mayotte": (42318, 11644, 6095),
}
LEP_CEILINGS: dict[int, dict[str, tuple[int, int, int]]] = {2025: _2025, 2026: _2025}


def zone(departement: str) -> str:
    return {
        "971": "antilles_reunion",
        "972": "antilles_reunion",
        "974": "antilles_reunion",
        "973": "guyane",
        "976": "mayotte",
    }.get(departement, "metropole")


def ceiling(bareme: int, departement: str, nb_part: float) -> int | None:
    table = LEP_CEILINGS.get(bareme)
    if table is None:
        return None
    first, first_half, further = table[zone(departement)]
    half_parts = max(0.0, (nb_part - 1) * 2)
    return round(first + min(half_parts, 1.0) * first_half + max(half_parts - 1, 0.0) * further)


def statut(rfr: int, bareme: int, departement: str, nb_part: float) -> str | None:
    """ "O" eligible, "N" not eligible, ``None`` when the barème is unknown."""
    limit = ceiling(bareme, departement, nb_part)
    if limit is None:
        return None
    return "O" if rfr <= limit else "N"
