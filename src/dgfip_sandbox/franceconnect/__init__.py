"""A FranceConnect-like consent and token service (FranceConnect v2, eidas1), its registries, and the
data-provider side used by the gateway (checktoken client, réconciliation)."""

from dgfip_sandbox.franceconnect.app import create_franceconnect_app

__all__ = ["create_franceconnect_app"]
