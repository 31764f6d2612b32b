"""The import rules of docs/architecture.md, enforced: import-linter's contracts (pyproject.toml), no
import cycle between any two modules, and the imports that must stay lazy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept() -> None:
    """`lint-imports` with the contracts of pyproject.toml (layers, the gateway imports no API, …)."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports(no_cache=True))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def strongly_connected(graph: grimp.ImportGraph) -> list[set[str]]:
    """Tarjan's algorithm: every set of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(component)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_between_modules() -> None:
    graph = grimp.build_graph("dgfip_sandbox")
    assert strongly_connected(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    assert strongly_connected(graph) == [{"pkg.a", "pkg.b"}]


@pytest.mark.parametrize(
    ("module", "not_loaded"),
    [
        ("dgfip_sandbox.franceconnect", "dgfip_sandbox.franceconnect.app"),
        ("dgfip_sandbox.gateway.app", "dgfip_sandbox.franceconnect.app"),
        ("dgfip_sandbox.gateway.app", "dgfip_sandbox.apis"),
        ("dgfip_sandbox.settings", "fastapi"),
    ],
)
def test_importing_a_module_does_not_load(module: str, not_loaded: str) -> None:
    code = f"import sys, {module}; sys.exit(any(m == {not_loaded!r} or m.startswith({not_loaded!r} + '.') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False).returncode == 0
