"""Cost of the request journal's capture: building one journal row (header redaction, bounded body,
secret redaction) for a typical API answer and for a /token-like answer with a long token.

    PYTHONPATH=src python benchmarks/journal_bench.py
"""

from __future__ import annotations

import json
import timeit
from datetime import UTC, datetime

from dgfip_sandbox.gateway.journal import JournalCapture
from dgfip_sandbox.store.audit import AuditEntry

SCOPE = {
    "method": "GET",
    "path": "/impotparticulier/1.0/spi/1234567890123/situations/ir/assiettes/annrev/2025",
    "query_string": b"",
    "headers": [
        (b"host", b"localhost:8443"),
        (b"authorization", b"Bearer " + b"x" * 600),
        (b"x-correlation-id", b"3219c729-30e2-4987-80b6-330ca76f09ae"),
        (b"id_teleservice", b"TS-MAIRIE-DEMO"),
        (b"accept", b"application/json"),
        (b"user-agent", b"python-httpx/0.28.1"),
    ],
}


def main() -> None:
    entry = AuditEntry(
        at=datetime.now(UTC), method="GET", route=SCOPE["path"], consumer_id=1, consumer_name="mairie-demo"
    )
    for check in (
        "client_certificate",
        "caller_ip",
        "bearer_token",
        "route_scope",
        "correlation_id",
        "quota",
        "scenario",
    ):
        entry.check(check, True, "x")
    body = json.dumps({"rfr": 12345, "nbPart": 2.5, "aft": "10 RUE DU CENTRE 93160 NOISY LE GRAND" * 15}).encode()
    token_body = b'{"access_token":"' + b"a" * 5000 + b'"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    n = 20000
    for label, request_body, response_body in (
        (f"API answer ({len(body)} B)", b"", body),
        (
            f"/token-like answer ({len(token_body)} B, truncated to 4096 and redacted)",
            b"grant_type=client_credentials&client_secret=" + b"s" * 43,
            token_body,
        ),
    ):

        def build(request_body: bytes = request_body, response_body: bytes = response_body) -> None:
            capture = JournalCapture(4096)
            capture.add_request_body(request_body)
            capture.row(SCOPE, entry, headers, response_body, response_more=False, duration_ms=3)

        seconds = timeit.timeit(build, number=n)
        print(f"{label}: {seconds / n * 1e6:.1f} µs per journal row")


if __name__ == "__main__":
    main()
