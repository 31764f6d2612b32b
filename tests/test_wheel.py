"""The wheel holds every template, static file and migration of the package (what ``pip install`` gives an
integrator), and Swagger UI / ReDoc assets come with the dependencies, not from a CDN."""

from __future__ import annotations

import subprocess

from tests.wheel import ROOT, built_wheel, wheel_files


def _package_files() -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "src/dgfip_sandbox"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return {path.removeprefix("src/") for path in listed}


def test_the_wheel_holds_every_file_of_the_package() -> None:
    in_wheel = wheel_files(built_wheel())
    missing = sorted(_package_files() - in_wheel)
    assert missing == []
    for kind in (".html", ".css", ".js", ".mako"):
        assert any(name.endswith(kind) for name in in_wheel), kind
    assert any(name.startswith("dgfip_sandbox/migrations/versions/0001_") for name in in_wheel)
