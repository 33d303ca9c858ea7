"""Real processes for the measures that need them: a PostgreSQL server, and the ExApp served by
uvicorn in OS processes of its own (issue 13: decisions on two processes, a worker killed by SIGKILL).

In-process instances share one interpreter and one event loop; only separate processes show what a
second server or a dead one does to the database's locks, leases and journal.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, text

from lib.core.model import Organisation
from lib.store.db import make_engine, migrate
from lib.store.org_repo import OrgRepository
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql")


def _pg_bin() -> Path:
    versions = sorted(PG_BIN.glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise RuntimeError(
            "no PostgreSQL server binaries in /usr/lib/postgresql (apt-get install postgresql)"
        )
    return versions[-1].parent


def _as_postgres(args: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, they run as the postgres account."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextmanager
def postgres_server() -> Iterator[str]:
    """GOVERNANCE_TEST_POSTGRES_URL when set, else a throw-away cluster on loopback (as .ci/run
    starts one) removed afterwards. fsync is off: these runs count outcomes, they time nothing on disk."""
    url = os.environ.get("GOVERNANCE_TEST_POSTGRES_URL", "")
    if url:
        yield url
        return
    pg = _pg_bin()
    tmp = Path(tempfile.mkdtemp(prefix="gov-pg-"))
    data, port = tmp / "data", free_port()
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    try:
        subprocess.run(
            _as_postgres([str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_postgres(
                [str(pg / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(tmp / "log"), "-w", "start"]
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                _as_postgres([str(pg / "pg_ctl"), "-D", str(data), "stop", "-m", "fast"]), capture_output=True
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def fresh_database(server: str) -> Iterator[str]:
    """A database of its own on ``server``, dropped afterwards (with its connections)."""
    name = f"gov_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class AppProcess:
    """The ExApp as production serves it (ex_app.main:worker_app under uvicorn), one OS process;
    the database is migrated beforehand, as ``ex_app.main.run`` does before starting its workers."""

    def __init__(self, env: dict[str, str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "APP_PORT": str(self.port), "APP_WORKERS": "1"}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> AppProcess:
        args = [sys.executable, "-m", "uvicorn", "ex_app.main:worker_app", "--factory"]
        args += ["--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app process exited ({self.proc.returncode}): {self.last_words()}")
            try:
                if httpx.get(f"{self.url}/heartbeat", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"the app process did not answer /heartbeat in {timeout:.0f} s: {self.last_words()}"
                )
            time.sleep(0.1)

    def last_words(self, lines: int = 8) -> str:
        """The end of the process's output: why it stopped."""
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return f"no output in {self.log}"

    def kill(self) -> None:
        """SIGKILL: the process dies at once, its leases and journal steps left as they were."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def app_env(*, secret: str, nextcloud_url: str, database_url: str, storage: Path) -> dict[str, str]:
    """What AppAPI passes a deployed ExApp (NEXTCLOUD.md §1.3), with no objection window (add-member
    requests apply on approval anyway)."""
    return {
        "APP_ID": "governance",
        "APP_SECRET": secret,
        "APP_VERSION": "1.0.0",
        "NEXTCLOUD_URL": nextcloud_url,
        "DATABASE_URL": database_url,
        "APP_PERSISTENT_STORAGE": str(storage),
        "GOVERNANCE_ADMIN_USER": "admin",
        "GOVERNANCE_OBJECTION_DAYS": "0",
    }


@contextmanager
def app_database(
    org: Organisation, *, secret: str, nextcloud_url: str
) -> Iterator[tuple[Engine, dict[str, str], Path]]:
    """A fresh PostgreSQL database holding ``org``, its engine, and the environment of app processes
    on it (their logs go in the folder given)."""
    with postgres_server() as server, fresh_database(server) as db, tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(db)
        try:
            migrate(engine)
            OrgRepository(engine).save(org)
            yield (
                engine,
                app_env(secret=secret, nextcloud_url=nextcloud_url, database_url=db, storage=Path(tmp)),
                Path(tmp),
            )
        finally:
            engine.dispose()
