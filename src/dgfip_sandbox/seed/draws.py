"""``random.Random``'s draws with fewer Python calls, giving the same values from the same generator state.

The seed makes tens of millions of draws. In CPython, ``choice``, ``randint``, ``randrange`` and ``choices``
are Python functions that call each other before reaching ``getrandbits``. ``Draws`` runs the same
algorithms (CPython 3.11's random.py: ``_randbelow_with_getrandbits``, ``choices`` by bisection over the
cumulative weights, Kinderman-Monahan for the normal law) with fewer calls. Only ``random()`` and
``getrandbits()``, whose streams Python keeps stable, are used, so the data no longer depends on how a
later Python implements the others. ``tests/seed/test_draws.py`` checks each draw against the stdlib's.
"""

from __future__ import annotations

import functools
import math
import random
from bisect import bisect
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

NV_MAGICCONST = 4 * math.exp(-0.5) / math.sqrt(2.0)  # random.py's constant of the normal law


def below(rng: random.Random, n: int) -> int:
    """``rng.randrange(n)``: an int in [0, n), n > 0 (CPython's ``_randbelow_with_getrandbits``)."""
    getrandbits = rng.getrandbits
    k = n.bit_length()
    r = getrandbits(k)
    while r >= n:
        r = getrandbits(k)
    return r


class Weighted(Generic[T]):
    """A population with weights, drawn by ``Draws.weighted`` as ``rng.choices(population, weights)[0]``."""

    __slots__ = ("population", "cumulative", "total", "hi")

    def __init__(self, population: Sequence[T], weights: Sequence[float]) -> None:
        self.population = population
        self.cumulative = list(accumulate(weights))
        self.total = self.cumulative[-1] + 0.0
        self.hi = len(population) - 1


class Draws:
    """The draws of one ``random.Random``, interleaving freely with the generator's own methods."""

    __slots__ = ("rng", "random", "below")

    def __init__(self, rng: random.Random) -> None:
        # What random.Random's own methods draw through: a subclass drawing otherwise would get other values.
        if getattr(type(rng), "_randbelow", None) is not random.Random._randbelow_with_getrandbits:  # type: ignore[attr-defined]
            raise TypeError(f"{type(rng).__name__} does not draw integers as random.Random does")
        self.rng = rng
        self.random = rng.random
        # ``rng.randrange(n)``: an int in [0, n), n > 0 (``below`` bound to the generator: one Python call).
        self.below: Callable[[int], int] = functools.partial(below, rng)

    def choice(self, seq: Sequence[T]) -> T:
        """``rng.choice(seq)``."""
        return seq[self.below(len(seq))]

    def randint(self, a: int, b: int) -> int:
        """``rng.randint(a, b)``."""
        return a + self.below(b - a + 1)

    def weighted(self, table: Weighted[T]) -> T:
        """``rng.choices(table.population, weights)[0]``."""
        return table.population[bisect(table.cumulative, self.random() * table.total, 0, table.hi)]

    def uniform(self, a: float, b: float) -> float:
        """``rng.uniform(a, b)``."""
        return a + (b - a) * self.random()

    def expovariate(self, lambd: float) -> float:
        """``rng.expovariate(lambd)``."""
        return -math.log(1.0 - self.random()) / lambd

    def lognormvariate(self, mu: float, sigma: float) -> float:
        """``rng.lognormvariate(mu, sigma)``."""
        random_ = self.random
        while True:
            u1 = random_()
            u2 = 1.0 - random_()
            z = NV_MAGICCONST * (u1 - 0.5) / u2
            if z * z / 4.0 <= -math.log(u2):
                return math.exp(mu + z * sigma)
