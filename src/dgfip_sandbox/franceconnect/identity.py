"""The identité pivot of a citizen, the claims released per scope, and pairwise ``sub``.

``sub`` follows FranceConnect's ``computeSubV1``: SHA-256 hex of (the relying party's client_id +
the identity hash + a secret) followed by "v1"; the identity hash is the base64 SHA-256 of
given_name + family_name + birthdate + gender + birthplace + birthcountry. So each FS, and each
data provider, sees its own stable pseudonym for the same person.
"""

from __future__ import annotations

import base64
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from dgfip_sandbox.franceconnect.scopes import claims_for_scopes
from dgfip_sandbox.store.franceconnect import CheckedCitizen, FcCitizen

IDP_ID = "fip-demo-dgfip-sandbox"
IDP_HOST = "fip.bac-a-sable.local"
# FranceConnect low's amr: "fc" (FranceConnect was used) then the identity provider's methods ("pwd").
AMR = ["fc", "pwd"]
# Demo addresses live under a reserved TLD (RFC 2606): valid for FranceConnect's IsEmail, never delivered.
EMAIL_DOMAIN = "bac-a-sable.example"


def _email_part(value: str) -> str:
    ascii_only = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-") or "usager"


def demo_email(given_name: str, family_name: str) -> str:
    """The demo identity provider's address for an identity (FranceConnect requires a valid email)."""
    first = given_name.split()[0] if given_name.split() else given_name
    return f"{_email_part(first)}.{_email_part(family_name)}@{EMAIL_DOMAIN}"


def identity_hash(citizen: FcCitizen | CheckedCitizen) -> str:
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


def pairwise_sub(client_id: str, citizen: FcCitizen | CheckedCitizen, secret: str) -> str:
    return hashlib.sha256(f"{client_id}{identity_hash(citizen)}{secret}".encode()).hexdigest() + "v1"


def pivot_identity(citizen: FcCitizen | CheckedCitizen) -> dict[str, Any]:
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
    claims: dict[str, Any] = {
        "given_name": citizen.given_name,
        "given_name_array": citizen.given_name.split(),
        "family_name": citizen.family_name,
        "birthdate": citizen.birthdate,
        "idp_birthdate": citizen.birthdate,
        "gender": citizen.gender,
        "birthplace": citizen.birthplace or "",
        "birthcountry": citizen.birthcountry,
        "email": citizen.email or demo_email(citizen.given_name, citizen.family_name),
        "amr": AMR,
        "idp_id": IDP_ID,
    }
    if citizen.preferred_username:  # FranceConnect omits an empty preferred_username
        claims["preferred_username"] = citizen.preferred_username
    return claims


def claims_for(citizen: FcCitizen, scopes: Iterable[str]) -> dict[str, Any]:
    """The userinfo claims (``sub`` excepted) released by the granted scopes."""
    available = all_claims(citizen)
    return {claim: available[claim] for claim in claims_for_scopes(scopes) if claim in available}
