"""Refusals of test data: each names the field (``foyers[0].declarants[1].spi``) and says why, in French."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

# pydantic's error types → French (the message of our own validators is used as it is).
_MESSAGES: dict[str, str] = {
    "missing": "champ obligatoire",
    "extra_forbidden": "champ inconnu",
    "int_parsing": "nombre entier attendu",
    "int_type": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_parsing": "nombre attendu",
    "float_type": "nombre attendu",
    "bool_parsing": "booléen attendu (true ou false)",
    "bool_type": "booléen attendu (true ou false)",
    "string_type": "texte attendu",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date attendue (AAAA-MM-JJ), sans heure",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "model_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "dict_type": "objet attendu",
}


class TestDataError(ValueError):
    """Test data refused; ``problems`` lists (field, reason) and nothing was written."""

    __test__ = False  # not a pytest test class

    def __init__(self, problems: Sequence[tuple[str, str]], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f"{source} : " if source else ""
        super().__init__(where + " ; ".join(f"{field} : {reason}" for field, reason in self.problems))

    def as_list(self) -> list[dict[str, str]]:
        return [{"champ": field, "erreur": reason} for field, reason in self.problems]


def field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "fichier"


def _reason(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"valeur inattendue, attendu : {ctx.get('expected', '')}".replace("' or '", "', '")
    if kind == "string_pattern_mismatch":
        return f"format invalide (attendu : {ctx.get('pattern', '')})"
    if kind == "string_too_short":
        return "ne doit pas être vide"
    if kind == "string_too_long":
        return f"{ctx.get('max_length')} caractères au plus"
    if kind in ("greater_than_equal", "greater_than"):
        return f"doit valoir au moins {ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"doit valoir au plus {ctx.get('le', ctx.get('lt'))}"
    if kind == "multiple_of":
        return f"doit être un multiple de {ctx.get('multiple_of')}"
    if kind == "too_short":
        return f"au moins {ctx.get('min_length')} élément(s)"
    if kind == "too_long":
        return f"au plus {ctx.get('max_length')} élément(s)"
    return _MESSAGES.get(kind, f"valeur invalide ({error['msg']})")


def from_validation_error(exc: ValidationError, source: str | None = None) -> TestDataError:
    problems = []
    for error in exc.errors():
        reason = _reason(error)
        loc = list(error["loc"])
        # A model validator's message starts with the field it is about ("situation_famille : …").
        if error["type"] == "value_error" and " : " in reason and reason.split(" : ", 1)[0].isidentifier():
            field, reason = reason.split(" : ", 1)
            loc.append(field)
        problems.append((field_path(loc), reason))
    return TestDataError(problems, source)
