"""API FICOBA as the gateway mounts it (the composition root passes ``API`` to the gateway)."""

from __future__ import annotations

import re

from dgfip_sandbox.apis.ficoba import errors, router, schemas
from dgfip_sandbox.apis.ficoba.contract import CONTRACT
from dgfip_sandbox.apis.ficoba.datapass import DataPassScope
from dgfip_sandbox.gateway.mounted_api import ErrorFactory, MountedApi

# FICOBA's technical and functional anomalies (errors.py, Protocole technique Ficoba3 v8, annexe 9) that
# FICOBA answers with an HTTP error; the "no result" CAF codes are 200 answers (use the FICOBA personas).
INJECTABLE_ERRORS: dict[str, ErrorFactory] = {
    name: cls
    for name, cls in vars(errors).items()
    if re.fullmatch(r"CA[TF][0-9]{3}", name)
    and isinstance(cls, type)
    and issubclass(cls, errors.FicobaError)
    and cls.status_code >= 400
}

API = MountedApi(
    name="ficoba",
    routers=(router.router,),
    scopes=DataPassScope,
    injectable_errors=INJECTABLE_ERRORS,
    contract=CONTRACT,
    status_errors=errors.STATUS_ERRORS,
    # FICOBA parses its raw bodies (schemas.parse): the gateway's journal learns their members here.
    request_schemas=tuple(model.model_json_schema() for model in schemas.REQUEST_MODELS),
)
