"""Settings read from the environment (docs/architecture.md §4.4)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .settings_values import (
    database_url_value,
    log_level_value,
    lower_case,
    origins_value,
    upper_case,
)

# The sandbox's public test keys, of both of a merchant's key sets (docs/toss-api.md §1): they
# unlock nothing outside this emulator.
SANDBOX_SECRET_KEY = "test_sk_sandbox"  # noqa: S105
SANDBOX_CLIENT_KEY = "test_ck_sandbox"
SANDBOX_WIDGET_SECRET_KEY = "test_gsk_sandbox"  # noqa: S105
SANDBOX_WIDGET_CLIENT_KEY = "test_gck_sandbox"

# The bounds of the numeric settings (README.md, Configuration): a rate limit above this is
# no limit at all; a reconciler pass or an order's age beyond a day is a typo.
MAX_RATE = 1_000_000_000
DAY = 24 * 3600.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    app_env: Literal["development", "production"] = "development"
    # Where the embedded defaults live: the SQLite files and the development JWT secret.
    toss_graphql_var_dir: Path = Path("var")
    database_url: str | None = None
    # PostgreSQL connections each process keeps open: about the requests it serves at once.
    database_pool_size: int = Field(default=20, ge=1, le=1000)
    # DATABASE_URL leads to PgBouncer in transaction mode: no prepared statement outlives its
    # transaction (docs/operations.md).
    database_pgbouncer: bool = False
    # Where the order change listener connects (LISTEN needs a session of its own, which a
    # transaction pooler does not give): PostgreSQL itself. Default: DATABASE_URL.
    database_listen_url: str | None = None
    sandbox_database_url: str | None = None
    # The merchant's two key sets at Toss: "API 개별 연동" (the payment window) and the
    # payment widget's. Each payment is confirmed and canceled with the secret key of the
    # set whose client key started it (docs/toss-api.md §1).
    toss_secret_key: str | None = None
    toss_client_key: str | None = None
    toss_widget_secret_key: str | None = None
    toss_widget_client_key: str | None = None
    toss_api_url: str = "https://api.tosspayments.com"
    auth_jwt_secret: str | None = None
    # Tokens from an identity provider: its algorithm and public key (a PEM file, or a JWKS
    # file whose key is chosen by the token's `kid`), and the issuer and audience to demand.
    auth_jwt_algorithm: Literal["HS256", "RS256", "ES256"] = "HS256"
    auth_jwt_public_key_file: Path | None = None
    auth_jwt_jwks_file: Path | None = None
    auth_jwt_issuer: str | None = None
    auth_jwt_audience: str | None = None
    # Browser origins allowed to call the API, comma-separated; none by default.
    cors_origins: str = ""
    # The largest request body accepted, in bytes.
    max_request_bytes: int = Field(default=100_000, ge=1000, le=100_000_000)
    # Where rate limits are counted: memory:// (each process its own), or redis://host:port
    # for one budget across a fleet (docs/operations.md).
    rate_limit_storage_url: str = "memory://"
    # Mutations allowed per minute, per buyer and per client address.
    rate_limit_per_buyer: int = Field(default=30, ge=1, le=MAX_RATE)
    rate_limit_per_address: int = Field(default=120, ge=1, le=MAX_RATE)
    # GraphQL requests of any kind allowed per minute from one client address, and of those,
    # requests without a valid token (which can do nothing but be refused).
    rate_limit_requests_per_address: int = Field(default=600, ge=1, le=MAX_RATE)
    rate_limit_anonymous_per_address: int = Field(default=60, ge=1, le=MAX_RATE)
    # An IPv6 client is counted by its network of this many bits (an ISP gives a subscriber a
    # whole /64 to rotate in); 128 counts each address alone.
    rate_limit_ipv6_prefix: int = Field(default=64, ge=32, le=128)
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (uvicorn's setting:
    # comma-separated addresses or networks, or "*"). Empty: none, so the client address is
    # the connection's and a caller cannot choose the address its rate limit is counted on.
    forwarded_allow_ips: str = ""
    # In production, /metrics answers only a bearer token whose `scope` claim holds this
    # scope (or an admin token); in development it is open.
    metrics_scope: str = "metrics"
    log_level: str = "INFO"
    # text: a line with key=value fields, for people; json: one object per line, for shippers.
    log_format: Literal["text", "json"] = "text"
    # How long the API waits for Toss to answer one attempt.
    toss_timeout_seconds: float = Field(default=30.0, ge=1, le=300)
    # The reconciler inside `serve`: how often it runs (0 turns it off), how old an open order
    # must be before it is read back from Toss, and when it is handed to an operator instead.
    reconcile_interval_seconds: float = Field(default=30.0, ge=0, le=DAY)
    reconcile_min_age_seconds: float = Field(default=60.0, ge=0, le=DAY)
    reconcile_give_up_after_seconds: float = Field(default=DAY, ge=0, le=90 * DAY)
    # Webhook requests accepted per minute from one client address (429 past it). Far above
    # what Toss sends from one of its addresses, so none of Toss's is ever refused: raise it
    # if this service takes more than ten payments' webhooks a second.
    webhook_rate_limit_per_address: int = Field(default=600, ge=1, le=MAX_RATE)
    # On SIGTERM, how long requests in flight may take to finish before the process stops.
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Trusted documents (docs/http.md): a JSON map of id to document, parsed and validated at
    # start-up; with TRUSTED_DOCUMENTS_ONLY no other document runs (recommended in production).
    trusted_documents_file: Path | None = None
    trusted_documents_only: bool = False
    # Live order status over subscriptions (docs/realtime.md). Off, the schema has no
    # Subscription type and a WebSocket upgrade is refused.
    subscriptions_enabled: bool = True
    # Operations one WebSocket may run at once, and subscriptions one token subject may hold
    # open in one process.
    subscriptions_per_connection: int = Field(default=10, ge=1, le=1_000_000)
    subscriptions_per_subject: int = Field(default=20, ge=1, le=1_000_000)
    # WebSockets one token subject, and one client address, may hold open in one process
    # (closed with 4429 beyond; docs/security.md).
    subscription_connections_per_subject: int = Field(default=10, ge=1, le=1_000_000)
    subscription_connections_per_address: int = Field(default=100, ge=1, le=1_000_000)
    # A WebSocket must send connection_init this soon after opening; it is pinged this often;
    # and a message it has not taken this long after it was sent closes it.
    subscription_init_timeout_seconds: float = Field(default=10.0, ge=0.1, le=3600)
    subscription_keepalive_seconds: float = Field(default=15.0, ge=0.1, le=3600)
    subscription_send_timeout_seconds: float = Field(default=10.0, ge=0.1, le=3600)
    # The stock paths behind the parts that replace library internals for speed (README.md,
    # Configuration): for when a library upgrade breaks one. Off, a request runs only the
    # libraries' own code there, slower; tests/parity shows the answers are the same.
    graphql_fast_path: bool = True
    graphql_limit_rules: Literal["own", "strawberry"] = "own"
    graphql_extensions: Literal["pipeline", "strawberry"] = "pipeline"
    sqlite_driver: Literal["one-trip", "aiosqlite"] = "one-trip"

    # Where the meaning is clear, a value is taken whatever its case (settings_values.py).
    _lower_case = field_validator(
        "app_env",
        "log_format",
        "graphql_limit_rules",
        "graphql_extensions",
        "sqlite_driver",
        mode="before",
    )(lower_case)
    _upper_case = field_validator("auth_jwt_algorithm", mode="before")(upper_case)
    _log_level = field_validator("log_level", mode="before")(log_level_value)
    _origins = field_validator("cors_origins", mode="before")(origins_value)
    _database_urls = field_validator(
        "database_url", "database_listen_url", "sandbox_database_url", mode="before"
    )(database_url_value)

    def resolved_listen_url(self) -> str:
        return self.database_listen_url or self.resolved_database_url()

    @property
    def var_dir(self) -> Path:
        return self.toss_graphql_var_dir

    @property
    def uses_builtin_sandbox(self) -> bool:
        """No secret key configured: the service plays against its own Toss emulator."""
        return not self.toss_secret_key and not self.toss_widget_secret_key

    @property
    def cors_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.cors_origins.split(",") if origin.strip()]

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        if self.app_env == "production":
            # A misspelt DATABASE_URL must not start a fleet on a new, empty SQLite file.
            raise RuntimeError("DATABASE_URL must be set when APP_ENV=production")
        return f"sqlite+aiosqlite:///{self.var_dir / 'toss-graphql.db'}"

    def resolved_sandbox_database_url(self) -> str:
        return self.sandbox_database_url or f"sqlite+aiosqlite:///{self.var_dir / 'sandbox.db'}"

    def resolved_secret_key(self) -> str:
        return self.toss_secret_key or SANDBOX_SECRET_KEY

    def resolved_client_key(self) -> str:
        return self.toss_client_key or SANDBOX_CLIENT_KEY

    def resolved_widget_secret_key(self) -> str:
        return self.toss_widget_secret_key or SANDBOX_WIDGET_SECRET_KEY

    def resolved_widget_client_key(self) -> str:
        return self.toss_widget_client_key or SANDBOX_WIDGET_CLIENT_KEY

    def gateway_secret_keys(self) -> tuple[str | None, str | None]:
        """The secret keys the gateway calls Toss with: (API 개별 연동, payment widget); None
        for a set the merchant did not configure. The built-in sandbox has both."""
        if self.uses_builtin_sandbox:
            return SANDBOX_SECRET_KEY, SANDBOX_WIDGET_SECRET_KEY
        return self.toss_secret_key or None, self.toss_widget_secret_key or None

    def resolved_jwt_secret(self) -> str:
        """The configured secret, or in development one generated once and kept under var/."""
        if self.auth_jwt_secret:
            return self.auth_jwt_secret
        if self.app_env == "production":
            raise RuntimeError("AUTH_JWT_SECRET must be set when APP_ENV=production")
        path = self.var_dir / "jwt-secret"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            # O_EXCL: two processes starting together must not write two different secrets.
            try:
                with path.open("x", encoding="ascii") as handle:
                    handle.write(secrets.token_urlsafe(48))
                path.chmod(0o600)
            except FileExistsError:
                pass
        return path.read_text(encoding="ascii").strip()


def load_settings() -> Settings:
    return Settings()
