"""The banner says where the quota counters live: in memory they are lost on a restart (issue 12 §8)."""

from __future__ import annotations

from dgfip_sandbox.cli.banner import quota_line
from dgfip_sandbox.settings import Settings


def test_the_banner_says_in_memory_quotas_reset_on_restart(settings: Settings) -> None:
    assert "remis à zéro à chaque redémarrage" in quota_line(settings.model_copy(update={"redis_url": None}))
    assert "DGFIP_SANDBOX_REDIS_URL" in quota_line(settings.model_copy(update={"redis_url": None}))
    assert "conservés au redémarrage" in quota_line(
        settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    )
