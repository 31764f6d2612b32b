"""The identité pivot of a citizen, the claims released per scope, and pairwise ``sub``.

``sub`` follows FranceConnect's ``computeSubV1``: SHA-256 hex of (the relying party's client_id +
the identity hash + a secret) followed by "v1"; the identity hash is the base64 SHA-256 of
given_name + family_name + birthdate + gender + birthplace + birthcountry. So each FS, and each
data provider, sees its own stable pseudonym for the same person.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from typing import Any

from dgfip_sandbox.franceconnect.scopes import claims_for_scopes
from dgfip_sandbox.store.franceconnect import FcCitizen

IDP_ID = "fip-demo-dgfip-sandbox"
IDP_HOST = "fip.bac-a-sable.local"
AMR = ["pwd"]


def identity_hash(citizen: FcCitizen) -> str:
    raw = "".join(
        (
            citizen.given_name,
            citizen.family_name,
            citizen.birthdate,
            citizen.gender,
            citizen.birthplace or "",
            citizen.birthcountry,
        )
    )
    return base64.b64encode(hashlib.sha256(raw.encode()).digest()).decode()


def pairwise_sub(client_id: str, citizen: FcCitizen, secret: str) -> str:
    return hashlib.sha256(f"{client_id}{identity_hash(citizen)}{secret}".encode()).hexdigest() + "v1"


def pivot_identity(citizen: FcCitizen) -> dict[str, Any]:
    """The identité pivot as the checktoken introspection carries it (birthplace only for France)."""
    identity: dict[str, Any] = {
        "gender": citizen.gender,
        "family_name": citizen.family_name,
        "given_name": citizen.given_name,
        "given_name_array": citizen.given_name.split(),
        "birthdate": citizen.birthdate,
    }
    if citizen.birthcountry == "99100":
        identity["birthplace"] = citizen.birthplace
    identity["birthcountry"] = citizen.birthcountry
    return identity


def all_claims(citizen: FcCitizen) -> dict[str, Any]:
    return {
        "given_name": citizen.given_name,
        "given_name_array": citizen.given_name.split(),
        "family_name": citizen.family_name,
        "birthdate": citizen.birthdate,
        "idp_birthdate": citizen.birthdate,
        "gender": citizen.gender,
        "birthplace": citizen.birthplace or "",
        "birthcountry": citizen.birthcountry,
        "preferred_username": citizen.preferred_username or "",
        "email": citizen.email or "",
        "amr": AMR,
        "idp_id": IDP_ID,
    }


def claims_for(citizen: FcCitizen, scopes: Iterable[str]) -> dict[str, Any]:
    """The userinfo claims (``sub`` excepted) released by the granted scopes."""
    available = all_claims(citizen)
    return {claim: available[claim] for claim in claims_for_scopes(scopes) if claim in available}
