"""The request journal: per consumer, its recent calls as the gateway saw them.

One row per answered request of an identified consumer: the request line, its headers and body
(secrets redacted, body truncated), the status, the response headers and body (truncated, tokens
redacted) and the pipeline's decision trace. Written by the gateway's audit middleware in the same
transaction as the audit record, so every replica serves the same journal.

A consumer reads only its own rows: every query here takes a ``consumer_id``.

Rows are written through :func:`storable`: a request's bytes (a NUL in a path, a header or a body)
never make a row the database refuses.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, cast

from sqlalchemy import JSON, CursorResult, DateTime, Integer, String, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.base import Base

# What PostgreSQL refuses in text (NUL), what a log reader should not be handed raw (the other C0
# controls but tab, line feed and carriage return; DEL) and what no encoder takes (lone surrogates).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def storable_text(text: str) -> str:
    """``text`` with NUL, control characters and lone surrogates written as visible escapes."""
    return _UNSTORABLE.sub(_escape, text) if _UNSTORABLE.search(text) else text


# What json.dumps(ensure_ascii=False) leaves raw of the unstorable characters (it escapes the C0
# controls: as \u00XX, or \b and \f for the two of them that are unstorable).
_RAW_UNSTORABLE = re.compile("[\x7f\ud800-\udfff]")
_ESCAPED_UNSTORABLE = ("\\u00", "\\b", "\\f")


def _clean(value: dict[str, Any] | list[Any] | tuple[Any, ...]) -> bool:
    """True when no string in ``value`` needs escaping: one pass of the JSON encoder (C) over the
    whole structure instead of a Python walk. A literal backslash may look like an escape: then the
    walk below decides (a false alarm costs time, never an unescaped character)."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):  # keys JSON cannot take, a cycle: the walk decides
        return False
    return not any(marker in text for marker in _ESCAPED_UNSTORABLE) and not _RAW_UNSTORABLE.search(text)


def storable(value: Any) -> Any:
    """``value`` with every string in it (dict keys and values, list items) made storable (see
    :func:`storable_text`); other values unchanged."""
    if isinstance(value, dict | list | tuple) and _clean(value):
        return value
    return _storable(value)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_storable(v) for v in value)
    return value


class JournalEntry(Base):
    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consumer_id: Mapped[int] = mapped_column(Integer, index=True)
    consumer_name: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(String(1000), default="")
    correlation_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    request_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str] = mapped_column(Text, default="")
    response_headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    response_body: Mapped[str] = mapped_column(Text, default="")
    trace: Mapped[list[Any]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


async def list_for_consumer(
    session: AsyncSession, consumer_id: int, *, limit: int = 50, since_id: int | None = None
) -> list[JournalEntry]:
    """Newest first; with ``since_id``, only newer entries, oldest first (for tailing)."""
    query = select(JournalEntry).where(JournalEntry.consumer_id == consumer_id)
    if since_id is not None:
        query = query.where(JournalEntry.id > since_id).order_by(JournalEntry.id.asc())
    else:
        query = query.order_by(JournalEntry.id.desc())
    rows = await session.execute(query.limit(limit))
    return list(rows.scalars().all())


async def purge_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(JournalEntry).where(JournalEntry.at < cutoff))
    return cast(CursorResult[Any], result).rowcount or 0


async def purge_all(session: AsyncSession) -> int:
    result = await session.execute(delete(JournalEntry))
    return cast(CursorResult[Any], result).rowcount or 0


def entry_as_dict(entry: JournalEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "horodatage": entry.at.isoformat(),
        "consumer": entry.consumer_name,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "correlation_id": entry.correlation_id,
        "status": entry.status,
        "outcome": entry.outcome,
        "duration_ms": entry.duration_ms,
        "request": {"headers": entry.request_headers, "body": entry.request_body},
        "response": {"headers": entry.response_headers, "body": entry.response_body},
        "trace": entry.trace,
        "extra": entry.extra,
    }
