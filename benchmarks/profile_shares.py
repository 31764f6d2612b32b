"""Where the gateway's CPU time goes: shares of a py-spy profile (``py-spy record -f raw``).

    python benchmarks/profile_shares.py PROFILE.txt

``gateway_bench.py --profile PROFILE.txt`` records one (py-spy samples only non-idle threads, so the
samples are CPU time). Each sample goes to the first category below whose pattern appears in its
stack, root to leaf: the audit/journal writes first (their SQL included), then each pipeline step
(its cache misses' SQL included), serialisation, the API handler (its SQL included), FastAPI's
dependency and routing machinery, the HTTP/TLS server, the event loop, SQL run in the aiosqlite
worker threads (which cannot be attributed to a caller), the rest. The server's start and
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
STARTUP = ("_find_and_load", "import_key", "generate_key", "lifespan", "build_server_specs", "ensure_pki")

# (category, substrings of a frame "function (file:line)"); the first category that matches wins.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "audit + journal write (group commit, journal row)",
        ("AuditWriter.", "JournalCapture.row", "audit_batch", "store/audit.py", "gateway/journal.py"),
    ),
    ("step 1 client certificate", ("check_client_certificate", "client_certificate_step", "client_cert.py")),
    ("step 2 caller IP", ("check_caller_ip", "caller_ip.py")),
    ("step 3 bearer token + scope", ("check_bearer_token", "check_route_scope", "bearer.py", "scopes.py")),
    ("step 4 X-Correlation-ID", ("check_correlation_id", "correlation.py")),
    ("step 5 quota", ("check_quota", "gateway/quota")),
    ("step 6 scenario", ("check_scenario", "scenarios.py")),
    ("change counter read", ("store/changes.py",)),
    ("serialisation (JSON)", ("json/encoder.py", "json/__init__.py", "orjson", "render", "jsonable_encoder")),
    ("API handler (service, DataPass, its SQL)", ("dgfip_sandbox/apis/",)),
    ("pipeline (other)", ("run_pipeline", "run_steps")),
    (
        "FastAPI/Starlette dependency + routing machinery",
        ("fastapi/", "starlette/routing.py", "starlette/middleware", "starlette/_exception_handler.py"),
    ),
    ("audit middleware (other)", ("audit_middleware.py",)),
    ("HTTP + TLS server (uvicorn, httptools, ssl)", ("uvicorn/", "httptools", "ssl.py", "sslproto.py", "server.py")),
    ("SQL in aiosqlite worker threads (SQLAlchemy sessions)", ("aiosqlite/",)),
    ("SQL in the audit writer's sqlite3 thread", ("concurrent/futures/thread.py", "sqlite3")),
    ("SQL (SQLAlchemy, asyncpg)", ("sqlalchemy/", "asyncpg/")),
    ("asyncio event loop", ("asyncio/",)),
)


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
        for name, patterns in CATEGORIES:
            if any(p in stack for p in patterns):
                counts[name] += samples
                break
        else:
            counts["other"] += samples
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
