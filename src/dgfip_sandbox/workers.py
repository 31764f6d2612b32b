"""Which stores allow several gateway processes (``--workers N``, or replicas on several hosts).

Every piece of state a request touches must live where all processes see it: quotas in Redis,
everything else (consumers, certificates, audit, FranceConnect sessions, codes and tokens) in the
SQL database. Two embedded defaults do not qualify, and several workers are refused with them:

* the in-process quota store counts each process apart: N workers would let N times the quota through;
* SQLite is one file on one host; several processes writing to it (audit group commits from every
  worker, FranceConnect sessions) contend for its single write lock and fail with "database is
  locked" under load, and replicas on other hosts cannot reach it at all.
"""

from __future__ import annotations

from dgfip_sandbox.settings import Settings


def multiprocess_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot run with these settings (a French sentence), or None."""
    if workers <= 1:
        return None
    problems = []
    if not settings.redis_url:
        problems.append(
            f"le compteur de quotas en mémoire compterait chaque processus à part (jusqu'à {workers} fois le quota "
            "accepté) : définissez DGFIP_SANDBOX_REDIS_URL=redis://hôte:6379/0"
        )
    if settings.sqlalchemy_url.startswith("sqlite"):
        problems.append(
            "SQLite ne se partage pas entre processus qui écrivent tous (traces d'audit, sessions FranceConnect) : "
            "définissez DGFIP_SANDBOX_DATABASE_URL=postgresql://utilisateur@hôte:5432/base"
        )
    if not problems:
        return None
    return f"--workers {workers} refusé : " + " ; ".join(problems) + "."
