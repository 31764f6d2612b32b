"""The seed size a database holds, and the refusal of a different one (no silent keep, no silent mix)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from dgfip_sandbox.settings import Settings


class SeedSizeMismatch(Exception):
    """``--seed-size`` asks for a population other than the one the database holds."""

    def __init__(self, held: int, asked: int) -> None:
        self.held, self.asked = held, asked
        super().__init__(
            f"la base contient déjà {held} foyers générés et --seed-size en demande {asked}. "
            f"Pour régénérer les données : relancez avec --reset (partenaires de démonstration et secrets conservés, "
            f"traces d'audit et partenaires ajoutés effacés), ou partez d'un dossier var/ vide "
            f"(ou d'une base vide avec DGFIP_SANDBOX_DATABASE_URL). Sans --seed-size, la base est gardée telle quelle."
        )


async def check_seed_size(session: AsyncSession, settings: Settings) -> bool:
    """True when the population is already there (and is the size asked, if one was asked)."""
    from dgfip_sandbox.store.taxpayers import count_foyers

    held, generated = await count_foyers(session)
    if held == 0:
        return False
    if "seed_size" in settings.model_fields_set and generated != settings.seed_size:
        raise SeedSizeMismatch(generated, settings.seed_size)
    return True
