"""WireMock-style verification of what the integrator's code sent: ``sandbox.journal``.

``sandbox.journal("mairie-demo")`` is the consumer's request journal, newest first (as before);
``sandbox.journal.calls(route=…)`` filters it, ``sandbox.journal.assert_called(route=…, times=…)``
asserts on it (WireMock's ``verify(n, …)``, moto's call counts) and returns the matching calls, so a
test can look further into their headers, bodies and decision trace.

A route matches a journal entry's path when it is equal, when the path ends with it
(``/comptes/spi`` matches ``/fcb-masrestit/api/v2/comptes/spi``), or when it is a glob
(``*/situations/ir/*``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from fnmatch import fnmatchcase
from typing import Any

Runner = Callable[[Coroutine[Any, Any, Any]], Any]


def route_matches(route: str, path: str) -> bool:
    if any(c in route for c in "*?["):
        return fnmatchcase(path, route)
    return path == route or path.endswith(route if route.startswith("/") else "/" + route)


class Journal:
    """The request journal of a running sandbox (through its admin service, in the sandbox's loop)."""

    def __init__(self, run: Runner, admin: Callable[[], Any]) -> None:
        self._run = run
        self._admin = admin

    def __call__(self, consumer: str, *, limit: int = 50) -> list[dict[str, Any]]:
        """The consumer's request journal, newest first (headers redacted, bodies, decision trace)."""
        entries: list[dict[str, Any]] = self._run(self._admin().journal(consumer, limit=limit))
        return entries

    def calls(
        self,
        consumer: str | None = None,
        *,
        route: str | None = None,
        method: str | None = None,
        status: int | None = None,
        limit: int = 200,
    ) -> list[dict[str, Any]]:
        """The journal entries (of one consumer, or of every consumer) matching the filters, oldest first."""
        names = [consumer] if consumer else [c["name"] for c in self._run(self._admin().list_consumers())]
        found = []
        for name in names:
            for entry in self(name, limit=limit):
                if route is not None and not route_matches(route, entry["path"]):
                    continue
                if method is not None and entry["method"] != method.upper():
                    continue
                if status is not None and entry["status"] != status:
                    continue
                found.append(entry)
        return sorted(found, key=lambda e: e["id"])

    def assert_called(
        self,
        *,
        route: str,
        times: int | None = None,
        consumer: str | None = None,
        method: str | None = None,
        status: int | None = None,
    ) -> list[dict[str, Any]]:
        """Assert that ``route`` was called (exactly ``times`` times when given); the matching calls."""
        found = self.calls(consumer, route=route, method=method, status=status)
        expected = "at least once" if times is None else f"{times} time(s)"
        if (times is None and not found) or (times is not None and len(found) != times):
            what = " ".join(p for p in (method and method.upper(), route) if p)
            by = f" by {consumer}" if consumer else ""
            seen = [f"{e['method']} {e['path']} → {e['status']}" for e in self.calls(consumer)][-10:]
            raise AssertionError(
                f"expected {what}{by}{f' answered {status}' if status else ''} {expected}, "
                f"got {len(found)}; last calls: {seen or 'none'}"
            )
        return found

    def assert_not_called(self, *, route: str, consumer: str | None = None, method: str | None = None) -> None:
        self.assert_called(route=route, times=0, consumer=consumer, method=method)
