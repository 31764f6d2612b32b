"""Data files: YAML (``.yaml``/``.yml``) or JSON, read into the one model (model.DataFile)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dgfip_sandbox.testdata.errors import TestDataError, from_validation_error
from dgfip_sandbox.testdata.model import DataFile

MAX_FILE_BYTES = 20 * 1024 * 1024


def parse_data(data: Any, source: str | None = None) -> DataFile:
    """The model of already decoded data (a JSON body, the plugin's arguments); French errors."""
    if not isinstance(data, dict):
        raise TestDataError([("fichier", "objet attendu, avec foyers, comptes ou identites")], source)
    try:
        return DataFile.model_validate(data)
    except ValidationError as exc:
        raise from_validation_error(exc, source) from None


def parse_text(text: str, source: str) -> DataFile:
    """A YAML or JSON document (JSON is YAML; the name only chooses the error message)."""
    try:
        data = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "JSON" if source.endswith(".json") else "YAML"
        raise TestDataError([("fichier", f"{kind} illisible ({str(exc).splitlines()[0][:200]})")], source) from None
    return parse_data(data or {}, source)


def load_file(path: Path) -> DataFile:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise TestDataError([("fichier", f"plus de {MAX_FILE_BYTES // 2**20} Mo")], str(path))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TestDataError([("fichier", f"illisible ({exc.__class__.__name__})")], str(path)) from None
    return parse_text(text, str(path))
