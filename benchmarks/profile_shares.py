"""Where the gateway's CPU time goes: shares of a py-spy profile (``py-spy record -f raw``).

    python benchmarks/profile_shares.py PROFILE.txt

``gateway_bench.py --profile PROFILE.txt`` records one (py-spy samples non-idle threads, so the
samples are CPU time). A sample whose stack passes through the audit/journal writes, a pipeline step
or the API handler is theirs, whatever they call (INCLUSIVE, in that order); any other sample goes to
the innermost frame's kind (EXCLUSIVE): serialisation, SQL, HTTP/TLS, FastAPI/Starlette, the loop. The server's start and
threads parked on their work queue are left out.
"""

from __future__ import annotations

import linecache
import re
import sys
from collections import Counter
from functools import cache
from pathlib import Path

# Samples of the server's start (imports, keys, app assembly) are left out of the total.
STARTUP = (
    "_find_and_load",
    "import_key",
    "generate_key",
    "lifespan",
    "build_server_specs",
    "ensure_pki",
    "bootstrap.py",
    "migrations/",
)

# Inclusive groups, tried in order: a sample whose stack passes through one of these frames is theirs
# (with whatever the group calls: its SQL, its serialisation).
INCLUSIVE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("audit + journal write (rows, group commit)", ("AuditWriter.", "JournalCapture.row", "store/audit", "journal.py")),
    ("step 1 client certificate", ("check_client_certificate", "client_cert.py")),
    ("step 2 caller IP", ("check_caller_ip", "caller_ip.py")),
    ("step 3 bearer token + scope", ("check_bearer_token", "check_route_scope", "bearer.py", "scopes.py")),
    ("step 4 X-Correlation-ID", ("check_correlation_id", "correlation.py")),
    ("step 5 quota", ("check_quota", "gateway/quota")),
    ("step 6 scenario", ("check_scenario", "scenarios.py")),
    ("change counter read", ("store/changes.py",)),
    ("pipeline (other)", ("run_pipeline", "run_steps")),
    ("API handler (service, DataPass, its SQL, serialisation)", ("dgfip_sandbox/apis/",)),
)
# Otherwise the innermost frame that matches one of these decides.
EXCLUSIVE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("serialisation (JSON)", ("json/encoder.py", "json/__init__.py", "jsonable_encoder", "render (")),
    ("SQL (SQLAlchemy, aiosqlite, asyncpg, sqlite3)", ("sqlalchemy/", "aiosqlite/", "asyncpg/", "sqlite3")),
    (
        "HTTP + TLS (uvicorn, httptools, ssl, transports)",
        ("uvicorn/", "httptools", "ssl.py", "sslproto.py", "selector_events.py", "server.py"),
    ),
    ("FastAPI/Starlette routing, middleware, parameters", ("fastapi/", "starlette/")),
    ("audit middleware (other)", ("audit_middleware.py",)),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
)
CATEGORIES = INCLUSIVE + EXCLUSIVE


def category(stack: str) -> str:
    for name, patterns in INCLUSIVE:
        if any(p in stack for p in patterns):
            return name
    for frame in reversed(stack.split(";")):
        for name, patterns in EXCLUSIVE:
            if any(p in frame for p in patterns):
                return name
    return "other"


_FRAME = re.compile(r"\((?P<file>[^():]+):(?P<line>\d+)\)$")


@cache
def _waits(frame: str) -> bool:
    """A thread parked on its work queue (``queue.get()``): py-spy may count it as active, it is idle."""
    match = _FRAME.search(frame)
    if match is None:
        return False
    for root in sys.path:
        candidate = Path(root) / match["file"]
        if candidate.is_file():
            return ".get(" in linecache.getline(str(candidate), int(match["line"]))
    return False


def shares(path: Path) -> tuple[int, Counter[str]]:
    counts: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        samples = int(number)
        if any(p in stack for p in STARTUP) or _waits(stack.rsplit(";", 1)[-1]):
            continue
        total += samples
        counts[category(stack)] += samples
    return total, counts


def report(path: Path) -> str:
    total, counts = shares(path)
    lines = [f"{total} samples (CPU, non-idle threads)", "| where | share |", "|---|---|"]
    for name, _ in (*CATEGORIES, ("other", ())):
        if counts[name]:
            lines.append(f"| {name} | {100 * counts[name] / max(total, 1):.1f} % |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
