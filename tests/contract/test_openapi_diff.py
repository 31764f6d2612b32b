"""What differs between the served documents and DGFIP's published swaggers is exactly what the docs list.

The differences (tests/contract/openapi_diff.py) are computed between each API's served document and
its published swagger; docs/impot-particulier.md and docs/ficoba.md carry the same lines between the
markers below, each explained in its Departures section. A new difference, or a documented one that
went away, fails here with the lines to write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dgfip_sandbox.assembly import build_openapi_documents
from dgfip_sandbox.settings import Settings
from tests.contract.openapi_diff import differences
from tests.contract.published import published

ROOT = Path(__file__).resolve().parents[2]
DOCS = {
    "impot_particulier": ("/impotparticulier/1.0/openapi.json", ROOT / "docs" / "impot-particulier.md"),
    "ficoba": ("/fcb-masrestit/api/v2/openapi.json", ROOT / "docs" / "ficoba.md"),
}
BEGIN, END = "<!-- openapi-diff: begin -->", "<!-- openapi-diff: end -->"


def documented(doc: Path) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"{doc} has no {BEGIN} … {END} block"
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return [line.removeprefix("- ").strip() for line in block.splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("openapi-diff")
    return build_openapi_documents(Settings(var_dir=root / "var", certs_dir=root / "certs", _env_file=None))


@pytest.mark.parametrize("api", sorted(DOCS))
def test_differences_with_the_published_swagger_are_the_documented_departures(served, api: str) -> None:
    url, doc = DOCS[api]
    found = differences(served[url], published(api))
    listed = documented(doc)
    assert found == listed, (
        f"{doc.name}: the served document differs from DGFIP's swagger by these lines "
        f"(write them between the markers, and explain them under Departures):\n" + "\n".join(f"- {d}" for d in found)
    )


def test_the_diff_sees_a_difference() -> None:
    """The comparison itself: a field, a status, a required flag and a scope that differ are reported."""
    published_doc = {
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "parameters": [{"name": "H", "in": "header", "required": False, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"type": "object", "properties": {"a": {"type": "integer"}}}
                                }
                            }
                        }
                    },
                    "security": [{"o": ["S1"]}],
                }
            }
        }
    }
    served_doc = {
        "paths": {
            "/x": {
                "get": {
                    "operationId": "x",
                    "parameters": [{"name": "h", "in": "header", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                                    }
                                }
                            }
                        },
                        "410": {"description": "gone"},
                    },
                    "security": [{"o": ["S2"]}],
                }
            }
        }
    }
    assert differences(served_doc, published_doc) == [
        "paramètre header `h` requis (publié : facultatif) — toutes les opérations",
        "réponse 200 : `a` est string (publié : integer) — toutes les opérations",
        "scopes ['S2'] (publiés : ['S1']) — toutes les opérations",
        "statuts ajoutés : 410 — toutes les opérations",
    ]
