"""Settings, read from the environment (prefix ``MZGIS_``) or given explicitly; no other module reads them.

Only the edges (CLI, API factory, scripts) build a :class:`Settings`; everything below receives values.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mzgis.layers import LIMITS

if TYPE_CHECKING:
    from mzgis.sealing import SecretKey
    from mzgis.users import AccountPolicy

__all__ = ["REPO_ROOT", "WEB_ROOT", "Settings", "default_demo_path"]

# The repository root when running from a checkout (src layout): geodata/ lives there.
REPO_ROOT = Path(__file__).resolve().parents[2]
# The map page and the browser libraries it serves (npm ci puts Leaflet and Swagger UI in its node_modules):
# package data, so an installed mzgis (pip install ., not editable) serves the page too.
WEB_ROOT = Path(__file__).resolve().parent / "web"
IN_CHECKOUT = (REPO_ROOT / "pyproject.toml").exists()


def default_db_path() -> Path:
    """Where the data file is when none is named: ``var/mzgis.gpkg`` of the checkout, or ``mzgis.gpkg`` in the
    current folder for an installed mzgis."""
    return REPO_ROOT / "var" / "mzgis.gpkg" if IN_CHECKOUT else Path.cwd() / "mzgis.gpkg"


def default_demo_path() -> Path:
    """The committed demo GeoPackage of 路桥区."""
    return REPO_ROOT / "geodata" / "luqiao-demo.gpkg"


class Settings(BaseSettings):
    """Runtime settings of mzgis."""

    model_config = SettingsConfigDict(env_prefix="MZGIS_", env_file=".env", extra="ignore")

    db: Path | str = Field(
        default_factory=lambda: default_db_path(),
        description="GeoPackage path, or a PostgreSQL URL (postgresql://user@host/db)",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    certfile: Path | None = Field(default=None, description="the server's certificate (PEM), for HTTPS")
    keyfile: Path | None = Field(default=None, description="the certificate's private key (PEM)")
    user: str | None = Field(
        default=None,
        description="for whom CLI edits are made, recorded beside the operating-system account that ran them",
    )
    max_features: int = Field(default=10_000, ge=1, description="upper bound of features per API page")
    open_reads: bool = Field(default=False, description="let anyone read layers and names without signing in")
    sign_in_hours: float = Field(default=12, gt=0, description="how long a sign-in in the page lasts")
    idle_minutes: float = Field(
        default=30, ge=0, le=24 * 60, description="a sign-in in the page unused this long ends (0: never)"
    )
    password_days: float = Field(
        default=90, ge=0, le=3650, description="a password older than this must be changed at sign-in (0: never)"
    )
    password_history: int = Field(
        default=5, ge=1, le=24, description="a new password may not be one of the account's last this many"
    )
    secret_key_file: Path | None = Field(
        default=None,
        description="the key the second factor's shared keys are sealed with (mzgis users secret-key); kept "
        "outside the data file and its backups; required at security level 3",
    )
    security_level: int = Field(
        default=2, ge=2, le=3, description="等级保护 level: at 3 admins and approvers sign in with a one-time code too"
    )
    tile_url: str | None = Field(
        default=None, description="optional base tiles for the page, e.g. 天地图 with your key: https://…{z}/{x}/{y}…"
    )
    tile_attribution: str = Field(default="", description="attribution shown with the base tiles")
    write_wait_s: float = Field(
        default=10.0, gt=0, le=300, description="how long a write waits for another process's write lock"
    )
    max_body_bytes: int = Field(
        default=LIMITS.request_body_bytes, ge=1024, description="the largest request body the API reads"
    )

    @field_validator("db", mode="before")
    @classmethod
    def _expand(cls, value: object) -> Path | str:
        """A PostgreSQL URL stays as typed (a path would fold its ``//``); anything else is a file path."""
        from mzgis.store.location import database_url, is_database_url

        if is_database_url(str(value)):
            return database_url(str(value))
        return Path(str(value)).expanduser()

    def secret_key(self) -> SecretKey | None:
        """The key of :attr:`secret_key_file`, read (None when none is set)."""
        from mzgis.sealing import SecretKey

        return None if self.secret_key_file is None else SecretKey.from_file(self.secret_key_file.expanduser())

    def account_policy(self) -> AccountPolicy:
        """The sign-in policy these settings give (see :class:`mzgis.users.AccountPolicy`)."""
        from mzgis.users import AccountPolicy

        return AccountPolicy(
            idle_minutes=self.idle_minutes,
            password_days=self.password_days,
            password_history=self.password_history,
            second_factor_required=self.security_level >= 3,
        )
