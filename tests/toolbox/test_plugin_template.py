"""The plugin's per-machine template (testing/template.py): prepared once, copied per session with
the session's own root and ports in its credentials."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from dgfip_sandbox.settings import Settings
from dgfip_sandbox.testing.template import META_FILE, prepare_from_template

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def session_settings(root: Path, base_port: int) -> Settings:
    return Settings(
        var_dir=root / "var",
        certs_dir=root / "certs",
        seed_size=20,
        port=base_port,
        fc_port=base_port + 1,
        admin_port=base_port + 2,
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' init-only argument
    )


def all_strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in all_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return [value] if isinstance(value, str) else []


def test_two_sessions_share_one_template_with_their_own_roots_and_ports(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = prepare_from_template(session_settings(tmp_path / "one", 41000), now=NOW, cache_dir=cache)
    later = datetime(2026, 11, 25, 16, 30, tzinfo=UTC)  # the same day: the same template
    second = prepare_from_template(session_settings(tmp_path / "two", 42000), now=later, cache_dir=cache)

    templates = [p for p in cache.iterdir() if (p / META_FILE).exists()]
    assert len(templates) == 1
    assert not [p for p in cache.iterdir() if ".building-" in p.name]
    assert first["gateway"]["base_url"] == "https://localhost:41000"
    assert second["gateway"]["base_url"] == "https://localhost:42000"
    assert second["admin"]["base_url"].endswith(":42002")
    assert json.loads((tmp_path / "two" / "var" / "credentials.json").read_text()) == second
    for text in all_strings(second):
        assert "@SANDBOX_ROOT@" not in text and str(tmp_path / "one") not in text
        if text.startswith(("http://", "https://")) and urlsplit(text).port:
            assert urlsplit(text).port not in (41000, 41001, 41002), text
    consumer = second["consumers"][0]
    assert Path(consumer["cert"]).is_relative_to(tmp_path / "two") and Path(consumer["cert"]).exists()
    assert (tmp_path / "two" / "var" / "sandbox.db").exists()


def test_another_day_prepares_another_template(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    prepare_from_template(session_settings(tmp_path / "one", 41000), now=NOW, cache_dir=cache)
    prepare_from_template(
        session_settings(tmp_path / "two", 42000), now=datetime(2026, 11, 26, 9, 0, tzinfo=UTC), cache_dir=cache
    )
    assert len([p for p in cache.iterdir() if (p / META_FILE).exists()]) == 2
