"""How the FICOBA seeder builds its rows fast without changing them: random draws computed as
``random.Random`` computes them, rows as tuples in each table's column order, prepared for the driver
as the dicts were (tests/test_seed_fingerprint.py checks the whole seed)."""

from __future__ import annotations

import random
from datetime import date

import pytest

from dgfip_sandbox.seed import ficoba
from dgfip_sandbox.store.bulk import ColumnRows, prepare_records


def test_the_batch_builds_rows_in_the_tables_column_order() -> None:
    for table, columns in zip(
        ficoba.BATCH_TABLES, (ficoba.PERSONNE_COLUMNS, ficoba.COMPTE_COLUMNS, ficoba.DROIT_COLUMNS), strict=True
    ):
        assert columns == tuple(c.name for c in table.columns)


def test_builder_draws_dates_as_date_between_did() -> None:
    reference, fast = random.Random(3), random.Random(3)
    builder = ficoba.Builder(fast, ficoba._assumed_guichets())
    start = date(1995, 1, 1)
    for days in [0, 1, 2, 30, 365, 11_000] * 20:
        end = date.fromordinal(start.toordinal() + days)
        expected = start if end <= start else date.fromordinal(start.toordinal() + reference.randrange(days))
        assert builder.date_between(start, end) == expected
    assert fast.getstate() == reference.getstate()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_column_rows_are_prepared_as_the_same_dicts(dialect: str) -> None:
    batch = ficoba.build_batch(7, 40, [], ficoba._assumed_guichets())
    for table, rows in zip(ficoba.BATCH_TABLES, batch.tables(), strict=True):
        fast, slow = prepare_records(table, rows, dialect), prepare_records(table, rows.as_dicts(), dialect)
        assert fast is not None and slow is not None
        assert (fast.table, fast.columns) == (slow.table, slow.columns)
        assert fast.rows == slow.rows


def test_column_rows_of_other_columns_are_refused() -> None:
    rows = ColumnRows(ficoba.DROIT_COLUMNS, [(1, 1, 1, 1, date(2020, 1, 1), None, date(2020, 1, 1))])
    with pytest.raises(ValueError, match="ficoba_comptes"):
        prepare_records(ficoba.BATCH_TABLES[1], rows, "sqlite")
