"""A prepared sandbox kept once per machine, copied for each plugin session (SQLite only).

Preparing a sandbox (migrations, seed, PKI, demo consumers) takes seconds; copying a prepared one
takes milliseconds. :func:`prepare_from_template` prepares into a cache directory the first time
(keyed by the package's version, its migrations and seed modules, the seed size, the clock's day and
the demo FS port), then copies it under the session's root and points its credentials at the
session's ports. The cache lives in ``$DGFIP_SANDBOX_CACHE_DIR``, else
``$XDG_CACHE_HOME/dgfip-sandbox``, else ``~/.cache/dgfip-sandbox``; deleting it is always safe.
Concurrent sessions (pytest-xdist workers) each prepare into a directory of their own and publish it
with an atomic rename: the first one wins, the others use its copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import dgfip_sandbox
from dgfip_sandbox.private_files import make_private, write_private_json
from dgfip_sandbox.settings import Settings

CACHE_FORMAT = 1
ROOT_MARK = "@SANDBOX_ROOT@"
META_FILE = "template.json"
PORT_SETTINGS = ("port", "fc_port", "admin_port")


def cache_root() -> Path:
    explicit = os.environ.get("DGFIP_SANDBOX_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dgfip-sandbox"


def _source_fingerprint() -> list[Any]:
    """What the prepared files depend on, cheaply: the version and the migrations and seed modules'
    names, sizes and modification times (an editable install changes these, not its version)."""
    package = Path(dgfip_sandbox.__file__).parent
    try:
        version = metadata.version("dgfip-sandbox")
    except metadata.PackageNotFoundError:
        version = "unknown"
    files = []
    for folder in ("migrations", "seed", "franceconnect", "testdata"):
        for path in sorted((package / folder).rglob("*.py")):
            info = path.stat()
            files.append([str(path.relative_to(package)), info.st_size, info.st_mtime_ns])
    for name in ("bootstrap.py", "pki.py", "store/models.py"):
        path = package / name
        if path.exists():
            info = path.stat()
            files.append([name, info.st_size, info.st_mtime_ns])
    return [version, files]


def template_key(settings: Settings, now: datetime) -> str:
    material = {
        "format": CACHE_FORMAT,
        "source": _source_fingerprint(),
        "seed_size": settings.seed_size,
        "day": now.astimezone(UTC).date().isoformat(),
        "demo_fs_port": settings.demo_fs_port,
        "demo_extra_allowed_ips": list(settings.demo_extra_allowed_ips),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()[:24]


def prepare_from_template(settings: Settings, *, now: datetime, cache_dir: Path | None = None) -> dict[str, Any]:
    """``prepare_sandbox(settings, now=now)`` through the per-machine cache: the credentials.

    ``settings.var_dir`` and ``settings.certs_dir`` must be the two folders of one root (the plugin's
    layout); a PostgreSQL ``database_url`` is prepared directly, without the cache."""
    from dgfip_sandbox.bootstrap import prepare_sandbox

    root = settings.var_dir.parent
    if settings.database_url or settings.certs_dir.parent != root:
        return prepare_sandbox(settings, now=now)
    template = (cache_dir or cache_root()) / template_key(settings, now)
    if not (template / META_FILE).exists():
        # Prepared as of the day's first instant: valid (certificates, registrations) for any clock of that day.
        _build_template(template, settings, now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
    meta = json.loads((template / META_FILE).read_text())
    for folder, target in (("var", settings.var_dir), ("certs", settings.certs_dir)):
        shutil.copytree(template / folder, target, dirs_exist_ok=True)
    ports = {int(meta["ports"][name]): int(getattr(settings, name)) for name in PORT_SETTINGS}
    credentials = _retarget(meta["credentials"], str(root.resolve()), ports)
    write_private_json(settings.credentials_path, credentials)
    make_private(settings.var_dir, settings.certs_dir)
    return credentials  # type: ignore[no-any-return]  # a JSON object, by construction


def _build_template(template: Path, settings: Settings, now: datetime) -> None:
    from dgfip_sandbox.bootstrap import prepare_sandbox

    template.parent.mkdir(parents=True, exist_ok=True)
    building = template.with_name(f"{template.name}.building-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        building_settings = settings.model_copy(update={"var_dir": building / "var", "certs_dir": building / "certs"})
        credentials = prepare_sandbox(building_settings, now=now)
        meta = {
            "ports": {name: getattr(settings, name) for name in PORT_SETTINGS},
            "credentials": _mark_root(credentials, building.resolve()),
        }
        (building / META_FILE).write_text(json.dumps(meta))
        try:
            building.rename(template)
        except OSError:
            if not (template / META_FILE).exists():  # not another session's template: a real failure
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _mark_root(value: Any, root: Path) -> Any:
    """The credentials with the template's root (absolute, or relative to the cwd) as a placeholder."""
    forms = [str(root)]
    if root.is_relative_to(Path.cwd().resolve()):
        forms.append(str(root.relative_to(Path.cwd().resolve())))
    return _replace_strings(value, lambda text: _marked(text, forms))


def _marked(text: str, forms: list[str]) -> str:
    for form in forms:
        if text == form or text.startswith(form + os.sep):
            return ROOT_MARK + text[len(form) :]
    return text


def _replace_strings(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, dict):
        return {key: _replace_strings(item, replace) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_strings(item, replace) for item in value]
    return replace(value) if isinstance(value, str) else value


def _retarget(value: Any, root: str, ports: dict[int, int]) -> Any:
    """The template's credentials for this session: its root, and its ports in every URL."""
    return _replace_strings(value, lambda text: _retargeted(text, root, ports))


def _retargeted(text: str, root: str, ports: dict[int, int]) -> str:
    if text.startswith(ROOT_MARK):
        return root + text[len(ROOT_MARK) :]
    if text.startswith(("http://", "https://")):
        parts = urlsplit(text)
        if parts.port in ports and parts.hostname:
            netloc = parts.netloc.rsplit(":", 1)[0] + f":{ports[parts.port]}"
            return urlunsplit(parts._replace(netloc=netloc))
    return text
