"""The seeded data stays the same, row for row (tests, personas and docs depend on it), however it is
generated: in-process (small seeds) or in worker processes (large ones), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from dgfip_sandbox.seed import ficoba, population, workers
from dgfip_sandbox.settings import Settings

from .seed_fingerprint import RECORDED, fingerprint, overall
from .services import create_postgres_database, drop_postgres_database, unique_database_name

SIZE = 300


@pytest.mark.parametrize("in_workers", [False, True], ids=["in-process", "workers"])
def test_seed_is_the_recorded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_postgres_server: str | None, in_workers: bool
) -> None:
    if in_workers:  # the workers' path, with chunks small enough for both population workers to build some
        monkeypatch.setattr(workers, "WORKER_FROM", 0)  # and FICOBA's rows in pieces written between them
        monkeypatch.setattr(population, "FOYERS_PER_CHUNK", 40)
        monkeypatch.setattr(ficoba, "RECORDS_PER_PIECE", 150)
    name = url = None
    if test_postgres_server:
        name = unique_database_name("seed_fp")
        url = create_postgres_database(test_postgres_server, name)
    try:
        settings = Settings(var_dir=tmp_path, seed=20261125, seed_size=SIZE, database_url=url, _env_file=None)
        digests = fingerprint(settings)
    finally:
        if name and test_postgres_server:
            drop_postgres_database(test_postgres_server, name)
    assert digests["foyers"][0] > SIZE
    assert overall(digests) == RECORDED[SIZE], digests


def test_skip_draws_what_foyer_rows_draws() -> None:
    """A population worker skipping another's chunk leaves the random stream where building it would."""
    import random

    from dgfip_sandbox.seed.foyers import foyer_rows, skip_foyer_rows

    built, skipped = random.Random(5), random.Random(5)  # noqa: S311 - test data
    for spec in population.random_foyers(11, 600):
        foyer_rows(1, spec, built)
        skip_foyer_rows(spec, skipped)
        assert built.getstate() == skipped.getstate()
