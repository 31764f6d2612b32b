"""Settings of every sandbox process.

Every field is also an environment variable ``DGFIP_SANDBOX_<FIELD>`` (pydantic-settings).
Nothing reads the environment at import time: the CLI builds one ``Settings`` and passes it to the
app factories; tests build their own with explicit values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DGFIP_SANDBOX_", env_file=None, extra="ignore")

    # Network
    host: str = "127.0.0.1"
    port: int = 8443
    fc_host: str = "127.0.0.1"
    fc_port: int = 8444
    fc_https: bool = False
    admin_port: int = 8445
    admin_host: str = Field(
        default="127.0.0.1", description="Where the admin API listens; another interface needs admin_allowed_ips"
    )
    admin_allowed_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs allowed on the admin API besides the loopback (docker compose: the bridge's gateway address)",
    )
    demo_fs_port: int = 8446
    demo_fs_host: str = "127.0.0.1"
    public_base_url: str | None = Field(
        default=None, description="Base URL printed in credentials.json; defaults to https://localhost:<port>"
    )

    # Files
    var_dir: Path = Path("var")
    certs_dir: Path = Path("certs")

    # Storage
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; default: SQLite file var/sandbox.db"
    )
    redis_url: str | None = Field(default=None, description="Quota store in Redis; default: in-process")
    redis_fail_open: bool = False
    redis_prefix: str = Field(
        default="dgfip-sandbox:", description="Prefix of every Redis key (several sandboxes may share one Redis)"
    )
    database_pool_size: int = Field(
        default=10, description="Pooled connections per process (PostgreSQL); as many again on overflow"
    )

    # Seed
    seed: int = 20261125
    seed_size: int = 2000

    # Gateway
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs of TLS-terminating proxies whose Client-Cert / X-Forwarded-For headers are honoured",
    )
    token_ttl_seconds: int = 3600
    token_issuer: str | None = Field(
        default=None, description="The tokens' iss claim; default: the gateway's public URL + /token"
    )
    max_header_bytes: int = 8192
    ficoba_require_request_id: bool = True
    demo_extra_allowed_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="CIDRs added to the loopback-only demo consumers (docker compose: the address the proxy sees for host clients)",
    )

    # Operations
    audit_retention_days: int = Field(
        default=730, description="Audit records older than this are purged by `audit purge` (CGU: two years)"
    )
    clock_offset_seconds: float = Field(
        default=0.0, description="Tests and demos only: shift every clock of the process by this many seconds"
    )
    clock_file: Path | None = Field(
        default=None,
        description="Tests only: every clock of the process reads a frozen ISO 8601 instant from this file "
        "(processes sharing it share one clock; the test moves it by rewriting the file)",
    )
    graceful_shutdown_seconds: float = Field(
        default=10.0, description="How long a stopping server waits for in-flight requests"
    )

    # FranceConnect
    fc_base_url: str | None = Field(
        default=None, description="Where the gateway reaches FranceConnect; default http://127.0.0.1:<fc_port>"
    )
    fc_access_token_ttl_seconds: int = 60
    fc_checktoken_timeout_seconds: float = 3.0

    # Logs
    log_level: str = "INFO"
    log_format: Literal["auto", "console", "json"] = Field(
        default="auto", description="auto: the console renderer on a terminal, JSON lines otherwise"
    )

    # Admin API, journal, scenarios
    admin_token: str | None = Field(
        default=None, description="Bearer token of the admin API; default: generated into var/admin-token at bootstrap"
    )
    journal_body_bytes: int = Field(default=4096, description="Request/response body bytes kept per journal entry")
    scenario_max_latency_ms: int = 30000

    @field_validator("trusted_proxies", "demo_extra_allowed_ips", "admin_allowed_ips", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.var_dir / 'sandbox.db').resolve()}"

    @property
    def gateway_base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0", "localhost", "::") else self.host  # noqa: S104 - compared, not bound
        return f"https://{host}:{self.port}"

    @property
    def gateway_token_issuer(self) -> str:
        """The ``iss`` of the gateway's tokens: its token endpoint at its public URL, unless set."""
        return self.token_issuer or f"{self.gateway_base_url}/token"

    @property
    def franceconnect_base_url(self) -> str:
        if self.fc_base_url:
            return self.fc_base_url.rstrip("/")
        scheme = "https" if self.fc_https else "http"
        return f"{scheme}://{self.fc_host}:{self.fc_port}"

    @property
    def credentials_path(self) -> Path:
        return self.var_dir / "credentials.json"

    @property
    def admin_token_path(self) -> Path:
        return self.var_dir / "admin-token"

    @property
    def admin_base_url(self) -> str:
        return f"http://127.0.0.1:{self.admin_port}"


def normalize_database_url(url: str) -> str:
    """Map plain driver-less URLs onto the async drivers the sandbox uses."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url
