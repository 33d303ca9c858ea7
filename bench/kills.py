"""A server process killed (SIGKILL) while it applies an approved request, then restarted (issue 13,
item 4: the dead process's run waited ten minutes and its request stayed "applying" for good).

Each round: a facilitator asks for ``PEOPLE`` people through HTTP, an operator approves, and once
the journal shows a random number of its changes done the process gets SIGKILL (no handler, no
journal mark, its lease left as it was). A new process starts on the same database, as a
supervisor would restart it, and the time is measured from the kill until the request is
"applied" in the database. The server's own constants (lib/services/background.RESUME_INTERVAL:
a look every 10 s; lib/store/journal.STALE_AFTER: a holder silent 15 s is dead) make it what an
operator would wait. Counted too: requests not ended applied or failed (``requests_stuck``) and
people missing from Nextcloud afterwards.
"""

from __future__ import annotations

import random
import re
import statistics
import threading
import time
from typing import Any

import httpx
from sqlalchemy import func, select

from bench import faults
from bench.concurrent_decisions import CHECKSUM
from bench.processes import AppProcess, app_database
from lib.core.model import Role, role_ref
from lib.store.tables import access_requests, journal_changes, journal_runs
from tests.conftest import appapi_headers

KILLS = 8
PEOPLE = 20
LATENCY = 0.05  # seconds per Nextcloud call: a run of ~25 calls lasts long enough to die in
LIMIT = 120.0  # seconds after which a request still not applied counts as stuck


def _progress(engine: Any, rid: int) -> tuple[int, int]:
    """(done, not done) changes of the request's run."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(journal_changes.c.status, func.count())
            .join(journal_runs, journal_runs.c.run_id == journal_changes.c.run_id)
            .where(journal_runs.c.request_id == rid)
            .group_by(journal_changes.c.status)
        )
        counts = dict(rows.all())
    done = counts.get("done", 0)
    return done, sum(counts.values()) - done


def _state(engine: Any, rid: int) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(select(access_requests.c.state).where(access_requests.c.id == rid)))


def _approve_in_background(url: str, secret: str, rid: int) -> threading.Thread:
    """op0 approves; the answer never comes (the process dies under it)."""

    def approve() -> None:
        with httpx.Client(base_url=url, timeout=60, headers=appapi_headers("op0", secret=secret)) as c:
            page = c.get(f"/ui/requests/{rid}")
            checksum = CHECKSUM.search(page.text)
            if checksum is None:
                raise RuntimeError(f"request {rid}: no plan shown (HTTP {page.status_code})")
            try:
                c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum.group(1)})
            except httpx.TransportError:
                pass  # the connection died with the process

    thread = threading.Thread(target=approve, daemon=True)
    thread.start()
    return thread


def one_kill(
    app: AppProcess, engine: Any, standin: Any, secret: str, uids: list[str], at: int
) -> tuple[AppProcess, dict[str, Any]]:
    """Ask, approve, kill once ``at`` changes are done, restart: the new process and what happened."""
    form = {"kind": "add_member", "group": faults.WG, "users": ",".join(uids), "role": "contributor",
            "justification": "bench: a process killed while applying"}  # fmt: skip
    r = httpx.post(
        f"{app.url}/ui/requests", data=form, headers=appapi_headers("fac0", secret=secret), timeout=60
    )
    found = re.search(r"#(\d+)", r.text)
    if r.status_code != 200 or not found:
        raise RuntimeError(f"the request was not sent: HTTP {r.status_code}")
    rid = int(found.group(1))
    standin.latency = LATENCY
    _approve_in_background(app.url, secret, rid)
    deadline = time.monotonic() + 60
    while True:
        done, left = _progress(engine, rid)
        if done >= at and left:
            break
        if time.monotonic() > deadline or (left == 0 and done):
            raise RuntimeError(f"request {rid}: the run never got to change {at} ({done} done, {left} left)")
        time.sleep(0.02)
    app.kill()
    killed = time.perf_counter()
    standin.latency = 0.0
    restarted = AppProcess(app.env, app.log).start()
    started = time.perf_counter() - killed
    state = _state(engine, rid)
    while state not in ("applied", "failed") and time.perf_counter() - killed < LIMIT:
        time.sleep(0.1)
        state = _state(engine, rid)
    seconds = time.perf_counter() - killed
    gid = faults.base_org().naming.gid(role_ref(faults.WG, Role.CONTRIBUTOR))
    missing = set(uids) - standin.groups.get(gid, set())
    return restarted, {
        "request": rid,
        "state": state,
        "seconds": seconds,
        "restart_seconds": started,
        "done_at_kill": done,
        "left_at_kill": left,
        "missing": sorted(missing) if state == "applied" else [],
    }


def run_kills(kills: int = KILLS) -> dict[str, Any]:
    secret = faults.SECRET
    org = faults.base_org(contributors=3)
    everyone = [f"k{n}-{i:02d}" for n in range(kills) for i in range(PEOPLE)]
    standin, _handled = faults.start_standin([*everyone, *faults.staff(contributors=3)])
    faults.seed(standin, org)
    rounds: list[dict[str, Any]] = []
    app: AppProcess | None = None
    try:
        with app_database(org, secret=secret, nextcloud_url=standin.url) as (engine, env, logs):
            try:
                app = AppProcess(env, logs / "app.log").start()
                rng = random.Random(faults.SEED)
                for n in range(kills):
                    uids = everyone[n * PEOPLE : (n + 1) * PEOPLE]
                    app, result = one_kill(app, engine, standin, secret, uids, at=rng.randint(1, PEOPLE - 2))
                    print(f"kill {n + 1}: {result}", flush=True)
                    rounds.append(result)
            finally:
                if app is not None:
                    app.stop()
    finally:
        standin.stop()
    applied = [r["seconds"] for r in rounds if r["state"] == "applied"]
    return {
        "kills": len(rounds),
        "applied": len(applied),
        "stuck": sum(1 for r in rounds if r["state"] not in ("applied", "failed")),
        "missing": sum(len(r["missing"]) for r in rounds),
        "median": statistics.median(applied) if applied else None,
        "max": max(applied) if applied else None,
        "rounds": rounds,
    }


def run() -> dict[str, dict[str, Any]]:
    k = run_kills()
    print(
        f"kills: {k['kills']} processes killed mid-apply and restarted, {k['applied']} requests "
        f"applied after, median {k['median']:.1f} s, max {k['max']:.1f} s, {k['missing']} people missing"
    )
    of = f"of {k['kills']} SIGKILLs mid-apply, each followed by a restart"
    return {
        "resume_seconds_after_kill": {
            "value": round(k["median"], 1),
            "unit": f"s from the kill to the request applied by the restarted process, median {of}"
            " (target < 30)",
        },
        "resume_seconds_after_kill_max": {"value": round(k["max"], 1), "unit": f"s, the slowest {of}"},
        "requests_stuck_after_kill": {
            "value": k["stuck"],
            "unit": f"requests neither applied nor failed {LIMIT:.0f} s after the kill, {of}",
        },
        "people_missing_after_kill": {
            "value": k["missing"],
            "unit": f"people approved but not in Nextcloud, {of}",
        },
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
