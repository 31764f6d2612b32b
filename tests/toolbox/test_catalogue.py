"""The catalogues consumer administration checks against (catalogue.py)."""

from __future__ import annotations

import pytest

from dgfip_sandbox import catalogue
from dgfip_sandbox.seed.consumers import demo_consumers


def test_every_demo_consumer_is_within_the_catalogues() -> None:
    for spec in demo_consumers():
        assert catalogue.check_oauth_scopes(spec.oauth_scopes) == list(spec.oauth_scopes)
        assert catalogue.check_datapass_scopes(spec.datapass_scopes) == list(spec.datapass_scopes)
        assert catalogue.check_ficoba_modalities(spec.ficoba_modalities) == list(spec.ficoba_modalities)
        assert catalogue.check_ficoba_motifs(spec.ficoba_motifs) == list(spec.ficoba_motifs)
        assert catalogue.check_quota_tier(spec.quota_per_minute) == spec.quota_per_minute


def test_duplicates_are_dropped_and_motifs_take_four_digits() -> None:
    assert catalogue.check_oauth_scopes(["RessourceIR", " RessourceIR "]) == ["RessourceIR"]
    assert catalogue.check_ficoba_motifs(["3", "0003", "21"]) == ["0003", "0021"]


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (catalogue.check_oauth_scopes, "RessourceFoo", "scope OAuth inconnu : « RessourceFoo » (valeurs possibles : "),
        (catalogue.check_datapass_scopes, "dgfip_foo", "scope DataPass inconnu : « dgfip_foo »"),
        (catalogue.check_ficoba_modalities, "iban", "modalité FICOBA inconnu : « iban »"),
        (catalogue.check_ficoba_motifs, "M01", "motif FICOBA inconnu : « M01 »"),
    ],
)
def test_an_unknown_value_is_refused_with_every_valid_one(check, value: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(catalogue.CatalogueError) as refused:
        check([value])
    assert str(refused.value).startswith(message)


def test_datapass_catalogue_holds_both_apis_and_the_sandbox_pseudo_scope() -> None:
    for scope in (
        "dgfip_rfr",
        "dgfip_IndLep",
        "dgfip_ficoba_compte",
        "dgfip_ficoba_iban",
        "sandbox_besoins_specifiques",
    ):
        assert scope in catalogue.DATAPASS_SCOPES
    with pytest.raises(catalogue.CatalogueError, match="200, 500, 750"):
        catalogue.check_quota_tier(1000)
