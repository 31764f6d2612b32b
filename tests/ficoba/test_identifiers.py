"""The seed's fast IBAN construction gives exactly schwifty's numbers (the seed stays the same)."""

from __future__ import annotations

import random

from schwifty import IBAN

from dgfip_sandbox.apis.ficoba.identifiers import BranchIbans, is_valid_iban, make_iban
from dgfip_sandbox.seed.ficoba import GUICHETS


def test_make_iban_equals_schwifty_for_numeric_codes() -> None:
    rng = random.Random(7)
    branches = [(bank, code) for bank, code, *_ in GUICHETS]
    for _ in range(5000):
        bank, branch = rng.choice(branches)
        account = f"{rng.randrange(10**10):010d}{rng.randrange(10)}"
        expected = str(IBAN.generate("FR", bank_code=bank, branch_code=branch, account_code=account))
        assert make_iban(bank, branch, account) == expected
        assert is_valid_iban(expected)


def test_make_iban_with_letters_goes_through_schwifty() -> None:
    iban = make_iban("30004", "00001", "0001234567A")
    assert iban == str(IBAN.generate("FR", bank_code="30004", branch_code="00001", account_code="0001234567A"))
    assert is_valid_iban(iban)


def test_coffre_fort_number_keeps_the_bban_and_its_own_check_digits() -> None:
    iban = make_iban("30004", "00001", "00012345678")
    fc = make_iban("30004", "00001", "00012345678", coffre_fort=True)
    assert fc.startswith("FC") and fc[4:] == iban[4:]
    assert is_valid_iban(fc)


def test_branch_ibans_equal_make_iban() -> None:
    rng = random.Random(11)
    branches = [(bank, code) for bank, code, *_ in GUICHETS] + [("99999", "99999"), ("00000", "00000")]
    for _ in range(20000):
        bank, branch = rng.choice(branches)
        account = rng.choice((rng.randrange(10**11), 0, 10**11 - 1))
        coffre_fort = rng.random() < 0.2
        expected = make_iban(bank, branch, f"{account:011d}", coffre_fort=coffre_fort)
        assert BranchIbans.of(bank, branch).iban(account, coffre_fort=coffre_fort) == expected
