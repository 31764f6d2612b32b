"""A small keep-alive HTTP/1.1 load generator over mTLS (asyncio streams, no HTTP library on the hot
path, so that one core of load generation outruns one core of server)."""

from __future__ import annotations

import asyncio
import os
import re
import ssl
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies: list[float]
    cpu_seconds: float = 0.0  # the server's CPU time (all its threads) during the run, when measured

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request_us(self) -> float:
        return 1e6 * self.cpu_seconds / max(self.requests, 1)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:34} {self.throughput:9.0f} req/s   p50 {self.percentile(0.50):7.2f} ms   "
            f"p99 {self.percentile(0.99):7.2f} ms   "
            + (f"CPU {self.cpu_per_request_us:6.0f} µs/req   " if self.cpu_seconds else "")
            + f"statuses {dict(sorted(self.statuses.items()))}"
        )


def client_context(ca: str, cert: str | None, key: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def build_request(path: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: localhost"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _worker(
    host: str,
    port: int,
    context: ssl.SSLContext | None,
    request: bytes,
    stop_at: float,
    latencies: list[float],
    statuses: dict[int, int],
    budget: list[int] | None = None,
) -> None:
    reader, writer = await asyncio.open_connection(
        host, port, ssl=context, server_hostname="localhost" if context else None
    )
    try:
        while time.perf_counter() < stop_at:
            if budget is not None:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            match = CONTENT_LENGTH.search(head)
            if match:
                await reader.readexactly(int(match.group(1)))
            latencies.append(time.perf_counter() - started)
            status = int(head[9:12])
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def run(
    name: str,
    *,
    host: str,
    port: int,
    context: ssl.SSLContext | None,
    path: str,
    headers: dict[str, str],
    connections: int,
    seconds: float,
    warmup: float = 1.0,
    requests: int | None = None,
) -> Result:
    """``seconds`` of load on ``connections`` connections (or, with ``requests``, that many requests)."""
    request = build_request(path, headers)
    await asyncio.gather(
        *(_worker(host, port, context, request, time.perf_counter() + warmup, [], {}) for _ in range(connections))
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    budget = [requests] if requests is not None else None
    started = time.perf_counter()
    stop_at = started + (seconds if requests is None else 1e9)
    await asyncio.gather(
        *(_worker(host, port, context, request, stop_at, latencies, statuses, budget) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    return Result(name=name, requests=len(latencies), seconds=elapsed, statuses=statuses, latencies=latencies)


def median(values: list[float]) -> float:
    return statistics.median(values)


def merge(results: list[Result]) -> Result:
    """One scenario's rounds as one result (requests and seconds summed, latencies pooled)."""
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Result(
        name=results[0].name,
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        statuses=statuses,
        latencies=[latency for r in results for latency in r.latencies],
        cpu_seconds=sum(r.cpu_seconds for r in results),
    )


Headers = dict[str, str] | Callable[[], dict[str, str]]


async def interleaved(
    scenarios: list[tuple[str, str, Headers]],
    *,
    rounds: int,
    seconds: float,
    cpu: Callable[[], float] | None = None,
    **common: Any,
) -> list[Result]:
    """Each scenario (name, path, headers) for ``seconds`` in all, in ``rounds`` alternating slices:
    on a shared machine, a load that comes and goes weighs on every scenario alike. ``headers`` may be
    a function, called before each slice (a token that must be fresh). ``cpu``: reads the server's CPU
    seconds, measured around each slice (its warm-up excluded)."""
    slices: dict[str, list[Result]] = {name: [] for name, _, _ in scenarios}
    for _ in range(rounds):
        for name, path, given in scenarios:
            headers = given() if callable(given) else given
            request = build_request(path, headers)
            await asyncio.gather(
                *(
                    _worker(
                        common["host"], common["port"], common["context"], request, time.perf_counter() + 0.3, [], {}
                    )
                    for _ in range(common["connections"])
                )
            )
            before = cpu() if cpu else 0.0
            result = await run(name, path=path, headers=headers, seconds=seconds / rounds, warmup=0, **common)
            result.cpu_seconds = (cpu() - before) if cpu else 0.0
            slices[name].append(result)
    return [merge(slices[name]) for name, _, _ in scenarios]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
