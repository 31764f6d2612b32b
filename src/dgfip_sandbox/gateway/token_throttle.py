"""A per-client back-off on wrong secrets at ``POST /token``.

The consumer is known from its client certificate before its secret is checked, so only a holder of
that certificate can spend its attempts. The first ``free_failures`` consecutive failures are
answered as usual, the last of them closing the door for 1 s; each further failure closes it for
twice as long as the previous one (2 s, 4 s… at most ``max_delay_seconds``). While it is closed every attempt, the
right secret included, is refused with ``invalid_client`` and ``Retry-After`` without the secret
being checked; a success resets the count. Counts live in the process (each replica counts its own)
and read the injected clock, so tests advance time instead of sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass
class _Failures:
    count: int = 0
    closed_until: datetime | None = None


@dataclass
class TokenThrottle:
    free_failures: int = 5
    max_delay_seconds: float = 900.0
    _clients: dict[int, _Failures] = field(default_factory=dict)

    def wait_seconds(self, client: int, now: datetime) -> int:
        """0 when ``client`` may try now, else the whole seconds to wait."""
        failures = self._clients.get(client)
        if failures is None or failures.closed_until is None or failures.closed_until <= now:
            return 0
        return max(1, math.ceil((failures.closed_until - now).total_seconds()))

    def failed(self, client: int, now: datetime) -> None:
        failures = self._clients.setdefault(client, _Failures())
        failures.count += 1
        if failures.count >= self.free_failures:
            delay = min(self.max_delay_seconds, 2.0 ** (failures.count - self.free_failures))
            failures.closed_until = now + timedelta(seconds=delay)

    def succeeded(self, client: int) -> None:
        self._clients.pop(client, None)
