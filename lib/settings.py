"""One Settings object, read once from the environment AppAPI passes (NEXTCLOUD.md §1.3)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET = 32
WEAK_SECRET = (
    "APP_SECRET must be the app's secret registered with AppAPI, at least %d characters long (it is %d):"
    " it proves that a request comes from Nextcloud and signs the decision links. Generate one with"
    " `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'` and register the app with it."
)


class Settings(BaseSettings):
    """Everything the ExApp needs; built once at start-up and passed in, never global."""

    # hide_input_in_errors: a refused secret is not echoed in the start-up error
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    app_id: str = "governance"
    # No default that works: with none, anyone reaching the port could act as any user, and the key
    # of the decision links (derived from it, lib/services/requests.py) would be public.
    app_secret: str = Field(default="", validate_default=True)
    app_version: str = "1.0.0"
    app_host: str = "127.0.0.1"
    app_port: int = 9035
    # Server processes (uvicorn workers): one per core, so one slow page does not queue the others.
    app_workers: int = Field(default_factory=lambda: min(os.cpu_count() or 1, 4), ge=1)
    app_display_name: str = "Governance"
    nextcloud_url: str = ""
    app_persistent_storage: Path = Field(default_factory=lambda: Path.home() / ".cache" / "governance")
    database_url: str = ""
    # The Nextcloud admin account the app impersonates for administrative calls (NEXTCLOUD.md §9.4).
    governance_admin_user: str = "admin"
    # Top-menu entry name: the page lives at /index.php/apps/app_api/embedded/<app_id>/<menu_name>.
    governance_menu_name: str = "main"
    # Days during which members may object to a destructive request (Communecter: 5).
    governance_objection_days: int = 5
    # Seconds an approve/reject link from a notification stays valid.
    governance_link_ttl: int = 7 * 24 * 3600
    # Seconds between background readings of Nextcloud (the matrix shows the last one).
    governance_read_interval: float = 300.0
    # Seconds a page waits for a reading under way before it shows "reading Nextcloud…".
    governance_read_wait: float = 2.0
    # Off only for measurements (bench/pages.py): expiry, readings and chain checks stay idle.
    governance_background: bool = True

    @field_validator("app_secret")
    @classmethod
    def _refuse_weak_secret(cls, value: str) -> str:
        if len(value) < MIN_SECRET:
            raise ValueError(WEAK_SECRET % (MIN_SECRET, len(value)))
        return value

    @property
    def db_url(self) -> str:
        """DATABASE_URL when set (PostgreSQL), else a SQLite file in persistent storage."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.app_persistent_storage / 'governance.sqlite3'}"

    @property
    def page_url(self) -> str:
        """Absolute URL of the app's top-menu page inside Nextcloud (NEXTCLOUD.md §2.2)."""
        base = self.nextcloud_url.rstrip("/").removesuffix("/index.php")
        return f"{base}/index.php/apps/app_api/embedded/{self.app_id}/{self.governance_menu_name}"

    @property
    def proxy_url(self) -> str:
        """Absolute URL prefix of the AppAPI proxy to this app (NEXTCLOUD.md §2.3)."""
        base = self.nextcloud_url.rstrip("/").removesuffix("/index.php")
        return f"{base}/index.php/apps/app_api/proxy/{self.app_id}"
