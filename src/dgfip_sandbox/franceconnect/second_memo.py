"""Results kept for the current second only: checktoken's answers, and the gateway's opening of them.

A checktoken v2 answer carries ``iat`` in seconds: within one second, the same token asked by the same
data provider has the same introspection, so FranceConnect's sandbox signs and encrypts it once and
answers the same JWE to the calls of that second, and the gateway, which opens (decrypts, verifies)
every answer it gets, keeps what it read from those bytes for that second. Every call is still a
checktoken (the token read from SQL as it is now, its event committed), so a revoked or expired token
changes the introspection, hence the answer, at once. docs/franceconnect.md, "Departures".
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SecondMemo(Generic[V]):
    """At most ``size`` values, all of the same second: a value of an earlier second is never returned."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._second: int | None = None
        self._values: dict[Hashable, V] = {}

    def get(self, second: int, key: Hashable) -> V | None:
        if second != self._second:
            return None
        return self._values.get(key)

    def put(self, second: int, key: Hashable, value: V) -> None:
        if second != self._second or len(self._values) >= self._size:
            self._second, self._values = second, {}
        self._values[key] = value
