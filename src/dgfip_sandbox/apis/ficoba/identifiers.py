"""Account numbers and company identifiers: checks and construction, through python-stdnum and schwifty.

FICOBA identifies accounts by IBAN (``FR``) and safe-deposit boxes by "un numéro de coffre-fort au
format IBAN" (``FC``, §2.1 / §7.3.2): 27 characters, ISO 7064 mod 97-10 check digits after the country
code, then code banque (5), code guichet (5), numéro de compte (11) and clé RIB (2). The protocol's own
``FC`` examples carry a clé RIB of 99, so only ``FR`` numbers have their clé RIB checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import luhn
from stdnum.iso7064 import mod_97_10

# "FR00" with its letters as ISO 13616 numbers (F = 15, R = 27), appended to the BBAN for the mod 97.
_FR00 = "152700"
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
_SHAPE = re.compile(r"(FR|FC)[0-9]{2}[0-9]{10}[0-9A-Z]{11}[0-9]{2}", re.ASCII)


def is_valid_iban(value: str) -> bool:
    if not _SHAPE.fullmatch(value):
        return False
    if not mod_97_10.is_valid(value[4:] + value[:4]):
        return False
    if value.startswith("FR"):
        try:
            IBAN(value, validate_bban=True)
        except SchwiftyException:
            return False
    return True


def make_iban(bank_code: str, branch_code: str, account_code: str, *, coffre_fort: bool = False) -> str:
    """A French IBAN with valid mod 97 and clé RIB; an ``FC`` number for a safe-deposit box.

    Numeric codes (what the seed draws) are computed here: the clé RIB is 97 − (89·banque + 15·guichet +
    3·compte) mod 97, the IBAN check digits 98 − (BBAN·"FR00") mod 97 — the same numbers as schwifty's
    ``IBAN.generate`` (tests/ficoba/test_identifiers.py compares them), forty times faster, which seeding
    100,000 foyers needs. Other codes (letters in the account number) go through schwifty."""
    if (
        all(_ASCII_DIGITS.fullmatch(code) for code in (bank_code, branch_code, account_code))
        and len(account_code) == 11
    ):
        iban = numeric_fr_iban(bank_code, branch_code, account_code)
    else:
        iban = str(IBAN.generate("FR", bank_code=bank_code, branch_code=branch_code, account_code=account_code))
    if not coffre_fort:
        return iban
    bban = iban[4:]
    return "FC" + mod_97_10.calc_check_digits(bban + "FC") + bban


def numeric_fr_iban(bank_code: str, branch_code: str, account_code: str) -> str:
    """``make_iban`` for codes of ASCII digits (5, 5 and 11 of them), which the caller guarantees."""
    key = 97 - (89 * int(bank_code) + 15 * int(branch_code) + 3 * int(account_code)) % 97
    bban = f"{bank_code}{branch_code}{account_code}{key:02d}"
    return f"FR{98 - int(bban + _FR00) % 97:02d}{bban}"


@dataclass(frozen=True, slots=True)
class BranchIbans:
    """``make_iban(bank_code, branch_code, f"{account:011d}", coffre_fort=...)`` for one branch whose
    codes are five ASCII digits each (the caller guarantees), the codes' share of both mod 97 sums
    computed once: the seed makes an IBAN per account, hundreds of thousands of them.

    As numbers, BBAN = banque·guichet·10^13 + compte·10^2 + clé, and the check digits are 98 − (BBAN·10^6
    + "FR00" or "FC00" as digits) mod 97 (``numeric_fr_iban``; ``mod_97_10.calc_check_digits`` for FC):
    computed mod 97 term by term, on small ints."""

    codes: str  # banque then guichet, 10 digits
    rib_share: int  # (89·banque + 15·guichet) mod 97, the clé RIB's part
    iban_share: int  # banque·guichet·10^19 mod 97, the check digits' part

    @classmethod
    def of(cls, bank_code: str, branch_code: str) -> BranchIbans:
        return cls(
            bank_code + branch_code,
            (89 * int(bank_code) + 15 * int(branch_code)) % 97,
            int(bank_code + branch_code) * 10**19 % 97,
        )

    def iban(self, account: int, *, coffre_fort: bool = False) -> str:
        """The IBAN (``FC`` number for a safe-deposit box) of account number ``account`` (< 10^11)."""
        account_share = account % 97
        key = 97 - (self.rib_share + 3 * account_share) % 97
        country, suffix = ("FC", _FC00_SHARE) if coffre_fort else ("FR", _FR00_SHARE)
        check = 98 - (self.iban_share + account_share * _E8_SHARE + key * _E6_SHARE + suffix) % 97
        # Table lookups and zfill rather than format specs (":02d"), several times slower.
        return f"{country}{_TWO_DIGITS[check]}{self.codes}{str(account).zfill(11)}{_TWO_DIGITS[key]}"


# BranchIbans' terms mod 97: the account number's place (10^8), the clé's (10^6), "FR00" and "FC00".
_E8_SHARE, _E6_SHARE = 10**8 % 97, 10**6 % 97
_FR00_SHARE, _FC00_SHARE = 152700 % 97, 151200 % 97
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]


def make_siren(stem: str) -> str:
    """A SIREN from 8 digits: the Luhn check digit appended."""
    return stem + luhn.calc_check_digit(stem)


def make_siret(siren: str, nic_stem: str) -> str:
    """A SIRET from a SIREN and the first 4 digits of the NIC: the Luhn check digit appended."""
    return siren + nic_stem + luhn.calc_check_digit(siren + nic_stem)
