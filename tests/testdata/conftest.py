"""The toolbox fixtures (admin app, per-test PKI copy, CLI environment) for the test data tests."""

from tests.toolbox.conftest import admin, cli, credentials, probed, settings  # noqa: F401 - fixtures
