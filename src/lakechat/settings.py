"""lakechat's settings: environment variables, an optional config.yaml, defaults.

Precedence, highest first: explicit arguments (tests), environment variables, the
config file, defaults. Each field's name is its environment variable in lower case
(``server_port`` is ``SERVER_PORT``), keeping the names the deployment guides use.

Build settings with ``load_settings()`` (or ``Settings()``); nothing here builds a
settings object at import time, so tests can make apps with other settings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from lakechat.errors import ConfigurationError
from lakechat.settings_file import find_config_file, read_config_file

Environment = Literal["development", "staging", "production"]

#: Values people leave in templates; in production any of these is refused.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changethis", "changeme", "change-me", "your-token", "secret", "password", "xxx", "todo"}
)

#: The route classes that have their own rate-limit override (``RATE_LIMIT_<CLASS>``).
RATE_LIMIT_CLASSES = ("query", "chat", "sql", "catalog", "docs", "health", "admin")


def is_placeholder(value: str) -> bool:
    """True for template values such as ``changethis``, ``your-token`` or an empty string."""
    text = value.strip().lower()
    return text in PLACEHOLDER_SECRETS or text.startswith(("your-", "your_", "<"))


#: Who may read what through SQL until catalog grants decide it: HR data only for admins
#: and the ``hr`` group; Databricks' governed metadata for admins.
DEFAULT_TABLE_ACCESS: dict[str, tuple[str, ...]] = {
    "admin": ("*.*.*", "system.information_schema.*"),
    "analyst": ("samples.*.*", "main.learning.*", "main.sales.*", "main.finance.*", "system.*.*"),
    "viewer": ("samples.*.*", "main.learning.*", "main.sales.*"),
    "group:hr": ("main.hr.*",),
}


class Settings(BaseSettings):
    """Every setting lakechat reads. See docs/configuration.md for each one."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", frozen=True, env_ignore_empty=False
    )

    # environment and data directory
    environment: Environment = Field(
        "development",
        description="development, staging or production; production refuses unsafe settings.",
    )
    lakechat_home: Path = Field(
        Path(".lakechat"), description="Data directory for everything the embedded defaults write."
    )
    lakechat_config: Path | None = Field(
        None,
        description="Path of config.yaml (default: ./config.yaml, then $LAKECHAT_HOME/config.yaml).",
    )

    # databricks
    databricks_host: str | None = Field(None, description="Databricks workspace URL.")
    databricks_token: SecretStr | None = Field(
        None, description="Databricks personal access token."
    )
    databricks_warehouse_id: str | None = Field(None, description="Databricks SQL warehouse id.")

    # language models
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key for Claude.")
    openai_api_key: SecretStr | None = Field(None, description="OpenAI (or compatible) API key.")

    # state, cache, vectors, files
    warehouse_url: str | None = Field(
        None,
        description="Which warehouse answers: postgresql://.../<catalog> (its database is the one catalog), databricks (a SQL warehouse from DATABRICKS_HOST, DATABRICKS_TOKEN, DATABRICKS_WAREHOUSE_ID) or spark (SPARK_REMOTE, else local mode over the lakehouse files); unset: the embedded DuckDB lakehouse.",
    )
    spark_remote: str | None = Field(
        None,
        description="Spark Connect URL (sc://host:15002) for WAREHOUSE_URL=spark; unset: Spark in local mode.",
    )
    models_path: str | None = Field(
        None,
        description="Folders of semantic model files, separated by ':' (default: the shipped models, then $LAKECHAT_HOME/models; a later folder's model replaces an earlier one of the same name).",
    )
    lakehouse_path: Path | None = Field(
        None,
        description="Folder of the embedded lakehouse's catalog files; default $LAKECHAT_HOME/lakehouse.",
    )
    database_url: str | None = Field(
        None,
        description="State store URL; default a SQLite file in the data directory. postgresql:// selects PostgreSQL.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL for the shared cache and rate limits; unset keeps both in memory.",
    )
    redis_key_prefix: str = Field(
        "lakechat", description="Prefix of every key lakechat writes to Redis."
    )
    catalog_provider: Literal["embedded", "unity"] = Field(
        "embedded",
        description="Which catalog is browsed and governed: embedded (the lakehouse, governance in the state store) or unity (Databricks Unity Catalog from DATABRICKS_HOST and DATABRICKS_TOKEN; tables are created through DATABRICKS_WAREHOUSE_ID).",
    )
    jobs_backend: Literal["inprocess", "celery"] = Field(
        "inprocess",
        description="Where background jobs run: inprocess (worker threads in each server process) or celery (workers started with `lakechat jobs worker`, queued on REDIS_URL).",
    )
    jobs_queue: str = Field(
        "lakechat-jobs",
        min_length=1,
        max_length=200,
        description="The Celery queue jobs go to (JOBS_BACKEND=celery).",
    )
    jobs_workers: int = Field(
        2, ge=1, le=64, description="Worker threads for in-process jobs, per server process."
    )
    # documents
    embeddings_provider: Literal["auto", "local", "openai", "none"] = Field(
        "auto",
        description="Document embedder: local (the packaged all-MiniLM-L6-v2, extra `embeddings`), openai (any OpenAI-compatible embeddings API at EMBEDDINGS_URL), none (lexical search only), or auto (openai when EMBEDDINGS_URL is set, else local when installed, else none).",
    )
    embeddings_url: str | None = Field(
        None, description="Base URL of an OpenAI-compatible embeddings API (…/v1)."
    )
    embeddings_model: str = Field(
        "text-embedding-3-small", min_length=1, description="Model name sent to EMBEDDINGS_URL."
    )
    embeddings_api_key: SecretStr | None = Field(
        None, description="Key for EMBEDDINGS_URL; OPENAI_API_KEY when not set."
    )
    vector_store: Literal["local", "qdrant", "pgvector"] = Field(
        "local",
        description="Where document vectors live: local (files under $LAKECHAT_HOME/vectors), qdrant (QDRANT_URL) or pgvector (PGVECTOR_URL, else DATABASE_URL).",
    )
    qdrant_url: str | None = Field(
        None,
        description="Qdrant server URL for the document vector index (VECTOR_STORE=qdrant); `:memory:` or a folder path runs Qdrant's local mode.",
    )
    qdrant_api_key: SecretStr | None = Field(None, description="Qdrant API key.")
    qdrant_collection: str = Field(
        "lakechat_chunks",
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Qdrant collection of the document vectors.",
    )
    pgvector_url: str | None = Field(
        None,
        description="PostgreSQL (with the vector extension) for VECTOR_STORE=pgvector; DATABASE_URL when not set.",
    )
    max_upload_mb: float = Field(
        25.0, gt=0, description="Largest document accepted by POST /files, in MiB."
    )
    docs_min_relevance: float = Field(
        0.35,
        ge=0,
        le=1,
        description="Document answers need a passage at least this relevant (0-1); below it the answer says it was not found and lists the closest sections.",
    )
    files_url: str | None = Field(
        None, description="Where uploaded files are kept; default $LAKECHAT_HOME/files."
    )

    # server
    server_host: str = Field(
        "127.0.0.1", description="Address `lakechat serve` binds; 0.0.0.0 in containers."
    )
    server_port: int = Field(8000, ge=1, le=65535, description="Port `lakechat serve` listens on.")
    server_workers: int = Field(
        1, ge=1, le=64, description="Worker processes for `lakechat serve`."
    )
    server_timeout: int = Field(
        30, ge=1, description="Seconds in-flight requests get to finish on shutdown."
    )
    max_request_mb: float = Field(10.0, gt=0, description="Largest request body accepted, in MiB.")

    # logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Lowest level written to the log."
    )
    log_format: Literal["json", "text"] = Field(
        "json", description="json (one object a line) or text."
    )
    log_requests: bool = Field(
        True,
        description="Write one access line per request to the log (every request is in the request log either way); off saves the most per-request CPU.",
    )
    log_to_file: bool = Field(False, description="Also write the log to a rotating file.")
    log_file_path: Path | None = Field(
        None, description="Log file; default $LAKECHAT_HOME/logs/lakechat.log."
    )
    log_file_max_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, description="Rotate the log file at this size."
    )
    log_file_backup_count: int = Field(5, ge=0, description="Rotated log files kept.")

    # security
    enable_auth: bool = Field(
        True,
        description="Require API keys; false (development only) runs every request as a local admin.",
    )
    api_key_header: str = Field(
        "X-API-Key",
        description="Header that carries the API key (Authorization: Bearer also works).",
    )
    encryption_key: SecretStr | None = Field(
        None, description="Fernet key encrypting stored credentials; required in production."
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="Seconds a verified key is remembered per worker (revocation takes effect within this).",
    )
    table_access: dict[str, list[str]] = Field(
        default_factory=lambda: {key: list(value) for key, value in DEFAULT_TABLE_ACCESS.items()},
        description="Tables each role, or group:<name>, may read through SQL, as catalog.schema.table patterns (* wildcards; information_schema only when named). JSON in the environment.",
    )
    enable_cors: bool = Field(True, description="Send CORS headers for ALLOWED_ORIGINS.")
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )

    # rate limits
    rate_limit_enabled: bool = Field(True, description="Apply rate limits.")
    rate_limit_per_minute: int = Field(
        120,
        ge=1,
        description="Requests a minute per principal (or client IP) for each route class.",
    )
    rate_limit_strategy: Literal["moving-window", "fixed-window", "sliding-window-counter"] = Field(
        "sliding-window-counter",
        description="Algorithm of the `limits` library: sliding-window-counter (O(1) per request, the default), moving-window (exact; keeps one entry per request in the window) or fixed-window (cheapest; allows bursts at window edges).",
    )
    rate_limit_query: int | None = Field(
        None, ge=1, description="Override for the query route class."
    )
    rate_limit_chat: int | None = Field(
        None, ge=1, description="Override for the chat route class."
    )
    rate_limit_sql: int | None = Field(None, ge=1, description="Override for the sql route class.")
    rate_limit_catalog: int | None = Field(
        None, ge=1, description="Override for the catalog route class."
    )
    rate_limit_docs: int | None = Field(
        None, ge=1, description="Override for the docs route class."
    )
    rate_limit_health: int | None = Field(
        None, ge=1, description="Override for the health route class (monitoring API)."
    )
    rate_limit_queries_per_minute: int = Field(
        10, ge=1, description="POST /query requests a minute per session."
    )
    rate_limit_queries_per_day_per_ip: int = Field(
        1000, ge=1, description="POST /query requests a day per client IP."
    )
    rate_limit_auth_failures: int = Field(
        30,
        ge=1,
        description="Failed API-key checks a minute per client IP; past it, requests with unknown keys get 429 before any lookup.",
    )
    rate_limit_admin: int | None = Field(
        None, ge=1, description="Override for the admin route class."
    )

    # cache and queries
    cache_enabled: bool = Field(True, description="Cache query results (feature flag `caching`).")
    cache_ttl_seconds: int = Field(300, ge=1, description="Seconds a cached result lives.")
    cache_max_rows: int = Field(10_000, ge=1, description="Results with more rows are not cached.")
    query_max_rows: int = Field(
        10_000, ge=1, description="Rows returned at most; more sets truncated."
    )
    query_timeout_seconds: float = Field(
        30.0, gt=0, description="A query running longer is cancelled."
    )
    query_max_dimensions: int = Field(
        10, ge=1, le=100, description="Dimensions one semantic query may group by."
    )
    query_max_metrics: int = Field(
        20, ge=1, le=200, description="Metrics one semantic query may ask for."
    )
    query_timezone: str = Field(
        "UTC",
        description="IANA time zone that relative time ranges (today, last_month, ytd...) are counted in when a semantic query names none.",
    )
    query_max_filter_depth: int = Field(
        5,
        ge=1,
        le=20,
        description="Nesting of and/or/not groups a semantic query's filter may have.",
    )
    warehouse_max_concurrency: int = Field(
        5,
        ge=1,
        le=256,
        description="Statements in flight per warehouse; the rest wait their turn, up to QUERY_TIMEOUT_SECONDS.",
    )
    session_timeout_hours: float = Field(
        24.0, gt=0, description="Chat sessions expire after this many idle hours."
    )

    # feature flags
    feature_sql_execution: bool = Field(
        True, description="Allow raw read-only SQL (feature flag `sql_execution`)."
    )
    feature_batch_operations: bool = Field(
        True, description="Allow many-object catalog changes as jobs (flag `batch_operations`)."
    )
    feature_audit_logging: bool = Field(
        True, description="Write the audit log (flag `audit_logging`)."
    )

    # internals worth tuning
    request_log_flush_seconds: float = Field(
        1.0, gt=0, description="How often the buffered request log is written."
    )
    request_log_buffer_max: int = Field(
        50_000, ge=100, description="Request-log rows held while the store is down."
    )
    health_check_timeout_seconds: float = Field(
        2.0, gt=0, description="Each dependency check gives up after this."
    )
    metrics_enabled: bool = Field(True, description="Serve /metrics.")

    # platform health (docs/health.md) ------------------------------------------------
    health_watched_catalogs: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["main"],
        description="Comma-separated catalogs whose tables the data-quality analyzers profile (owners, null rates).",
    )
    health_query_max_rows: int = Field(
        10_000, ge=100, le=1_000_000, description="Rows one health analysis statement may return."
    )
    health_memory_days: int = Field(
        90, ge=1, le=3650, description="How long a user's health preferences are remembered."
    )

    # alerts (docs/alerts.md) ---------------------------------------------------------
    alerts_file: Path | None = Field(
        None,
        description="alerts.yaml with the alert rules (default: $LAKECHAT_HOME/alerts.yaml when it exists; the built-in rules always exist).",
    )
    alerts_scheduler_enabled: bool = Field(
        True, description="Run alert rules on their schedules while `lakechat serve` runs."
    )
    alerts_tick_seconds: float = Field(
        30.0, gt=0, description="How often the alert scheduler looks for rules that are due."
    )
    alert_webhook_timeout_seconds: float = Field(
        10.0, gt=0, description="A webhook delivery gives up after this; it is retried later."
    )
    alert_delivery_max_attempts: int = Field(
        20, ge=1, description="Attempts per alert notification before it is marked failed."
    )
    smtp_host: str | None = Field(None, description="SMTP server for alert e-mails.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_username: str | None = Field(None, description="SMTP login (none: no login).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("lakechat@localhost", description="Sender of alert e-mails.")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_timeout_seconds: float = Field(
        10.0, gt=0, description="An SMTP delivery gives up after this; it is retried later."
    )

    @field_validator("allowed_origins", "health_watched_catalogs", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("table_access")
    @classmethod
    def _check_patterns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        roles = {"admin", "analyst", "viewer"}
        for key, patterns in value.items():
            if key not in roles and not key.startswith("group:"):
                raise ValueError(
                    f"TABLE_ACCESS key {key!r} is neither a role (admin, analyst, viewer) "
                    "nor group:<name>"
                )
            for pattern in patterns:
                if len(pattern.split(".")) != 3 or not all(pattern.split(".")):
                    raise ValueError(
                        f"TABLE_ACCESS pattern {pattern!r} for {key} must be catalog.schema.table "
                        "(each part a name or a * wildcard)"
                    )
        return value

    @field_validator("query_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from lakechat.errors import BadRequest
        from lakechat.semantic.timerange import zone

        try:
            zone(value)
        except BadRequest:
            raise ValueError(
                f"{value!r} is not an IANA time zone (e.g. UTC, Europe/Berlin)"
            ) from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("encryption_key")
    @classmethod
    def _check_fernet(cls, value: SecretStr | None) -> SecretStr | None:
        if (
            value is not None
            and value.get_secret_value()
            and not is_placeholder(value.get_secret_value())
        ):
            from cryptography.fernet import Fernet

            try:
                Fernet(value.get_secret_value().encode())
            except ValueError as exc:
                raise ValueError(
                    "ENCRYPTION_KEY is not a Fernet key (32 url-safe base64 bytes); "
                    "make one with `lakechat keys encryption-key`"
                ) from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, ConfigFileSource(settings_cls))

    # derived paths -----------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.lakechat_home.expanduser().resolve()

    @property
    def state_url(self) -> str:
        """SQLAlchemy URL of the state store."""
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite:///{self.home / 'lakechat.db'}"

    @property
    def lakehouse(self) -> Path:
        """Where the embedded lakehouse's catalog files live."""
        return (self.lakehouse_path or default_lakehouse_path(self.home)).expanduser().resolve()

    @property
    def log_file(self) -> Path:
        return self.log_file_path or self.home / "logs" / "lakechat.log"

    @property
    def files_location(self) -> str:
        return self.files_url or str(self.home / "files")

    def rate_limit_for(self, route_class: str) -> int:
        """Requests a minute allowed for one principal on one route class."""
        override = getattr(self, f"rate_limit_{route_class}", None)
        return int(override) if override else self.rate_limit_per_minute


def default_lakehouse_path(home: Path) -> Path:
    """Where the embedded lakehouse lives when LAKEHOUSE_PATH is not set."""
    return home / "lakehouse"


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class ConfigFileSource(PydanticBaseSettingsSource):
    """Reads config.yaml (sections environment, databricks, server, security, ...)."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = find_config_file(os.environ)
        self.path = path
        self.values, self.origins = (
            read_config_file(path, set(settings_cls.model_fields)) if path else ({}, {})
        )

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's validation errors into a ConfigurationError."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "settings"
            problems.append(f"{name.upper()}: {err['msg']}")
        raise ConfigurationError("invalid settings: " + "; ".join(problems)) from None


def setting_sources(
    settings: Settings, overrides: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """Where each setting's value came from: argument, env:NAME, config file or default."""
    env = {key.lower(): key for key in os.environ}
    source = ConfigFileSource(Settings)
    result: dict[str, str] = {}
    for name in Settings.model_fields:
        if overrides and name in overrides:
            result[name] = "argument"
        elif name in env:
            result[name] = f"env:{env[name]}"
        elif name in source.values:
            result[name] = f"{source.path}:{source.origins[name]}"
        else:
            result[name] = "default"
    return result


SECRET_FIELDS = (
    "databricks_token",
    "anthropic_api_key",
    "openai_api_key",
    "qdrant_api_key",
    "encryption_key",
    "smtp_password",
)
URL_FIELDS_WITH_PASSWORDS = (
    "database_url",
    "redis_url",
    "qdrant_url",
    "files_url",
    "warehouse_url",
)


#: scheme://user:password@rest, where the password runs to the last "@". urlsplit stops
#: at "/", "?" or "#" and would miss (and so show) a password containing one.
_URL_CREDENTIALS = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@]*):(?P<password>.*)@(?P<rest>[^@]*)$", re.DOTALL
)


def url_password(url: str) -> str | None:
    """The password part of a URL, if any."""
    match = _URL_CREDENTIALS.match(url)
    return match.group("password") if match else None


def mask_url(url: str) -> str:
    """A URL with its password replaced by ***."""
    match = _URL_CREDENTIALS.match(url)
    if not match or not match.group("password"):
        return url
    return f"{match.group('head')}:***@{match.group('rest')}"


def secret_values(settings: Settings) -> list[str]:
    """Every secret in the settings, for the log redactor."""
    values: list[str] = []
    for name in SECRET_FIELDS:
        secret = getattr(settings, name)
        if secret is not None and len(secret.get_secret_value()) >= 4:
            values.append(secret.get_secret_value())
    for name in URL_FIELDS_WITH_PASSWORDS:
        url = getattr(settings, name)
        password = url_password(url) if url else None
        if password and len(password) >= 4:
            values.append(password)
    return values


def effective_settings(settings: Settings) -> dict[str, Any]:
    """Settings as plain JSON values with every secret masked."""
    out: dict[str, Any] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "***" if value.get_secret_value() else ""
        elif name in URL_FIELDS_WITH_PASSWORDS and isinstance(value, str):
            value = mask_url(value)
        elif isinstance(value, Path):
            value = str(value)
        out[name] = value
    return out


def production_problems(settings: Settings) -> list[str]:
    """What makes these settings unsafe to serve in production (empty when fine)."""
    problems: list[str] = []
    if not settings.enable_auth:
        problems.append("ENABLE_AUTH=false is not allowed when ENVIRONMENT=production")
    key = settings.encryption_key
    if key is None:
        problems.append("ENCRYPTION_KEY is not set; make one with `lakechat keys encryption-key`")
    for name in SECRET_FIELDS:
        secret = getattr(settings, name)
        if secret is not None and is_placeholder(secret.get_secret_value()):
            problems.append(
                f"{name.upper()} is a placeholder ({secret.get_secret_value()!r}); set the real secret"
            )
    for name in URL_FIELDS_WITH_PASSWORDS:
        url = getattr(settings, name)
        password = url_password(url) if url else None
        if password is not None and is_placeholder(password):
            problems.append(f"{name.upper()} has a placeholder password; set the real one")
    if settings.databricks_host and settings.databricks_token is None:
        problems.append("DATABRICKS_TOKEN is not set though DATABRICKS_HOST is")
    return problems


def check_startup(settings: Settings) -> None:
    """Refuse to start when production settings are unsafe; the message names each setting."""
    if settings.environment != "production":
        return
    problems = production_problems(settings)
    if problems:
        raise ConfigurationError(
            "refusing to start with ENVIRONMENT=production: " + "; ".join(problems)
        )
