"""Every user-facing doc exists in French: ``NAME.fr.md`` beside ``NAME.md``, each linking to the other and both
linked from the README. ``architecture.md`` is for the project's developers and stays in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
DEVELOPER_DOCS = {"architecture.md"}
# The two pairs written before the ``.fr.md`` convention keep their French names.
FRENCH_NAMES = {"getting-started.md": "demarrage.md", "test-data.md": "donnees-de-test.md"}


def french_twin(english: str) -> str:
    return FRENCH_NAMES.get(english, english.removesuffix(".md") + ".fr.md")


def english_docs() -> list[str]:
    french = {french_twin(path.name) for path in DOCS.glob("*.md")}
    names = {path.name for path in DOCS.glob("*.md")} - french - DEVELOPER_DOCS
    return sorted(name for name in names if not name.endswith(".fr.md"))


@pytest.mark.parametrize("english", english_docs())
def test_each_user_doc_has_a_french_twin_and_both_link_to_each_other(english: str) -> None:
    twin = french_twin(english)
    assert (DOCS / twin).is_file(), f"docs/{english} has no French version docs/{twin}"
    assert f"]({twin})" in (DOCS / english).read_text(), f"docs/{english} does not link to {twin}"
    assert f"]({english})" in (DOCS / twin).read_text(), f"docs/{twin} does not link to {english}"


@pytest.mark.parametrize("english", english_docs())
def test_the_readme_links_both_versions(english: str) -> None:
    readme = (ROOT / "README.md").read_text()
    for name in (english, french_twin(english)):
        assert f"](docs/{name})" in readme, f"README.md does not link to docs/{name}"


def test_every_french_doc_has_its_english_original() -> None:
    english = {path.name for path in DOCS.glob("*.md")}
    for french in DOCS.glob("*.fr.md"):
        assert french.name.removesuffix(".fr.md") + ".md" in english, french.name


def test_the_french_plugin_page_shows_the_tested_examples() -> None:
    """tests/toolbox/test_pytest_plugin.py runs the English page's examples: the French page shows the same code."""
    examples = [
        re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), flags=re.S)
        for name in ("pytest-plugin.md", "pytest-plugin.fr.md")
    ]
    assert examples[0] and examples[0] == examples[1]


def test_the_french_test_data_page_shows_the_tested_file() -> None:
    """tests/testdata/test_service.py loads the English page's data file: the French one holds the same data."""
    files = [
        re.findall(r"```yaml\n(.*?)```", (DOCS / name).read_text(), flags=re.S)
        for name in ("test-data.md", "donnees-de-test.md")
    ]
    assert len(files[0]) == len(files[1]) == 1
    assert yaml.safe_load(files[0][0]) == yaml.safe_load(files[1][0])
