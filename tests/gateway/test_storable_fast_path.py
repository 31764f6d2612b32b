"""The journal's and audit's escaping (store/journal.py ``storable``) answers the same through its
fast paths (one JSON encoding of the whole value; for a JSON column, the column's own encoding) as
through the walk over every string."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from dgfip_sandbox.store.audit_connection import _json_value
from dgfip_sandbox.store.journal import _storable, storable

UNSTORABLE = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)] + ["\ud800", "\udfff"]
KEPT = ["\t", "\n", "\r", "é", "€", "\\", "\\u00", "\\b", "\\f", '"', "\u2028"]


def shapes(text: str) -> list[Any]:
    return [
        {"body": text},
        {text: "valeur"},
        {"headers": {"x-test": f"a{text}b"}, "trace": [{"check": "caller_ip", "reason": text}]},
        [1, None, True, 2.5, text],
        ("tuple", (text,)),
        {"at": datetime(2026, 11, 25, tzinfo=UTC), "n": 3, "nested": [[{"deep": text}]]},
        {("tuple", "key"): text},
    ]


@pytest.mark.parametrize("text", UNSTORABLE + KEPT + ["", "plain ASCII"])
def test_fast_path_and_walk_agree(text: str) -> None:
    for value in shapes(text):
        assert storable(value) == _storable(value)


@pytest.mark.parametrize("char", UNSTORABLE)
def test_every_unstorable_character_is_escaped_in_nested_values(char: str) -> None:
    escaped = storable({"a": [{"b": f"x{char}y"}]})["a"][0]["b"]
    assert char not in escaped
    assert escaped.startswith("x") and escaped.endswith("y")


def json_shapes(text: str) -> list[Any]:
    """The shapes a JSON column holds (no datetime, no tuple key: the JSON type refuses them)."""
    return [
        value for value in shapes(text) if not isinstance(value, dict) or not any(isinstance(k, tuple) for k in value)
    ][:5] + [{"n": 3, "nested": [[{"deep": text}]], "flags": [True, False, None, 1.5]}]


@pytest.mark.parametrize("text", UNSTORABLE + KEPT + ["", "plain ASCII", "\U0001f600"])
def test_json_columns_are_encoded_once_as_the_json_type_encodes_the_storable_value(text: str) -> None:
    """store/audit_connection.py encodes a JSON column once and escapes only on an alarm: the text it
    stores is what SQLAlchemy's JSON type (json.dumps) stores for the storable value."""
    for value in json_shapes(text):
        assert _json_value(value) == json.dumps(_storable(value))
