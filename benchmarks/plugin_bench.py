"""The pytest plugin's figures (issue 14 §2): how long the session fixture takes to be ready with the
default plugin population, cold (empty template cache) and warm (the machine's template copied), and
how long a reset to the start takes (``reset(keep_data=False)``: snapshot restored in place; with one
foyer of the test's own loaded after it; and the slower ``reset()`` that keeps the test's data).

    python benchmarks/plugin_bench.py [--seed-size 200] [--starts 5] [--resets 50]

Prints medians and maxima in milliseconds. A benchmark, not a test: nothing here asserts a duration.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from dgfip_sandbox.testing.sandbox import DgfipSandbox, start_sandbox

CLOCK_START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def ready(root: Path, cache: Path, seed_size: int) -> DgfipSandbox:
    """What the plugin's session fixture does before the first test: start, then snapshot."""
    box = start_sandbox(root, seed_size=seed_size, clock_start=CLOCK_START, cache_dir=cache)
    box.snapshot()
    return box


def line(label: str, samples: list[float]) -> None:
    print(f"{label:<58} median {statistics.median(samples):8.1f} ms   max {max(samples):8.1f} ms   (n={len(samples)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-size", type=int, default=200, help="foyers (the plugin's default: 200)")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--resets", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cache = base / "cache"
        holder: list[DgfipSandbox] = []
        cold = timed(lambda: holder.append(ready(base / "cold", cache, args.seed_size)))
        holder.pop().stop()
        line("session fixture ready, cold (template prepared)", [cold])
        warm = []
        for index in range(args.starts):
            warm.append(timed(lambda i=index: holder.append(ready(base / f"warm{i}", cache, args.seed_size))))
            holder.pop().stop()
        line("session fixture ready, warm (template copied)", warm)

        box = ready(base / "resets", cache, args.seed_size)
        try:
            client = box.client("caf-demo")

            def dirty() -> None:  # a test's traces: calls (journal, quota), a foyer, a moved clock
                client.get("/sandbox/audit?limit=1")
                box.foyer(avis=[{"annee": 2025, "rfr": 25000}])
                box.advance_clock(minutes=5)

            snapshot_resets, with_data, keeping = [], [], []
            for _ in range(args.resets):
                dirty()
                snapshot_resets.append(timed(lambda: box.reset(keep_data=False)))
            for _ in range(args.resets):
                dirty()
                with_data.append(
                    timed(lambda: (box.reset(keep_data=False), box.foyer(avis=[{"annee": 2025, "rfr": 1}])))
                )
            for _ in range(min(args.resets, 10)):
                dirty()
                keeping.append(timed(box.reset))
            line("reset(keep_data=False): snapshot restored", snapshot_resets)
            line("reset(keep_data=False) + one foyer of the test's own", with_data)
            line("reset(): consumers, journal, quotas; test data kept", keeping)
        finally:
            box.stop()


if __name__ == "__main__":
    main()
