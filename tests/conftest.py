"""Shared fixtures: the Nextcloud stand-in, the ExApp on a real port, and clients acting as users.

The app talks HTTP to the stand-in and the stand-in to the app; nothing of the app is mocked.
Each test gets a fresh database: SQLite by default, and PostgreSQL too where a test asks for
``db_url`` and GOVERNANCE_TEST_POSTGRES_URL is set (.ci/run sets it).
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from ex_app.demo import demo_org
from ex_app.deps import csrf_token
from ex_app.log_filters import redact_server_logs
from ex_app.main import create_app
from lib.core.model import Organisation
from lib.services.governance import Governance
from lib.settings import Settings
from tests.servers import ServerThread
from tests.standin import StandIn

SECRET = secrets.token_urlsafe(32)  # a strong random secret per run, as Settings require (no default)
PG_URL = os.environ.get("GOVERNANCE_TEST_POSTGRES_URL", "")


def _pg_database() -> Iterator[str]:
    name = f"gov_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        PG_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _LeakWatch(logging.Handler):
    """Every log record of the run, checked for the app secret and for a decision-link token."""

    TOKEN = re.compile(r"[?&]t=(?!\[redacted\])[A-Za-z0-9_-]{20,}")

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        if SECRET in text or self.TOKEN.search(text):
            self.leaks.append(f"{record.name}: {text[:300]}")

    def look(self, record: logging.LogRecord) -> bool:
        """As a logger's filter: look at the record, let it pass."""
        self.emit(record)
        return True


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_log() -> Iterator[None]:
    """The whole run fails if any record, at whatever level logging is on, holds the app secret or a
    decision token (tests/http/test_no_secrets_in_logs.py switches every level on for one session).

    uvicorn's loggers do not propagate to the root and each server's start replaces their handlers
    (its dictConfig), not their filters: there the watch is a filter."""
    redact_server_logs()  # what every app installs (create_app), before the watch: filters run in order
    watch = _LeakWatch()
    logging.getLogger().addHandler(watch)
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).addFilter(watch.look)
    yield
    logging.getLogger().removeHandler(watch)
    for name in UVICORN_LOGGERS:
        logging.getLogger(name).removeFilter(watch.look)
    assert not watch.leaks, "secrets in the logs:\n" + "\n".join(watch.leaks[:5])


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Both backends; PostgreSQL is skipped where no server is configured (local runs)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gov.sqlite3'}"
        return
    if not PG_URL:
        pytest.skip("GOVERNANCE_TEST_POSTGRES_URL not set")
    yield from _pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'gov.sqlite3'}"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn(app_secret=SECRET)
    s.add_user("admin", "Administrator", admin=True)
    for uid, name in [
        ("alice", "Alice Martin"),
        ("dave", "Dave Leroy"),
        ("emma", "Emma Petit"),
        ("claire", "Claire Dubois"),
        ("malik", "Malik Benali"),
        ("sophie", "Sophie Laurent"),
        ("nora", "Nora Haddad"),
    ]:
        s.add_user(uid, name, email=f"{uid}@example.org")
    s.start()
    yield s
    s.stop()


def make_settings(standin: StandIn, db: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        app_secret=SECRET,
        nextcloud_url=standin.url,
        app_persistent_storage=tmp_path,
        database_url=db,
        governance_admin_user="admin",
        **extra,  # type: ignore[arg-type]
    )


class RunningApp:
    """The ExApp served on a loopback port, registered with the stand-in."""

    def __init__(self, standin: StandIn, settings: Settings) -> None:
        self.standin = standin
        self.settings = settings
        self.app = create_app(settings)
        self.gov: Governance = self.app.state.gov
        self.server = ServerThread(self.app)
        self.url = self.server.start()
        standin.exapp_url = self.url

    def seed(self, org: Organisation) -> None:
        self.gov.orgs.save(org)

    def run(self, coro):  # type: ignore[no-untyped-def]
        """Run a coroutine in the app's own event loop (its HTTP clients live there)."""
        return self.server.run(coro)

    def client(self, uid: str, lang: str = "en") -> httpx.Client:
        """A client calling the ExApp as AppAPI's proxy does for Nextcloud user ``uid``."""
        return httpx.Client(base_url=self.url, headers=appapi_headers(uid, lang), timeout=30)

    def stop(self) -> None:
        self.server.stop()


def appapi_headers(uid: str, lang: str = "en", secret: str = SECRET) -> dict[str, str]:
    auth = base64.b64encode(f"{uid}:{secret}".encode()).decode()
    return {
        "EX-APP-ID": "governance",
        "EX-APP-VERSION": "1.0.0",
        "AA-VERSION": "32.0.0",
        "AUTHORIZATION-APP-API": auth,
        "AA-REQUEST-ID": "test",
        "X-Governance-Lang": lang,
        "X-Governance-CSRF": csrf_token(secret, uid),
    }


@pytest.fixture
def running(standin: StandIn, sqlite_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    """Without the periodic work: tests run expiry and resumption themselves. Its first pass takes
    its lease in a worker thread (lib/services/background.py), so it could land after a test's seed
    and warn the demo organisation's facilitators of an ending membership in the middle of a test."""
    settings = make_settings(standin, sqlite_url, tmp_path, governance_background=False)
    app = RunningApp(standin, settings)
    yield app
    app.stop()


@pytest.fixture
def demo(running: RunningApp) -> RunningApp:
    """The demo organisation applied to the stand-in, the app registered (so it may notify)."""
    running.seed(demo_org(date.today()))
    for uid in ("ines", "hugo", "lucas", "yann", "paul"):
        running.standin.add_user(uid, uid.title())
    _plan, result = running.run(running.gov.sync.apply("system"))
    assert result.ok, result.error
    running.run(running.standin.register_exapp())
    return running
