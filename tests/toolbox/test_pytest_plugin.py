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


TEAM_DATA = (
    '{"foyers": [{"declarants": [{"nom_naissance": "EQUIPE", "prenoms": "ALEX", "sexe": "M",'
    ' "date_naissance": "1979-03-02"}], "avis": [{"annee": 2025, "rfr": 31000}]}]}'
)

FUNCTION_SCOPE_TESTS = """
from datetime import UTC, datetime

import pytest

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def sources(sandbox):
    return sorted(entry["source"] for entry in sandbox.data())


def test_a_leaves_traces(dgfip_sandbox):
    assert sources(dgfip_sandbox) == ["equipe.json"]
    client = dgfip_sandbox.client("caf-demo")
    answer = client.get("/sandbox/audit?limit=1")
    assert answer.status_code == 200, answer.text
    assert answer.headers["RateLimit"].startswith('"sandbox";r=499;')
    dgfip_sandbox.foyer(avis=[{"annee": 2025, "rfr": 1000}])
    dgfip_sandbox.advance_clock(minutes=5)
    assert sources(dgfip_sandbox) == ["equipe.json", "pytest"]
    assert dgfip_sandbox.journal("caf-demo")


def test_b_starts_from_the_seed_and_the_team_data(dgfip_sandbox):
    assert dgfip_sandbox.clock.now() == START
    assert sources(dgfip_sandbox) == ["equipe.json"]
    assert dgfip_sandbox.journal("caf-demo") == []
    answer = dgfip_sandbox.client("caf-demo").get("/sandbox/audit?limit=1")
    assert answer.headers["RateLimit"].startswith('"sandbox";r=499;')  # the counter of test a is gone


@pytest.mark.dgfip_sandbox_data("propre.json")
def test_c_gets_its_own_declared_data(dgfip_sandbox):
    assert sources(dgfip_sandbox) == ["equipe.json", "propre.json"]


def test_d_does_not_see_test_c_data(dgfip_sandbox):
    assert sources(dgfip_sandbox) == ["equipe.json"]
"""


def test_function_scope_puts_the_state_back_before_each_test(integrator: pytest.Pytester) -> None:
    integrator.makeini(
        "[pytest]\n"
        "dgfip_sandbox_seed_size = 40\n"
        "dgfip_sandbox_clock_start = 2026-11-25T10:00:00+00:00\n"
        "dgfip_sandbox_scope = function\n"
        "dgfip_sandbox_data = equipe.json\n"
        "filterwarnings = ignore::DeprecationWarning\n"
    )
    integrator.makefile(".json", equipe=TEAM_DATA, propre=TEAM_DATA.replace("EQUIPE", "PROPRE"))
    integrator.makepyfile(test_fresh=FUNCTION_SCOPE_TESTS)
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=4)


def test_the_fresh_fixture_resets_a_session_scoped_sandbox(integrator: pytest.Pytester) -> None:
    integrator.makefile(".json", equipe=TEAM_DATA, propre=TEAM_DATA.replace("EQUIPE", "PROPRE"))
    tests = FUNCTION_SCOPE_TESTS.replace("(dgfip_sandbox)", "(dgfip_sandbox_fresh)").replace(
        "dgfip_sandbox.", "dgfip_sandbox_fresh."
    )
    tests = tests.replace('["equipe.json", ', "[").replace('["equipe.json"]', "[]")
    integrator.makepyfile(test_fresh=tests)
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    result.assert_outcomes(passed=4)


def test_an_unknown_scope_is_a_usage_error(integrator: pytest.Pytester) -> None:
    integrator.makeini("[pytest]\ndgfip_sandbox_scope = module\n")
    integrator.makepyfile(test_scope="def test_x(dgfip_sandbox):\n    pass\n")
    result = integrator.runpytest_subprocess(*plugin_args(), "-p", "no:cacheprovider", "-q", timeout=300)
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert "dgfip_sandbox_scope: 'module', expected one of session, function" in output
