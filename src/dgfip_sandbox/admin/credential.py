"""The admin API's own credential: one bearer token, generated into var/admin-token at bootstrap.

``DGFIP_SANDBOX_ADMIN_TOKEN`` (settings.admin_token) overrides the file. The token is shown in
var/credentials.json under "admin" (that file is readable by its owner only).
"""

from __future__ import annotations

import hmac
import secrets

from dgfip_sandbox.private_files import write_private_text
from dgfip_sandbox.settings import Settings


def ensure_admin_token(settings: Settings) -> str:
    if settings.admin_token:
        return settings.admin_token
    path = settings.admin_token_path
    if path.exists():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    write_private_text(path, token + "\n")
    return token


def token_matches(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())
