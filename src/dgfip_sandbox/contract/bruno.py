"""A Bruno collection of the sandbox (a directory of .bru files), from contract/collection.py's requests.

``bruno.json`` declares the client certificate for the gateway's host (Bruno's ``clientCertificates``);
the environment ``sandbox`` holds the variables (the client secret as a secret variable); the collection
sends the token (bearer, inherited by every request) and a fresh ``X-Correlation-ID`` (pre-request script).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dgfip_sandbox.contract.collection import (
    CollectionAccess,
    CollectionRequest,
    requests_of,
    setup_text,
    variables_of,
)

DIRECTORY = "dgfip-sandbox-bruno"
_UNSAFE = re.compile(r"[^\w .,()-]+")


def _block(name: str, lines: list[str]) -> str:
    return name + " {\n" + "".join(f"  {line}\n" for line in lines) + "}\n"


def _text_block(name: str, text: str) -> str:
    return name + " {\n" + "".join(f"  {line}\n" if line else "\n" for line in text.splitlines()) + "}\n"


def _file_name(name: str) -> str:
    return _UNSAFE.sub("_", name).strip()[:120] + ".bru"


def request_file(request: CollectionRequest, seq: int) -> str:
    method = request.method.lower()
    parts = [
        _block("meta", [f"name: {request.name}", "type: http", f"seq: {seq}"]),
        _block(
            method,
            [f"url: {{{{baseUrl}}}}{request.path}", f"body: {'json' if request.body else 'none'}", "auth: inherit"],
        ),
    ]
    if request.headers:
        parts.append(_block("headers", [f"{k}: {v}" for k, v in request.headers]))
    if request.body is not None:
        parts.append(_text_block("body:json", request.body))
    parts.append(_text_block("docs", request.description))
    return "\n".join(parts)


def token_file() -> str:
    return "\n".join(
        [
            _block("meta", ["name: Obtenir un jeton (client credentials)", "type: http", "seq: 1"]),
            _block("post", ["url: {{baseUrl}}/token", "body: formUrlEncoded", "auth: basic"]),
            _block("auth:basic", ["username: {{clientId}}", "password: {{clientSecret}}"]),
            _block("body:form-urlencoded", ["grant_type: client_credentials", "scope: {{scope}}"]),
            _block("script:post-response", ['bru.setVar("access_token", res.body.access_token);']),
            _text_block("docs", "POST /token (OAuth2 client credentials, RFC 6749 §4.4) sur la connexion mTLS."),
        ]
    )


def collection_file(access: CollectionAccess) -> str:
    return "\n".join(
        [
            _block("auth", ["mode: bearer"]),
            _block("auth:bearer", ["token: {{access_token}}"]),
            _block(
                "script:pre-request",
                [
                    "// Un X-Correlation-ID neuf (UUID) à chaque appel, comme l'APIM l'exige (910000 sinon).",
                    'const { v4: uuidv4 } = require("uuid");',
                    'req.setHeader("X-Correlation-ID", uuidv4());',
                ],
            ),
            _text_block("docs", setup_text(access, "Bruno")),
        ]
    )


def environment_file(variables: dict[str, str]) -> str:
    secret = {"clientSecret", "access_token", "franceconnectToken"}
    plain = [f"{k}: {v}" for k, v in variables.items() if k not in secret]
    out = _block("vars", plain)
    out += "vars:secret [\n" + ",\n".join(f"  {k}" for k in variables if k in secret) + "\n]\n"
    return out


def bruno_json(access: CollectionAccess) -> dict[str, Any]:
    host = urlsplit(access.base_url).netloc
    return {
        "version": "1",
        "name": "Bac à sable DGFiP",
        "type": "collection",
        "ignore": ["node_modules", ".git"],
        "clientCertificates": {
            "enabled": True,
            "certs": [
                {
                    "domain": host,
                    "type": "cert",
                    "certFilePath": access.cert,
                    "keyFilePath": access.key,
                    "passphrase": "",
                }
            ],
        },
    }


def write(documents: dict[str, dict[str, Any]], urls: list[str], access: CollectionAccess, output: Path) -> list[Path]:
    root = output / DIRECTORY
    (root / "environments").mkdir(parents=True, exist_ok=True)
    requests = requests_of(documents, urls)
    files: dict[Path, str] = {
        root / "bruno.json": json.dumps(bruno_json(access), ensure_ascii=False, indent=2) + "\n",
        root / "collection.bru": collection_file(access),
        root / "environments" / "sandbox.bru": environment_file(variables_of(access, requests)),
        root / "APIM" / "folder.bru": _block("meta", ["name: APIM", "seq: 1"]),
        root / "APIM" / "Obtenir un jeton.bru": token_file(),
    }
    folders = list(dict.fromkeys(r.folder for r in requests))
    for index, folder in enumerate(folders, start=2):
        directory = root / _UNSAFE.sub("_", folder).strip()
        files[directory / "folder.bru"] = _block("meta", [f"name: {folder}", f"seq: {index}"])
        for seq, request in enumerate((r for r in requests if r.folder == folder), start=1):
            files[directory / _file_name(request.name)] = request_file(request, seq)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return sorted(files)
