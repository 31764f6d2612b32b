"""A demo consumer: the habilitation and technical access ``dgfip-sandbox up`` registers (seed/consumers.py
lists Impôt particulier's, seed/ficoba.py FICOBA's; registration.py registers them)."""

from __future__ import annotations

from dataclasses import dataclass, field

LOOPBACK = ("127.0.0.0/8", "::1/128")


@dataclass(frozen=True)
class DemoConsumer:
    name: str
    organisation: str
    application: str
    oauth_scopes: tuple[str, ...]
    datapass_scopes: tuple[str, ...]
    quota_per_minute: int
    id_teleservice: str
    allowed_ips: tuple[str, ...] = LOOPBACK
    siret: str | None = None
    ficoba_modalities: tuple[str, ...] = ()
    ficoba_motifs: tuple[str, ...] = ()
    sandbox_options: tuple[str, ...] = ("scenarios",)
    fc_client_id: str | None = None
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)
