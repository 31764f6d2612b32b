"""The SPI (numéro fiscal, "Simplification des Procédures d'Identification"): 13 digits, first digit 0–3,
the last three digits are a check key (the first ten digits modulo 511).

python-stdnum's ``fr.nif`` implements that structure; this module gives the sandbox's vocabulary on top
of it: why a value is refused (for the error messages) and how the seed draws new SPIs.
"""

from __future__ import annotations

import random

from stdnum.fr import nif

SPI_LENGTH = 13


def spi_problem(value: str) -> str | None:
    """``None`` for a well-formed SPI, else a short French explanation of what is wrong."""
    if len(value) != SPI_LENGTH:
        return f"le SPI doit compter 13 caractères ({len(value)} reçus)"
    if not value.isdigit() or not value.isascii():
        return "le SPI ne doit contenir que des chiffres"
    if value[0] not in "0123":
        return "le SPI doit commencer par 0, 1, 2 ou 3"
    if not nif.is_valid(value):
        return "la clé de contrôle du SPI (3 derniers chiffres) est invalide"
    return None


def is_valid_spi(value: str) -> bool:
    return spi_problem(value) is None


def spi_from_base(base: str) -> str:
    """The SPI whose first ten digits are ``base`` (check key appended)."""
    if len(base) != 10 or not base.isdigit() or base[0] not in "0123":
        raise ValueError(f"bad SPI base {base!r}")
    return base + nif.calc_check_digits(base)


def random_spi(rng: random.Random) -> str:
    return spi_from_base(str(rng.randrange(0, 4)) + f"{rng.randrange(0, 10**9):09d}")
