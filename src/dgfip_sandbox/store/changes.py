"""Per-table change counters, for caches of rarely written data (consumers, the seeded taxpayers).

Any change made through SQLAlchemy in this process (ORM flush, or an INSERT / UPDATE / DELETE
statement executed by a session) increments the counter of each table it touches, so a cache keyed
on ``generation(...)`` sees it at once. Changes made by another process are invisible here: caches
that need them bound their entries' lifetime as well.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

_counters: Counter[str] = Counter()


def generation(*tables: str) -> int:
    return sum(_counters[t] for t in tables)


def bump(*tables: str) -> None:
    for table in tables:
        _counters[table] += 1


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    touched = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(inspect(obj).mapper.local_table, "name", None)
        if table:
            touched.add(table)
    bump(*touched)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table:
        bump(table)
