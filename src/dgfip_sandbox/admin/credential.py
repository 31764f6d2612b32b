"""The admin API's own credential: one bearer token, generated into var/admin-token at bootstrap.

``DGFIP_SANDBOX_ADMIN_TOKEN`` (settings.admin_token) overrides the file. The token is shown in
var/credentials.json under "admin" (that file is readable by its owner only).
"""

from __future__ import annotations

import hmac
import os
import secrets

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
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    tmp.replace(path)
    return token


def token_matches(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())
