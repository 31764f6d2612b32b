"""The pytest plugin, exercised the way an integrator uses it: docs/pytest-plugin.md's example, run by pytester."""

from __future__ import annotations

import os
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import dgfip_sandbox

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest-plugin.md"


def example_from_the_docs(index: int = 0) -> str:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) > index, "docs/pytest-plugin.md lacks a python example"
    return blocks[index]


def plugin_args() -> list[str]:
    """``-p`` only when the entry point is not installed (a source checkout), else pytest loads it itself."""
    installed = any(ep.name == "dgfip_sandbox" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "dgfip_sandbox.testing.plugin"]


@pytest.fixture
def integrator(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    src = str(Path(dgfip_sandbox.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p))
    pytester.makeini(
        "[pytest]\n"
        "dgfip_sandbox_seed_size = 40\n"
        "dgfip_sandbox_clock_start = 2026-11-25T10:00:00+00:00\n"
        "filterwarnings = ignore::DeprecationWarning\n"
    )
    return pytester


def test_the_documented_example_passes(integrator: pytest.Pytester) -> None:
    integrator.makepyfile(test_integration=example_from_the_docs())
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=8)


def test_the_documented_ficoba_and_test_data_example_passes(integrator: pytest.Pytester) -> None:
    integrator.makepyfile(test_ficoba_and_data=example_from_the_docs(1))
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=6)


def test_assert_called_reports_what_was_called(integrator: pytest.Pytester) -> None:
    integrator.makepyfile(
        test_verify="""
def test_expects_two_searches(dgfip_sandbox):
    dgfip_sandbox.ficoba.rechercher_spi("3900000101" + "000")
    dgfip_sandbox.journal.assert_called(route="/comptes/spi", times=2, consumer="ficoba-administration")
"""
    )
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*expected /comptes/spi by ficoba-administration 2 time(s), got 1*POST /fcb-masrestit/api/v2/comptes/spi*"]
    )


def test_a_failing_integrator_test_reports_the_gateways_answer(integrator: pytest.Pytester) -> None:
    integrator.makepyfile(
        test_failing="""
def test_scope_not_granted(dgfip_sandbox):
    dgfip_sandbox.token("caf-demo", scopes=["RessourceIFI"])
"""
    )
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*POST /token for caf-demo: 400*invalid_scope*"])
