"""Latency of each page and JSON route with the benchmark organisation and 50,000 audit entries.

The ExApp runs as deployed (``python -m ex_app.main``: one worker process per core) and talks to a
stand-in already holding the organisation's Nextcloud state (what a deployed, synced app sees). 20
clients call one page at a time for BENCH_SECONDS through bench/loadgen.py, in a separate process.
Before that, each page is called on new connections until every worker answers it warm. A page
whose warm answer takes over SLOW_MS is measured with one client, and one whose first (cold) answer
takes over ONE_SHOT_MS is reported from that one call: 20 clients would queue for minutes. The
figure's unit says which. The periodic tasks are off (GOVERNANCE_BACKGROUND=false): they are not
what is measured. The matrix and /api/plan show each worker's last reading of Nextcloud
(lib/services/readings.py), taken on its first view; the slowest is reported. SQLite always;
PostgreSQL when GOVERNANCE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

from bench.engine import ADMIN, SEED, TODAY, USERS, build_org
from bench.loadgen import load
from lib.core.audit import AuditEntry, next_entry
from lib.core.compile import compile_org
from lib.core.state import NextcloudState
from lib.store.db import make_engine, migrate
from lib.store.org_repo import OrgRepository
from lib.store.tables import audit_log
from tests.conftest import _pg_database, appapi_headers
from tests.servers import free_port
from tests.standin import StandIn

SECRET = secrets.token_urlsafe(32)  # Settings refuse a weak secret; a new one each run
CLIENTS, AUDIT_ENTRIES = 20, 50_000
SLOW_MS, ONE_SHOT_MS = 1000.0, 5000.0  # warm answer over SLOW_MS: 1 client; cold over ONE_SHOT_MS: 1 call
OPERATOR = "user0830"  # in the operations group (bench/engine.py _memberships): every page is allowed
PAGES = {
    "groups": "/ui/groups",
    "group": "/ui/groups/wg-000",
    "requests": "/ui/requests",
    "decide": "/ui/decide",
    "matrix": "/ui/matrix",
    "audit": "/ui/audit",
    "stats": "/ui/stats",
    "organisation": "/ui/organisation",
    "api_plan": "/api/plan",
}
ACTIONS = ("request.approved", "request.created", "nextcloud.apply", "plan.apply", "drift.adopted")


def mirror(standin: StandIn, desired: NextcloudState) -> None:
    """Put ``desired`` into the stand-in directly, as a finished sync leaves it (no HTTP)."""
    for gid, members in desired.groups.items():
        standin.add_group(gid, *members, display_name=desired.display_names.get(gid))
    for mount, want in desired.folders.items():
        folder = standin.new_folder(mount)
        folder.groups, folder.acl = dict(want.groups), want.acl
        folder.manage = [(m.mapping_type, m.mapping_id) for m in sorted(want.managers)]
        for path, rules in want.rules.items():
            folder.add_path(path)
            folder.rules[path] = [
                (r.mapping_type, r.mapping_id, r.mask, r.permissions) for r in sorted(rules)
            ]


def seed_audit(engine: Any, count: int, rng: random.Random) -> None:
    """``count`` chained entries in one executemany (SqlAuditLog.append is one transaction each)."""
    rows, prev = [], None
    for i in range(count):
        at = f"{TODAY.replace(year=2024).isoformat()}T{i % 24:02d}:{i % 60:02d}:00"
        prev = next_entry(
            prev, at=at, actor=f"user{rng.randrange(USERS):04d}", action=rng.choice(ACTIONS),
            subject=f"add user{rng.randrange(USERS):04d} to gt-wg-{rng.randrange(500):03d}-membres",
            detail={"run_id": f"run-{i // 100}", "request_id": i // 10},
        )  # fmt: skip
        rows.append(_row(prev))
    with engine.begin() as conn:
        conn.execute(insert(audit_log), rows)


def settle(engine: Any) -> None:
    """PostgreSQL: vacuum and analyse after the bulk insert, as autovacuum has long done in a
    database whose log grew to 50,000 entries; otherwise its first pass over them may land inside a
    page's measurement. (SQLite has no autovacuum to wait for.)"""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _row(e: AuditEntry) -> dict[str, Any]:
    return {"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action, "subject": e.subject,
            "detail": e.detail, "prev_hash": e.prev_hash, "hash": e.hash}  # fmt: skip


def _get(client: httpx.Client, path: str) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    answer = client.get(path)
    return answer, (time.perf_counter() - start) * 1000


def measure_page(
    probe: httpx.Client, path: str, pool: ProcessPoolExecutor, seconds: float
) -> tuple[list[float], str]:
    """Latencies (ms) and how they were taken; the first call warms caches and finds absent pages."""
    first, cold_ms = _get(probe, path)
    if first.status_code == 404:
        return [], "absent"
    if first.status_code != 200:
        print(f"WARNING: {path} answered {first.status_code}: {first.text[:200]!r}")
    if cold_ms > ONE_SHOT_MS:
        return [cold_ms], "ms (1 request: too slow for a load run)"
    warm(str(probe.base_url).rstrip("/"), path, 10)  # each worker's first answer is not what is measured
    clients = CLIENTS if _get(probe, path)[1] < SLOW_MS else 1
    headers = appapi_headers(OPERATOR, secret=SECRET)
    latencies, failures = pool.submit(
        load, str(probe.base_url).rstrip("/"), path, headers, clients, seconds
    ).result()
    if failures:
        print(f"WARNING: {path}: {failures} failed request(s) of {len(latencies) + failures}")
    return latencies, f"ms ({clients} client{'s' * (clients > 1)}, {len(latencies)} req)"


def measure(url: str, db: str, pool: ProcessPoolExecutor, seconds: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    worst = 0.0
    with httpx.Client(base_url=url, headers=appapi_headers(OPERATOR, secret=SECRET), timeout=300) as probe:
        for name, path in PAGES.items():
            latencies, unit = measure_page(probe, path, pool, seconds)
            if not latencies:
                print(f"page {path}: absent (404), not measured")
                continue
            cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
            out[f"page_p50_ms_{name}_{db}"] = {"value": round(cuts[49], 1), "unit": unit}
            out[f"page_p95_ms_{name}_{db}"] = {"value": round(cuts[94], 1), "unit": unit}
            worst = max(worst, cuts[94])
    out[f"page_p95_ms_{db}"] = {"value": round(worst, 1), "unit": "ms (worst page)"}
    return out


def serve(settings: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``python -m ex_app.main`` as deployed (APP_WORKERS: one worker per core unless set)."""
    env = os.environ | {k.upper(): v for k, v in settings.items()}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ex_app.main"], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{settings['app_port']}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/heartbeat", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the app did not start: {log.read_text()[-2000:]}")


def warm(url: str, path: str, calls: int) -> float:
    """Call ``path`` on new connections until ``calls`` answers in a row come fast: every worker has
    its caches (and its reading of Nextcloud) by then. Returns the slowest answer, in seconds."""
    slowest, streak = 0.0, 0
    headers = appapi_headers(OPERATOR, secret=SECRET) | {"Connection": "close"}
    while streak < calls:
        start = time.perf_counter()
        httpx.get(f"{url}{path}", headers=headers, timeout=600)
        took = time.perf_counter() - start
        slowest = max(slowest, took)
        streak = streak + 1 if took < SLOW_MS / 1000 else 0
    return slowest


def run_on(db: str, url: str, pool: ProcessPoolExecutor, seconds: float) -> dict[str, dict[str, Any]]:
    rng = random.Random(SEED)
    org = build_org(rng)
    standin = StandIn(app_secret=SECRET)
    standin.add_user(ADMIN, "Governance", admin=True)
    for i in range(USERS):
        standin.add_user(f"user{i:04d}", f"User {i:04d}", email=f"user{i:04d}@example.org")
    mirror(standin, compile_org(org, ADMIN, TODAY))
    standin.start()
    engine = make_engine(url)
    migrate(engine)
    OrgRepository(engine).save(org)
    seed_audit(engine, AUDIT_ENTRIES, rng)
    settle(engine)
    engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        settings = {"app_secret": SECRET, "nextcloud_url": standin.url, "app_persistent_storage": tmp,
                    "database_url": url, "governance_admin_user": ADMIN, "app_host": "127.0.0.1",
                    "app_port": str(port), "governance_background": "false"}  # fmt: skip
        proc = serve(settings, Path(tmp) / "app.log")
        try:
            app = f"http://127.0.0.1:{port}"
            # the matrix and /api/plan show the reading each worker takes on its first view
            read = {f"reading_seconds_{db}": {"value": round(warm(app, "/api/plan", 20), 1), "unit": "s"}}
            return read | measure(app, db, pool, seconds)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            standin.stop()


def run() -> dict[str, dict[str, Any]]:
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    figures: dict[str, dict[str, Any]] = {}
    spawn = get_context("spawn")  # not fork: this process runs server threads
    with ProcessPoolExecutor(1, mp_context=spawn) as pool, tempfile.TemporaryDirectory() as tmp:
        figures.update(run_on("sqlite", f"sqlite:///{tmp}/gov.sqlite3", pool, seconds))
        pg = os.environ.get("GOVERNANCE_TEST_POSTGRES_URL", "")
        if pg:
            database = _pg_database()
            try:
                figures.update(run_on("postgres", next(database), pool, seconds))
            finally:
                database.close()  # drops the temporary database
        else:
            print("PostgreSQL: GOVERNANCE_TEST_POSTGRES_URL not set, skipped")
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
