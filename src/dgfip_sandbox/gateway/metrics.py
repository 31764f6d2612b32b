"""Prometheus metrics of the gateway, served at ``GET /metrics`` on the admin listener, never on the
gateway's public port (admin/metrics.py; text exposition format).

    dgfip_gateway_calls_total{route, consumer, outcome, status}   every answered request
    dgfip_gateway_request_duration_seconds{route}                  latency histogram
    dgfip_gateway_quota_refusals_total{consumer}                   429 900804 answers

``route`` is the route *template* (``/impotparticulier/1.0/spi/{spi}/...``), never the raw path: a
raw path would leak SPIs into the metrics and explode their cardinality; paths matching no route
count as ``<aucune>``. ``consumer`` is the consumer's name once its certificate is known, else ``-``.
``outcome`` is the audit record's outcome (``OK``, ``900804``, ``4102``...).

Several worker processes (``dgfip-sandbox up --workers N``): prometheus_client's multiprocess mode.
The CLI sets ``PROMETHEUS_MULTIPROC_DIR`` (a fresh directory) before anything imports
prometheus_client, every worker writes its samples there, and ``/metrics`` aggregates all of them.
prometheus_client chooses its mode when first imported, which is why this
module imports it lazily, inside :class:`GatewayMetrics`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dgfip_sandbox.store.audit import AuditEntry

UNROUTED = "<aucune>"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(directory: Path) -> Path:
    """Empty ``directory`` and point prometheus_client's multiprocess mode at it (before any import of it)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    return directory


class GatewayMetrics:
    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        # One registry per app (tests build many apps in one process); in multiprocess mode the
        # samples go to the shared directory whatever the registry.
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.calls = Counter(
            "dgfip_gateway_calls",
            "Appels reçus par la passerelle, par route, partenaire et issue",
            ["route", "consumer", "outcome", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "dgfip_gateway_request_duration_seconds",
            "Durée de traitement des appels (secondes), audit compris",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.quota_refusals = Counter(
            "dgfip_gateway_quota_refusals",
            "Appels refusés pour quota dépassé (429 900804)",
            ["consumer"],
            registry=self.registry,
        )

        # The labelled series already met (prometheus_client keeps them too; this skips its
        # label validation at every call). As bounded as the metrics' own label sets.
        self._calls: dict[tuple[str, str, str, int], Any] = {}
        self._latency: dict[str, Any] = {}

    def observe(self, entry: AuditEntry, route: str | None, seconds: float) -> None:
        template = route or UNROUTED
        consumer = entry.consumer_name or "-"
        key = (template, consumer, entry.outcome, entry.status)
        calls = self._calls.get(key)
        if calls is None:
            calls = self._calls[key] = self.calls.labels(template, consumer, entry.outcome, str(entry.status))
        calls.inc()
        latency = self._latency.get(template)
        if latency is None:
            latency = self._latency[template] = self.latency.labels(template)
        latency.observe(seconds)
        if entry.outcome == "900804":
            self.quota_refusals.labels(consumer).inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def route_template(scope: Mapping[str, Any]) -> str | None:
    route = scope.get("route")
    return getattr(route, "path", None)
