"""DGFIP's published swaggers, read where they are kept on this machine (never copied into the project).

``DGFIP_SANDBOX_PUBLISHED_SWAGGERS`` names their directory (default: the shared reference material).
A test needing them skips with the reason when they are absent, and fails when
``DGFIP_SANDBOX_REQUIRE_SERVICES=1`` (.ci/run): the conformance runs must not vanish silently in CI.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.services import unavailable

# shared/ sits beside the checkout (here and in CI, which clones the repository elsewhere with a copy of
# shared/ beside it).
_BESIDE_THE_CHECKOUT = Path(__file__).resolve().parents[3] / "shared" / "reference" / "swaggers"
PUBLISHED_DIR = Path(os.environ.get("DGFIP_SANDBOX_PUBLISHED_SWAGGERS", str(_BESIDE_THE_CHECKOUT)))
FILES = {"impot_particulier": "api-impot-particulier.json", "ficoba": "api-ficoba.json"}


def published(api: str) -> dict[str, Any]:
    path = PUBLISHED_DIR / FILES[api]
    if not path.exists():
        unavailable(f"DGFIP's published swagger is not on this machine ({path}; set DGFIP_SANDBOX_PUBLISHED_SWAGGERS)")
    return json.loads(path.read_text(encoding="utf-8"))
