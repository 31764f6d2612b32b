"""A --seed-size other than the population the database holds is refused, with how to reseed; --reset
reseeds, keeping the demo consumers' secrets; the same seed and size give the same population."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dgfip_sandbox.bootstrap import prepare_sandbox
from dgfip_sandbox.cli import app as cli
from dgfip_sandbox.progress import LineReporter
from dgfip_sandbox.seed.size import SeedSizeMismatch
from dgfip_sandbox.settings import Settings
from dgfip_sandbox.store.database import create_engine, create_sessionmaker
from dgfip_sandbox.store.taxpayers import count_foyers
from tests.conftest import CLOCK_START, TEST_SEED_SIZE


def _generated(settings: Settings) -> int:
    async def count() -> int:
        engine = create_engine(settings.sqlalchemy_url)
        try:
            async with create_sessionmaker(engine)() as session:
                return (await count_foyers(session))[1]
        finally:
            await engine.dispose()

    return asyncio.run(count())


def test_another_seed_size_is_refused_with_how_to_reseed(settings: Settings) -> None:
    asked = settings.model_copy(update={"seed_size": 10})
    assert "seed_size" in asked.model_fields_set
    with pytest.raises(SeedSizeMismatch) as refused:
        prepare_sandbox(asked, now=CLOCK_START)
    message = str(refused.value)
    assert f"contient déjà {TEST_SEED_SIZE} foyers" in message and "en demande 10" in message
    assert "--reset" in message and "var/" in message
    assert _generated(settings) == TEST_SEED_SIZE  # nothing touched


def test_the_size_held_is_kept_when_none_is_asked(settings: Settings) -> None:
    unasked = Settings(**settings.model_dump(exclude={"seed_size"}))
    assert "seed_size" not in unasked.model_fields_set
    prepare_sandbox(unasked, now=CLOCK_START)
    assert _generated(settings) == TEST_SEED_SIZE


def test_reset_reseeds_with_the_size_asked_and_keeps_the_secrets(settings: Settings) -> None:
    before = prepare_sandbox(settings, now=CLOCK_START)
    stream = io.StringIO()
    after = prepare_sandbox(
        settings.model_copy(update={"seed_size": 20}), now=CLOCK_START, reset=True, progress=LineReporter(stream)
    )
    assert _generated(settings) == 20
    assert [c["client_secret"] for c in after["consumers"]] == [c["client_secret"] for c in before["consumers"]]
    # Plain progress lines (not a terminal): the foyers counted up to the total.
    lines = stream.getvalue().splitlines()
    assert lines and lines[-1].startswith("foyers fiscaux : ") and lines[-1].endswith("/35")


def test_line_reporter_prints_each_tenth_once() -> None:
    stream = io.StringIO()
    with LineReporter(stream).task("comptes", 100) as task:
        for _ in range(100):
            task.advance(1)
    assert stream.getvalue().splitlines() == [f"comptes : {n}/100" for n in range(10, 101, 10)]


def test_a_failed_worker_is_one_french_line_and_exit_code_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dgfip_sandbox import bootstrap
    from dgfip_sandbox.seed.workers import WorkerFailed

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise WorkerFailed(
            "un processus auxiliaire de génération des données s'est arrêté avant la fin (tué par le signal SIGKILL)"
        )

    monkeypatch.setattr(bootstrap, "prepare_sandbox", failing)
    result = CliRunner().invoke(cli, ["prepare", "--seed-size", "10"], env={"DGFIP_SANDBOX_VAR_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "erreur : un processus auxiliaire de génération des données s'est arrêté avant la fin (tué par le signal SIGKILL)"
    ]
