"""FranceConnect state, all in SQL so that any replica can answer any step of a flow.

Registries: service providers (FS), data providers (FD), demo citizens (the identity provider's
accounts). Flow state: sessions (one per /authorize interaction, bound to a browser cookie),
authorization codes, access tokens (expiry and revocation), events (FranceConnect's business
tracking: consent shown/given, token, userinfo, checktoken).

Codes and access tokens are stored as SHA-256 digests: the database never holds a usable token.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from sqlalchemy import (
    JSON,
    Boolean,
    CursorResult,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from dgfip_sandbox.store.audit_connection import Insert
from dgfip_sandbox.store.base import Base
from dgfip_sandbox.store.loop_sqlite import LoopSqlite


def token_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes for timezone-aware columns: they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class FcServiceProvider(Base):
    """A fournisseur de service (FS) registered with FranceConnect."""

    __tablename__ = "fc_service_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    client_secret_hash: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)  # scopes the FS is allowed to request
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(10), default="ES256")
    userinfo_signed_response_alg: Mapped[str] = mapped_column(String(10), default="ES256")
    sp_type: Mapped[str] = mapped_column(String(10), default="public")  # "public" | "private"
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # client_secret_post (FranceConnect's default) | private_key_jwt (client assertion signed with a key of
    # ``jwks`` or of the document at ``jwks_uri``).
    token_endpoint_auth_method: Mapped[str] = mapped_column(
        String(30), default="client_secret_post", server_default="client_secret_post"
    )
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # public keys only
    jwks_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Prompts the FS may send to change the flow (FranceConnect's allowedPrompts, e.g. ["login"] skips consent).
    allowed_prompts: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The client secret encrypted with the provider's key (keys.ProviderKeys.seal): HS256 signs with it.
    client_secret_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)


class FcClientAssertion(Base):
    """A private_key_jwt client assertion already used (its jti, until it expires): used only once."""

    __tablename__ = "fc_client_assertions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    jti_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FcDataProvider(Base):
    """A fournisseur de données (FD) allowed to call checktoken, with its public encryption keys."""

    __tablename__ = "fc_data_providers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # public keys only (what jwks_uri would serve)
    checktoken_signed_response_alg: Mapped[str] = mapped_column(String(10), default="ES256")
    checktoken_encrypted_response_alg: Mapped[str] = mapped_column(String(20), default="ECDH-ES")
    checktoken_encrypted_response_enc: Mapped[str] = mapped_column(String(20), default="A256GCM")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FcCitizen(Base):
    """An account of the demo identity provider, with its identité pivot."""

    __tablename__ = "fc_citizens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(100))
    preferred_username: Mapped[str | None] = mapped_column(String(100), nullable=True)
    birthdate: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD
    gender: Mapped[str] = mapped_column(String(6))  # male | female
    birthplace: Mapped[str] = mapped_column(String(5), default="")  # INSEE COG, "" when born abroad
    birthcountry: Mapped[str] = mapped_column(String(5))  # INSEE COG, 99100 = France
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    case: Mapped[str] = mapped_column(String(40))  # fc_match | fc_no_match | fc_homonyms …
    description: Mapped[str] = mapped_column(String(300))
    expected_spi: Mapped[str | None] = mapped_column(String(13), nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class FcSession(Base):
    """One /authorize interaction, from the request to the end of the FranceConnect session."""

    __tablename__ = "fc_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the interaction uid
    browser_id_hash: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(Text)
    acr: Mapped[str] = mapped_column(String(20))
    claims: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prompt: Mapped[str | None] = mapped_column(String(60), nullable=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("fc_citizens.id", ondelete="CASCADE"), nullable=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | authenticated | consented | ended
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    authenticated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FcAuthorizationCode(Base):
    __tablename__ = "fc_authorization_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("fc_sessions.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    redirect_uri: Mapped[str] = mapped_column(Text)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("fc_citizens.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(Text)
    acr: Mapped[str] = mapped_column(String(20))
    want_amr: Mapped[bool] = mapped_column(Boolean, default=False)
    auth_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FcAccessToken(Base):
    __tablename__ = "fc_access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    jti: Mapped[str] = mapped_column(String(64), unique=True)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("fc_authorization_codes.id", ondelete="CASCADE"), nullable=True, index=True
    )
    session_id: Mapped[str] = mapped_column(ForeignKey("fc_sessions.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("fc_citizens.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(Text)
    acr: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FcEvent(Base):
    """FranceConnect business tracking (FC_SHOWED_CONSENT, FC_DATATRANSFER_CONSENT_IDENTITY …)."""

    __tablename__ = "fc_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    type: Mapped[str] = mapped_column(String(60), index=True)
    step: Mapped[str | None] = mapped_column(String(10), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    sp_client_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dp_client_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    citizen_login: Mapped[str | None] = mapped_column(String(60), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# FranceConnect's tracking step numbers (core-fcp-low config/tracking.ts).
EVENT_STEPS: dict[str, str] = {
    "FC_AUTHORIZE_INITIATED": "1.0.0",
    "FC_SSO_INITIATED": "1.1.0",
    "FC_SHOWED_IDP_CHOICE": "2.0.0",
    "IDP_AUTHENTICATED": "5.0.0",
    "FC_SHOWED_CONSENT": "6.1.0",
    "FC_DATATRANSFER_INFORMATION_ANONYMOUS": "6.2.0",
    "FC_DATATRANSFER_INFORMATION_IDENTITY": "6.2.1",
    "FC_DATATRANSFER_CONSENT_IDENTITY": "6.2.2",
    "FC_REDIRECTED_TO_SP": "7.0.0",
    "SP_REQUESTED_FC_TOKEN": "7.2.0",
    "SP_REQUESTED_FC_USERINFO": "7.3.0",
    "SP_REVOKED_FC_TOKEN": "7.5.0",
    "DP_VERIFIED_FC_CHECKTOKEN": "7.4.0",
    "DP_USED_INVALID_CREDENTIAL": "7.4.1",
    "DP_USED_INVALID_ACCESS_TOKEN": "7.4.2",
    "FC_AUTHORIZATION_CODE_REUSED": "7.2.1",
    "FC_SESSION_TERMINATED": "8.0.0",
}


def event_values(
    type_: str,
    at: datetime,
    *,
    session_id: str | None = None,
    sp_client_id: str | None = None,
    dp_client_id: str | None = None,
    citizen_login: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "type": type_,
        "step": EVENT_STEPS.get(type_),
        "session_id": session_id,
        "sp_client_id": sp_client_id,
        "dp_client_id": dp_client_id,
        "citizen_login": citizen_login,
        "data": data or {},
    }


async def record_event(session: AsyncSession, type_: str, at: datetime, **fields: Any) -> None:
    """Add an event to the session's unit of work (written at its flush); fields: see ``event_values``."""
    session.add(FcEvent(**event_values(type_, at, **fields)))


class EventBatcher:
    """Events of the hot path (checktoken) committed in groups, each caller returning once its own
    event is committed: the caller that takes the lock lets the event loop run once, then commits
    every event queued so far in one transaction, and those queued meanwhile find theirs done. No background task, nothing to start. A
    refused batch is retried event by event, so that only the refused event's caller gets the error."""

    def __init__(self) -> None:
        self._queued: list[tuple[dict[str, Any], asyncio.Future[None]]] = []
        self._lock = asyncio.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def record(self, store: CheckTokenStore, type_: str, at: datetime, **fields: Any) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an app reused by another loop (tests): futures and lock are per loop
            self._loop, self._queued, self._lock = loop, [], asyncio.Lock()
        future: asyncio.Future[None] = loop.create_future()
        self._queued.append((event_values(type_, at, **fields), future))
        async with self._lock:
            if not future.done():
                # One pass of the event loop first: the calls already under way queue their events and
                # share this commit (a write on SQLite's in-loop connection never yields by itself).
                await asyncio.sleep(0)
                batch, self._queued = self._queued, []
                try:
                    await store.insert_events([values for values, _ in batch])
                except Exception:  # noqa: BLE001 - one refused event must not cost the others theirs
                    for values, waiting in batch:
                        try:
                            await store.insert_events([values])
                        except Exception as exc:  # noqa: BLE001 - its caller gets the error
                            waiting.set_exception(exc)
                        else:
                            waiting.set_result(None)
                else:
                    for _, waiting in batch:
                        waiting.set_result(None)
        await future


async def list_events(
    session: AsyncSession,
    *,
    limit: int = 100,
    type_: str | None = None,
    sp_client_id: str | None = None,
    session_id: str | None = None,
) -> list[dict[str, Any]]:
    """The newest events first, as plain dicts (for the CLI)."""
    query = select(FcEvent).order_by(FcEvent.id.desc()).limit(limit)
    if type_:
        query = query.where(FcEvent.type == type_)
    if sp_client_id:
        query = query.where(FcEvent.sp_client_id == sp_client_id)
    if session_id:
        query = query.where(FcEvent.session_id == session_id)
    rows = (await session.execute(query)).scalars().all()
    return [
        {
            "id": row.id,
            "horodatage": row.at.isoformat(),
            "type": row.type,
            "step": row.step,
            "session_id": row.session_id,
            "sp_client_id": row.sp_client_id,
            "dp_client_id": row.dp_client_id,
            "citizen_login": row.citizen_login,
            "data": row.data,
        }
        for row in rows
    ]


async def get_service_provider(session: AsyncSession, client_id: str) -> FcServiceProvider | None:
    return (
        await session.execute(select(FcServiceProvider).where(FcServiceProvider.client_id == client_id))
    ).scalar_one_or_none()


async def require_citizen(session: AsyncSession, citizen_id: int | None) -> FcCitizen:
    """The citizen a session, code or token points to (a foreign key: missing only if the row was deleted)."""
    citizen = await session.get(FcCitizen, citizen_id) if citizen_id is not None else None
    if citizen is None:
        raise LookupError(f"fc_citizens row {citizen_id} is gone")
    return citizen


async def require_service_provider(session: AsyncSession, client_id: str) -> FcServiceProvider:
    """The FS a session, code or token was made for (missing only if the row was deleted)."""
    client = await get_service_provider(session, client_id)
    if client is None:
        raise LookupError(f"fc_service_providers row {client_id} is gone")
    return client


async def get_data_provider(session: AsyncSession, client_id: str) -> FcDataProvider | None:
    return (
        await session.execute(select(FcDataProvider).where(FcDataProvider.client_id == client_id))
    ).scalar_one_or_none()


async def get_citizen_by_login(session: AsyncSession, login: str) -> FcCitizen | None:
    return (await session.execute(select(FcCitizen).where(FcCitizen.login == login))).scalar_one_or_none()


async def list_citizens(session: AsyncSession) -> list[FcCitizen]:
    return list((await session.execute(select(FcCitizen).order_by(FcCitizen.position, FcCitizen.id))).scalars())


async def get_access_token(session: AsyncSession, token: str) -> FcAccessToken | None:
    return (
        await session.execute(select(FcAccessToken).where(FcAccessToken.token_hash == token_digest(token)))
    ).scalar_one_or_none()


def is_active(row: FcAccessToken | CheckedToken, now: datetime) -> bool:
    """Not revoked (revocation, logout) and not expired on ``now``."""
    return row.revoked_at is None and aware(row.expires_at) > now


_TOKEN_COLUMNS = ("client_id", "session_id", "scope", "acr", "jti", "issued_at", "expires_at", "revoked_at")
_CITIZEN_COLUMNS = ("login", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry")
_TOKEN_WITH_CITIZEN = (
    select(
        *(getattr(FcAccessToken, c) for c in _TOKEN_COLUMNS),
        *(getattr(FcCitizen, c).label(f"citizen_{c}") for c in _CITIZEN_COLUMNS),
    )
    .join(FcCitizen, FcCitizen.id == FcAccessToken.citizen_id)
    .where(FcAccessToken.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True, slots=True)
class CheckedToken:
    """What checktoken reads of an access token (plain values: no ORM instance per call)."""

    client_id: str
    session_id: str
    scope: str
    acr: str
    jti: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class CheckedCitizen:
    """What checktoken reads of the token's citizen: the identité pivot and the login."""

    login: str
    given_name: str
    family_name: str
    birthdate: str
    gender: str
    birthplace: str
    birthcountry: str


TokenWithCitizen = tuple[CheckedToken, CheckedCitizen]
_TOKEN_WIDTH = len(_TOKEN_COLUMNS)


def _token_with_citizen(values: Sequence[Any]) -> TokenWithCitizen:
    """A row in ``_TOKEN_WITH_CITIZEN``'s order as the token and its citizen."""
    return CheckedToken(*values[:_TOKEN_WIDTH]), CheckedCitizen(*values[_TOKEN_WIDTH:])


class CheckTokenStore(Protocol):
    """Checktoken's two statements: its one read per call, and its events' group insert."""

    async def token_with_citizen(self, token: str) -> TokenWithCitizen | None: ...

    async def insert_events(self, rows: list[dict[str, Any]]) -> None: ...

    async def close(self) -> None: ...


class EngineCheckTokenStore:
    """Through the engine (PostgreSQL: asyncpg, no thread; an in-memory SQLite database)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def token_with_citizen(self, token: str) -> TokenWithCitizen | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(_TOKEN_WITH_CITIZEN, {"token_hash": token_digest(token)})).first()
        return None if row is None else _token_with_citizen(tuple(row))

    async def insert_events(self, rows: list[dict[str, Any]]) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(insert(FcEvent), rows)

    async def close(self) -> None:
        return None


class SqliteCheckTokenStore:
    """A SQLite file: both statements on a dedicated connection in the event loop (store/loop_sqlite.py),
    each column converted by its SQLAlchemy type as the engine would."""

    def __init__(self, engine: AsyncEngine) -> None:
        dialect = engine.dialect
        self._connection = LoopSqlite(engine.url.database or "", name="franceconnect")
        compiled = _TOKEN_WITH_CITIZEN.compile(dialect=dialect)
        self._select = str(compiled)
        self._convert = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in _TOKEN_WITH_CITIZEN.selected_columns
        ]
        self._events = Insert(cast(Table, FcEvent.__table__), dialect, lambda _i: "?")

    async def token_with_citizen(self, token: str) -> TokenWithCitizen | None:
        row = await self._connection.fetchone(self._select, (token_digest(token),))
        if row is None:
            return None
        return _token_with_citizen(
            [
                value if convert is None or value is None else convert(value)
                for convert, value in zip(self._convert, row, strict=True)
            ]
        )

    async def insert_events(self, rows: list[dict[str, Any]]) -> None:
        await self._connection.write([(self._events.sql, self._events.values(rows))])

    async def close(self) -> None:
        await self._connection.close()


def open_checktoken_store(engine: AsyncEngine) -> CheckTokenStore:
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite" and database and database != ":memory:":
        return SqliteCheckTokenStore(engine)
    return EngineCheckTokenStore(engine)


async def save_service_provider(
    session: AsyncSession, client_id: str, values: dict[str, Any], now: datetime
) -> FcServiceProvider:
    """Insert the FS ``client_id`` or update the given columns of the existing row."""
    row = await get_service_provider(session, client_id)
    if row is None:
        row = FcServiceProvider(client_id=client_id, created_at=now, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
    await session.flush()
    return row


async def use_client_assertion(
    session: AsyncSession, client_id: str, jti: str, expires_at: datetime, now: datetime
) -> bool:
    """Record a client assertion's jti; False when it was already used (and has not expired yet).
    The client's expired assertions are forgotten on the way (an expired assertion is refused anyway)."""
    await session.execute(
        delete(FcClientAssertion).where(FcClientAssertion.client_id == client_id, FcClientAssertion.expires_at < now)
    )
    digest = token_digest(f"{client_id}:{jti}")
    existing = (
        await session.execute(select(FcClientAssertion).where(FcClientAssertion.jti_hash == digest))
    ).scalar_one_or_none()
    if existing is not None:
        return False
    try:
        async with session.begin_nested():  # two concurrent uses of one jti: the unique index decides
            session.add(FcClientAssertion(jti_hash=digest, client_id=client_id, expires_at=expires_at))
    except IntegrityError:
        return False
    return True


async def find_authorization_code(session: AsyncSession, code: str) -> FcAuthorizationCode | None:
    return (
        await session.execute(select(FcAuthorizationCode).where(FcAuthorizationCode.code_hash == token_digest(code)))
    ).scalar_one_or_none()


async def consume_authorization_code(session: AsyncSession, code_id: int, now: datetime) -> bool:
    """Mark the code used; of two concurrent exchanges one wins (True) and the other is a reuse (False)."""
    result = cast(
        "CursorResult[Any]",
        await session.execute(
            update(FcAuthorizationCode)
            .where(FcAuthorizationCode.id == code_id, FcAuthorizationCode.used_at.is_(None))
            .values(used_at=now)
        ),
    )
    return result.rowcount == 1


async def latest_sso_session(session: AsyncSession, browser_id_hash: str, since: datetime) -> FcSession | None:
    """The newest finished interaction of this browser still open (FranceConnect's SSO session)."""
    return (
        await session.execute(
            select(FcSession)
            .where(
                FcSession.browser_id_hash == browser_id_hash,
                FcSession.status == "consented",
                FcSession.ended_at.is_(None),
                FcSession.citizen_id.is_not(None),
                FcSession.authenticated_at >= since,
            )
            .order_by(FcSession.authenticated_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def end_session(session: AsyncSession, session_id: str, now: datetime) -> None:
    await session.execute(update(FcSession).where(FcSession.id == session_id).values(status="ended", ended_at=now))


async def end_browser_sessions(session: AsyncSession, browser_id_hash: str, now: datetime) -> int:
    """End every open session of a browser and revoke the access tokens granted in them."""
    ended = list(
        (
            await session.execute(
                select(FcSession.id).where(FcSession.browser_id_hash == browser_id_hash, FcSession.ended_at.is_(None))
            )
        ).scalars()
    )
    if ended:
        await session.execute(update(FcSession).where(FcSession.id.in_(ended)).values(status="ended", ended_at=now))
        await session.execute(
            update(FcAccessToken)
            .where(FcAccessToken.session_id.in_(ended), FcAccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return len(ended)


async def revoke_access_token(session: AsyncSession, token_id: int, now: datetime) -> None:
    await session.execute(
        update(FcAccessToken)
        .where(FcAccessToken.id == token_id, FcAccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_tokens_of_code(session: AsyncSession, code_id: int, now: datetime) -> int:
    result = cast(
        "CursorResult[Any]",
        await session.execute(
            update(FcAccessToken)
            .where(FcAccessToken.code_id == code_id, FcAccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        ),
    )
    return result.rowcount or 0


# --- the integrator's registrations (admin/franceconnect.py) -----------------------------------


async def list_service_providers(session: AsyncSession) -> list[FcServiceProvider]:
    return list((await session.execute(select(FcServiceProvider).order_by(FcServiceProvider.id))).scalars())


async def delete_service_provider(session: AsyncSession, client_id: str) -> bool:
    result = cast(
        "CursorResult[Any]",
        await session.execute(delete(FcServiceProvider).where(FcServiceProvider.client_id == client_id)),
    )
    return bool(result.rowcount)


async def insert_citizen(session: AsyncSession, citizen: FcCitizen) -> FcCitizen:
    """A new account of the demo identity provider, shown last in the picker."""
    citizen.position = int((await session.execute(select(func.max(FcCitizen.position)))).scalar() or 0) + 1
    session.add(citizen)
    await session.flush()
    return citizen


async def delete_citizen(session: AsyncSession, login: str) -> bool:
    result = cast("CursorResult[Any]", await session.execute(delete(FcCitizen).where(FcCitizen.login == login)))
    return bool(result.rowcount)
