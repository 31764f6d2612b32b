"""A FranceConnect-like consent and token service (FranceConnect v2, eidas1), its registries, and the
data-provider side used by the gateway (checktoken client, réconciliation).
The app is built by the composition root (``dgfip_sandbox.assembly.build_franceconnect_app``); importing
this package loads nothing of the provider app."""
