"""``dgfip-sandbox journal``: print a consumer's journal, and with ``follow`` keep printing new calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dgfip_sandbox.admin.service import ConsumerAdmin


def format_entry(entry: dict[str, Any]) -> str:
    line = (
        f"#{entry['id']:<6} {entry['horodatage']}  {entry['status']}  {entry['outcome']:<8} "
        f"{entry['method']:<5} {entry['path']}{'?' + entry['query'] if entry['query'] else ''}"
        f"  corr={entry['correlation_id'] or '-'}  {entry['duration_ms']} ms"
    )
    failed = next((step for step in entry.get("trace", []) if not step.get("passed")), None)
    if failed:
        line += f"\n        refusé par {failed['check']} : {failed['reason']}"
    elif entry.get("extra", {}).get("scenario"):
        line += f"\n        scénario : {entry['extra']['scenario']}"
    return line


async def tail(
    service: ConsumerAdmin,
    name: str,
    *,
    emit: Callable[[dict[str, Any]], None],
    limit: int = 20,
    follow: bool = False,
    interval: float = 1.0,
    sleep: Callable[[float], Awaitable[None]],
    max_polls: int | None = None,
) -> int:
    """Emit the last ``limit`` calls oldest first, then (``follow``) poll for newer ones. Returns the last id."""
    entries = list(reversed(await service.journal(name, limit=limit)))
    last_id = 0
    for entry in entries:
        emit(entry)
        last_id = entry["id"]
    polls = 0
    while follow and (max_polls is None or polls < max_polls):
        await sleep(interval)
        polls += 1
        for entry in await service.journal(name, limit=200, since_id=last_id):
            emit(entry)
            last_id = entry["id"]
    return last_id
