"""The APIM gateway: one ASGI app, its ordered check pipeline and the token endpoint."""
