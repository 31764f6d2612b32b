"""A small keep-alive HTTP/1.1 load generator over mTLS (asyncio streams, no HTTP library on the hot
path, so that one core of load generation outruns one core of server)."""

from __future__ import annotations

import asyncio
import re
import ssl
import statistics
import time
from dataclasses import dataclass

CONTENT_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    statuses: dict[int, int]
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:34} {self.throughput:9.0f} req/s   p50 {self.percentile(0.50):7.2f} ms   "
            f"p99 {self.percentile(0.99):7.2f} ms   statuses {dict(sorted(self.statuses.items()))}"
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
