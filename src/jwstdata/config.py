"""Configuration from the environment (prefix ``JWSTDATA_``) via pydantic-settings.

Secrets (the MongoDB URI, S3 credentials, the MAST token) are ``SecretStr`` so they never
appear in a ``repr`` or a log line; callers that show a URI use :func:`redact_uri`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from jwstdata.errors import ConfigurationError, field_problems
from jwstdata.models.enums import StorageKind


class ArchiveStorageClass(StrEnum):
    """S3 classes an archived object can be read from directly (no restore request first)."""

    standard = "STANDARD"
    standard_ia = "STANDARD_IA"
    onezone_ia = "ONEZONE_IA"
    intelligent_tiering = "INTELLIGENT_TIERING"
    glacier_ir = "GLACIER_IR"


def secret_from(value: SecretStr | None, file: Path | None, name: str) -> str | None:
    """A secret from ``JWSTDATA_{name}``, else from the file ``JWSTDATA_{name}_FILE`` names
    (a mounted secret), stripped; None when neither is set. A blank variable counts as unset;
    an unreadable or empty file is a ConfigurationError (never the secret in the message)."""
    if value is not None and (text := value.get_secret_value().strip()):
        return text
    if file is None:
        return None
    path = file.expanduser()
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read JWSTDATA_{name}_FILE {path}: {exc.strerror or exc}"
        ) from None
    if not text:
        raise ConfigurationError(f"JWSTDATA_{name}_FILE {path} is empty")
    return text


def default_home() -> Path:
    """The per-user data directory (``~/.local/share/jwstdata`` on Linux, XDG-aware).

    One directory whatever the current directory is: a command run from elsewhere must find
    the same embedded database and files, not start an empty second one.
    """
    return platformdirs.user_data_path("jwstdata", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JWSTDATA_", extra="ignore")

    # --- database -------------------------------------------------------------------
    mongodb_uri: SecretStr | None = Field(
        default=None, description="MongoDB connection string; unset runs the embedded server."
    )
    mongodb_uri_file: Path | None = Field(
        default=None, description="File holding the connection string (for secrets)."
    )
    database: str = Field(default="jwst_data_analysis", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    home: Path = Field(
        default_factory=default_home,
        description="Data directory (default: the per-user data directory).",
    )
    embedded_port: int | None = Field(
        default=None, ge=1, le=65535, description="Fixed port for the embedded server."
    )
    embedded_start_timeout: float = Field(default=30.0, gt=0)
    server_selection_timeout_ms: int = Field(default=5000, ge=100)
    connect_retries: int = Field(default=2, ge=0, le=10)

    # --- storage --------------------------------------------------------------------
    storage: StorageKind = StorageKind.local
    storage_root: Path | None = Field(
        default=None, description="Local storage root; default $JWSTDATA_HOME/files."
    )
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_prefix: str = ""
    s3_path_style: bool = False
    s3_part_size: int = Field(default=64 * 1024 * 1024, ge=5 * 1024 * 1024)
    s3_concurrency: int = Field(default=4, ge=1, le=64)

    # --- processing -----------------------------------------------------------------
    processing_max_pixels: int = Field(
        default=100_000_000, ge=1, description="Largest array an algorithm loads (pixels)."
    )
    max_inflated_bytes: int = Field(
        default=2 * 1024**3,
        ge=1024,
        description="Most bytes one read of a compressed (.gz) file may inflate to.",
    )
    max_inflate_seconds: float = Field(
        default=60.0, gt=0, description="CPU seconds one inflation of a compressed file may take."
    )
    viewer_max_region_pixels: int = Field(
        default=16_000_000,
        ge=1,
        description="Most image pixels one region-statistics request may cover.",
    )
    viewer_max_window_pixels: int = Field(
        default=4_000_000,
        ge=1,
        description="Most pixels the viewer's aligned second image may have (output or input).",
    )
    auto_preview: bool = Field(
        default=True,
        description="Queue a preview+thumbnail job for viewable records on ingest/import.",
    )
    max_active_jobs_per_user: int = Field(
        default=20,
        ge=1,
        description="Jobs one user may have queued or running at once (processing, imports).",
    )

    # --- API and authentication ------------------------------------------------------
    dev_mode: bool = Field(
        default=False, description="Development mode: allows a generated signing secret."
    )
    secret_key: SecretStr | None = Field(default=None, description="JWT signing secret.")
    secret_key_file: Path | None = None
    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=14, ge=1, le=365)
    allow_registration: bool = False
    login_max_failures: int = Field(default=5, ge=1, description="failures before lockout")
    login_lockout_seconds: int = Field(default=300, ge=1)
    login_rate_per_minute: int = Field(default=20, ge=1, description="attempts per client/min")
    cors_origins: list[str] = Field(default_factory=list)
    worker_state_file: Path | None = Field(
        default=None,
        description="Set by `serve --with-worker`: where the supervised worker's state is kept "
        "(readiness reports it).",
    )
    max_upload_bytes: int = Field(default=4 * 1024**3, ge=1)

    # --- MAST archive ---------------------------------------------------------------
    mast_url: str = Field(default="https://mast.stsci.edu", description="Base URL of the MAST API.")
    mast_token: SecretStr | None = Field(
        default=None, description="MAST API token for exclusive-access data (never logged)."
    )
    mast_token_file: Path | None = Field(default=None, description="File holding the token.")
    mast_connect_timeout: float = Field(default=10.0, gt=0, description="seconds")
    mast_read_timeout: float = Field(default=120.0, gt=0, description="seconds per read")
    mast_retries: int = Field(default=4, ge=0, le=20, description="extra attempts per request")
    mast_backoff: float = Field(default=1.0, ge=0, description="first back-off delay, seconds")
    mast_backoff_max: float = Field(default=60.0, ge=0, description="longest back-off, seconds")
    mast_poll_interval: float = Field(default=2.0, ge=0, description="EXECUTING re-poll, s")
    mast_poll_timeout: float = Field(default=600.0, gt=0, description="EXECUTING limit, s")
    mast_pagesize: int = Field(default=50_000, ge=1, le=500_000)
    mast_batch_size: int = Field(default=20, ge=1, le=500, description="obsids per request")
    mast_concurrency: int = Field(default=4, ge=1, le=32)
    mast_cache_ttl: float = Field(default=300.0, ge=0, description="search cache, s (0: off)")

    # --- archive and backup ---------------------------------------------------------
    archive_prefix: str = Field(
        default="archive",
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="Key prefix archived files move under, in the active storage.",
    )
    archive_storage_class: ArchiveStorageClass | None = Field(
        default=None, description="S3 storage class for archived objects (S3 only)."
    )
    archive_workers: int = Field(default=4, ge=1, le=32, description="parallel file moves")
    backup_compression_level: int = Field(default=6, ge=1, le=9, description="gzip level")
    backup_workers: int = Field(default=4, ge=1, le=32, description="parallel file copies")

    @field_validator("mongodb_uri", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @cached_property
    def resolved_uri(self) -> str | None:
        """The configured URI (from the variable or the file), or None for embedded."""
        return secret_from(self.mongodb_uri, self.mongodb_uri_file, "MONGODB_URI")

    @property
    def embedded(self) -> bool:
        return self.resolved_uri is None

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def db_dir(self) -> Path:
        return self.home_dir / "db"

    @property
    def local_storage_root(self) -> Path:
        root = self.storage_root if self.storage_root is not None else self.home_dir / "files"
        return root.expanduser().resolve()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; a bad value is one clear ConfigurationError."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except PydanticValidationError as exc:
        first = field_problems(exc, default="settings")[0]
        raise ConfigurationError(
            f"invalid setting JWSTDATA_{first['field'].upper()}: {first['message']}"
        ) from None
