"""``seed.draws.Draws`` gives, from the same generator state, the values of ``random.Random``'s own methods
and leaves the generator where they would (the seed's data depends on it)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from dgfip_sandbox.seed.draws import Draws, Weighted, below

CASES: list[tuple[str, Callable[[random.Random], Any], Callable[[Draws], Any]]] = [
    ("below", lambda r: r.randrange(1_000_000_007), lambda d: d.below(1_000_000_007)),
    ("below-power-of-two", lambda r: r.randrange(1024), lambda d: d.below(1024)),
    ("below-one", lambda r: r.randrange(1), lambda d: d.below(1)),
    ("choice", lambda r: r.choice("ABCDE"), lambda d: d.choice("ABCDE")),
    ("choice-tuple", lambda r: r.choice((1, 2)), lambda d: d.choice((1, 2))),
    ("randint", lambda r: r.randint(1, 180), lambda d: d.randint(1, 180)),
    ("randint-wide", lambda r: r.randint(1935, 2005), lambda d: d.randint(1935, 2005)),
    (
        "weighted",
        lambda r: r.choices("MOCDV", weights=(40, 8, 35, 10, 7))[0],
        lambda d: d.weighted(Weighted("MOCDV", (40, 8, 35, 10, 7))),
    ),
    ("uniform", lambda r: r.uniform(3000, 15000), lambda d: d.uniform(3000, 15000)),
    ("expovariate", lambda r: r.expovariate(1 / 600), lambda d: d.expovariate(1 / 600)),
    ("lognormvariate", lambda r: r.lognormvariate(10.25, 0.5), lambda d: d.lognormvariate(10.25, 0.5)),
]


@pytest.mark.parametrize(("stdlib", "ours"), [(s, o) for _, s, o in CASES], ids=[name for name, _, _ in CASES])
def test_same_values_and_same_state(stdlib: Callable[[random.Random], Any], ours: Callable[[Draws], Any]) -> None:
    expected, actual = random.Random(20261125), random.Random(20261125)  # noqa: S311 - test data
    draws = Draws(actual)
    for _ in range(2000):
        assert ours(draws) == stdlib(expected)
    assert actual.getstate() == expected.getstate()


def test_interleaves_with_the_generator_itself() -> None:
    expected, actual = random.Random(7), random.Random(7)  # noqa: S311 - test data
    draws = Draws(actual)
    for _ in range(500):
        assert draws.randint(1, 60) == expected.randint(1, 60)
        assert actual.random() == expected.random()


def test_below_is_randrange() -> None:
    expected, actual = random.Random(3), random.Random(3)  # noqa: S311 - test data
    for n in (1, 2, 60, 10**9, 10**10):
        for _ in range(300):
            assert below(actual, n) == expected.randrange(n)
    assert actual.getstate() == expected.getstate()


def test_draws_refuse_a_generator_drawing_integers_otherwise() -> None:
    class OwnRandom(random.Random):
        def random(self) -> float:
            return 0.5

    with pytest.raises(TypeError):
        Draws(OwnRandom(1))
