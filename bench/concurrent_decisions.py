"""Concurrent decisions on two server processes (issue 13, item 2: 100 requests decided by two
operators at once had lost five people's access).

``REQUESTS`` add-member requests (one person each, spread over ten working groups) are sent by
their groups' facilitators through HTTP; then each is approved at the same moment by two different
operators, one on each of two ExApp processes (uvicorn, ex_app.main:worker_app) sharing one
PostgreSQL database and one Nextcloud stand-in, ``AT_ONCE`` requests in flight. Counted:

* ``concurrent_decisions_lost``: requests whose person is missing from the organisation or from
  the group in Nextcloud afterwards (each request was approved: each person must be in);
* ``concurrent_decisions_double``: requests applied twice: the person's addition reached
  Nextcloud's handler more than once (the stand-in's log of calls), or the audit log holds two
  "approved" or two "applied" entries for it, or the journal two finished runs;
* ``concurrent_decisions_stuck``: requests not ended applied once the processes settled.

PostgreSQL: GOVERNANCE_TEST_POSTGRES_URL, else a throw-away cluster (bench/processes.py).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import select

from bench import faults
from bench.processes import AppProcess, app_database
from lib.core.model import Role, role_ref
from lib.store.org_repo import OrgRepository
from lib.store.tables import access_requests, audit_log, journal_runs
from tests.conftest import appapi_headers

REQUESTS = 200
GROUPS = 10
AT_ONCE = 6
SETTLE = 60.0  # seconds the processes get to settle what is left (their resume loop looks every 10 s)
CHECKSUM = re.compile(r'name="checksum" value="([0-9a-f]+)"')
FLASH = re.compile(r'class="gov-flash gov-flash-error" role="status">([^<]*)')  # templates/layout.html
FINAL = {"applied", "failed", "rejected", "cancelled", "expired"}


async def _submit(client: httpx.AsyncClient, secret: str, g: int, uid: str) -> int:
    form = {"kind": "add_member", "group": faults._slug(g), "users": uid, "role": "contributor",
            "justification": "bench: concurrent decisions"}  # fmt: skip
    r = await client.post("/ui/requests", data=form, headers=appapi_headers(f"fac{g}", secret=secret))
    found = re.search(r"#(\d+)", r.text)
    if r.status_code != 200 or not found:
        raise RuntimeError(f"submitting {uid}: HTTP {r.status_code}")
    return int(found.group(1))


async def _decide(
    apps: list[httpx.AsyncClient], secret: str, rid: int, gate: asyncio.Semaphore
) -> list[tuple[int, str]]:
    """Two operators open the request (each on their process) and approve it at the same moment;
    each answer's status, and the sentence shown when it is refused."""
    operators = [(apps[0], f"op{rid % 2}"), (apps[1], f"op{2 + rid % 2}")]
    async with gate:
        shown = [
            await c.get(f"/ui/requests/{rid}", headers=appapi_headers(op, secret=secret))
            for c, op in operators
        ]
        checksums = [m.group(1) for page in shown if (m := CHECKSUM.search(page.text))]
        if len(checksums) != len(operators):
            raise RuntimeError(
                f"request {rid}: no plan shown to an operator ({[p.status_code for p in shown]})"
            )
        answers = await asyncio.gather(
            *(
                c.post(
                    f"/ui/requests/{rid}/approve",
                    data={"checksum": checksum},
                    headers=appapi_headers(op, secret=secret),
                )
                for (c, op), checksum in zip(operators, checksums, strict=True)
            )
        )
        return [(a.status_code, _flash(a.text) if a.status_code != 200 else "") for a in answers]


def _flash(page: str) -> str:
    """The sentence an operator reads when an approval is refused."""
    found = FLASH.search(page)
    return found.group(1).strip()[:160] if found else page[:160]


async def decide_all(urls: list[str], secret: str, uids: list[str], at_once: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=4 * at_once)
    clients = [httpx.AsyncClient(base_url=u, timeout=120, limits=limits) for u in urls]
    try:
        gate = asyncio.Semaphore(at_once)

        async def submit(n: int, uid: str) -> int:
            async with gate:
                return await _submit(clients[n % 2], secret, n % GROUPS, uid)

        ids = await asyncio.gather(*(submit(n, uid) for n, uid in enumerate(uids)))
        start = time.perf_counter()
        answers = await asyncio.gather(*(_decide(clients, secret, rid, gate) for rid in ids))
        return {
            "ids": ids,
            "answers": dict(zip(ids, answers, strict=True)),
            "seconds": time.perf_counter() - start,
        }
    finally:
        for c in clients:
            await c.aclose()


def run_decisions(requests: int = REQUESTS, at_once: int = AT_ONCE) -> dict[str, Any]:
    """The whole measure: a database, a stand-in, two app processes; the counts."""
    secret = faults.SECRET  # the stand-in's (faults.start_standin): it checks the app's calls with it
    org = faults.base_org(contributors=3, groups=GROUPS)
    uids = [f"c{i:04d}" for i in range(requests)]
    standin, _handled = faults.start_standin([*uids, *faults.staff(contributors=3, groups=GROUPS)])
    faults.seed(standin, org)
    standin.calls.clear()
    apps: list[AppProcess] = []
    try:
        with app_database(org, secret=secret, nextcloud_url=standin.url) as (engine, env, logs):
            try:
                apps = [AppProcess(env, logs / f"app{k}.log").start() for k in range(2)]
                decided = asyncio.run(decide_all([a.url for a in apps], secret, uids, at_once))
                ids: list[int] = decided["ids"]
                states = _settle(engine, ids)
                figures = _count(engine, standin, dict(zip(ids, uids, strict=True)), states)
            finally:
                for app in apps:
                    app.stop()
    finally:
        standin.stop()
    answers: dict[int, list[tuple[int, str]]] = decided["answers"]
    refusals = Counter(a for pair in answers.values() for a in pair if a[0] != 200)
    return {
        **figures,
        "answers": dict(Counter(status for pair in answers.values() for status, _ in pair)),
        "refusals": dict(refusals),
        "no_approval": [rid for rid, pair in answers.items() if all(status != 200 for status, _ in pair)],
        "seconds": decided["seconds"],
    }


def _settle(engine: Any, ids: list[int]) -> dict[int, str]:
    """The requests' states once none is still being applied (or after ``SETTLE`` seconds)."""
    deadline = time.monotonic() + SETTLE
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(access_requests.c.id, access_requests.c.state).where(access_requests.c.id.in_(ids))
            )
            states = {r.id: r.state for r in rows}
        if all(s in FINAL for s in states.values()) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def _count(engine: Any, standin: Any, person: dict[int, str], states: dict[int, str]) -> dict[str, Any]:
    final = OrgRepository(engine).load()
    with engine.connect() as conn:
        entries = Counter(
            (r.action, r.subject)
            for r in conn.execute(
                select(audit_log.c.action, audit_log.c.subject).where(
                    audit_log.c.action.in_(("request.approved", "request.applied"))
                )
            )
        )
        done_runs = Counter(
            r.request_id
            for r in conn.execute(select(journal_runs.c.request_id).where(journal_runs.c.status == "done"))
        )
    adds = Counter(path for method, path in standin.calls if method == "POST")
    lost, double, stuck = [], [], []
    for rid, uid in person.items():
        slug = faults._slug((int(uid[1:])) % GROUPS)
        gid = final.naming.gid(role_ref(slug, Role.CONTRIBUTOR))
        in_org = any(
            m.user == uid and m.group == slug and m.role is Role.CONTRIBUTOR for m in final.memberships
        )
        if not in_org or uid not in standin.groups.get(gid, set()):
            lost.append(rid)
        subject = f"request:{rid}"
        if (
            adds[f"/ocs/v2.php/cloud/users/{uid}/groups"] > 1
            or entries[("request.approved", subject)] > 1
            or entries[("request.applied", subject)] > 1
            or done_runs[rid] > 1
        ):
            double.append(rid)
        if states.get(rid) != "applied":
            stuck.append(rid)
    return {
        "requests": len(person),
        "applied": sum(1 for s in states.values() if s == "applied"),
        "lost": len(lost),
        "double": len(double),
        "stuck": len(stuck),
        "examples": {
            "lost": lost[:5],
            "double": double[:5],
            "stuck": [(r, states.get(r)) for r in stuck[:5]],
        },
    }


def run() -> dict[str, dict[str, Any]]:
    """The figures for bench-results.json (``make prove``)."""
    d = run_decisions()
    print(
        f"concurrent decisions: {d['requests']} requests, 2 operators each on 2 processes (PostgreSQL), "
        f"{d['applied']} applied, approve answers {d['answers']}, {d['seconds']:.1f} s, refusals "
        f"{d['refusals']}, requests no operator could approve {d['no_approval']}; "
        f"lost {d['lost']}, double {d['double']}, stuck {d['stuck']} {d['examples']}"
    )
    unit = f"of {d['requests']} requests, each approved at once by 2 operators on 2 processes (PostgreSQL)"
    return {
        "concurrent_decisions_lost": {
            "value": d["lost"],
            "unit": f"requests whose person lacks access, {unit}",
        },
        "concurrent_decisions_double": {"value": d["double"], "unit": f"requests applied twice, {unit}"},
        "concurrent_decisions_stuck": {"value": d["stuck"], "unit": f"requests not ended applied, {unit}"},
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
