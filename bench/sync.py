"""HTTP calls a sync costs: the benchmark organisation through the real adapter and the Nextcloud stand-in.

From an empty Nextcloud, then after 50 random organisation changes. Issue 16's targets: a reading
in at most 600 calls, a sync in at most 1.2 calls per change plus the reading; where a change kind
needs more than one request (attach with permissions other than 31 = attach + permissions, a grant
of ACL management = revoke + grant, ACL rules = MKCOL of new levels + PROPPATCH) the per-kind
figures show it. Four Governance workers on one database cost one reading per interval.

At a real server's 40 ms per call (the stand-in's ``latency``): the reading is timed whole; the
writes, applied one after the other, on a slice of the organisation (about ``SAMPLE_CHANGES``
changes), and extrapolated per write call to the whole sync (``_timed_40ms``).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bench.engine import ADMIN, PATHS, SEED, TODAY, USERS, build_org
from ex_app.main import build
from lib.core.changes import Change
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, OrgGroup, Right, Role, role_ref
from lib.core.plan import plan
from lib.core.ports import Gateway
from lib.nextcloud.factory import gateway_from_settings
from lib.nextcloud.gateway import NextcloudGateway
from lib.services.apply import apply_plan
from lib.services.background import _read as background_read
from lib.services.sync import managed_by
from lib.settings import Settings
from tests.fakes import FakeAudit
from tests.standin import StandIn

SECRET = secrets.token_urlsafe(32)  # Settings refuse a weak secret; a new one each run
ORG_CHANGES = 50
LATENCY = 0.040  # seconds per call on a real server (provisioning_bulk_reads.json: 49-168 ms)
SAMPLE_CHANGES = 1_000  # changes of the organisation slice whose writes are timed at LATENCY
WORKERS, INTERVALS = 4, 3


class _Journal:
    """The Journal port indexed by change (tests/fakes.FakeJournal scans a list: quadratic at 30k changes)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[Change]] = {}
        self.status: dict[Change, str] = {}

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        self.runs.setdefault(run_id, list(changes))

    def fresh(self, run_id: str) -> list[Change] | None:
        return None  # every run is claimed, as a run begun by another process is

    def claim(self, run_id: str) -> bool:
        return True

    def beat(self, run_id: str) -> bool:
        return True

    def release(self, run_id: str) -> None:
        pass

    def run_status(self, run_id: str) -> str | None:
        return "done" if not self.pending(run_id) else "running"

    def started(self, run_id: str) -> set[str]:
        return {c.key for c in self.runs[run_id] if self.status.get(c) in ("running", "failed")}

    def pending(self, run_id: str) -> list[Change]:
        return [c for c in self.runs[run_id] if self.status.get(c) != "done"]

    def mark_running(self, run_id: str, change: Change) -> None:
        self.status[change] = "running"

    def mark_done(self, run_id: str, change: Change, answer: str) -> None:
        self.status[change] = "done"

    def mark_failed(self, run_id: str, change: Change, error: str) -> None:
        self.status[change] = "failed"

    def unfinished_runs(self) -> list[str]:
        return []


class _Counting:
    """The gateway, counting the stand-in requests each applied change caused, by change kind."""

    def __init__(self, gateway: NextcloudGateway, standin: StandIn) -> None:
        self.gateway, self.standin = gateway, standin
        self.calls: Counter[str] = Counter()
        self.changes: Counter[str] = Counter()

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        before = len(self.standin.calls)
        answer = await self.gateway.apply(change, in_doubt=in_doubt)
        self.calls[change.kind] += len(self.standin.calls) - before
        self.changes[change.kind] += 1
        return answer


@dataclass(frozen=True)
class Outcome:
    calls: int
    reads: int
    changes: int
    seconds: float
    per_kind: _Counting
    leftover: int  # changes a fresh plan still finds (0 when the sync converged)
    verify_reads: int  # calls of one read_state of the synced state
    read_seconds: float  # of ``seconds``, reading Nextcloud before planning

    @property
    def writes(self) -> int:
        return self.calls - self.reads


async def _read(gateway: NextcloudGateway, org: Organisation) -> tuple[Any, Any, Any]:
    desired = compile_org(org, ADMIN, TODAY)
    managed = managed_by(org, desired)
    rule_paths = {m: set(f.rules) for m, f in desired.folders.items()}
    actual = await gateway.read_state(managed, list(desired.folders), rule_paths=rule_paths)
    return desired, actual, managed


async def sync(gateway: NextcloudGateway, standin: StandIn, org: Organisation, run_id: str) -> Outcome:
    standin.reset_calls()
    start = time.perf_counter()
    desired, actual, managed = await _read(gateway, org)
    reads, read_seconds = len(standin.calls), time.perf_counter() - start
    todo = plan(desired, actual, managed)
    counting = _Counting(gateway, standin)
    gateway_port = cast(Gateway, counting)  # apply_plan only calls apply()
    result = await apply_plan(
        todo.changes, gateway_port, _Journal(), FakeAudit(), actor="bench", run_id=run_id
    )
    seconds, calls = time.perf_counter() - start, len(standin.calls)
    if not result.ok:
        print(f"WARNING: sync {run_id} stopped at {result.failed}: {result.error}")
    standin.reset_calls()
    desired, actual, managed = await _read(gateway, org)
    leftover = len(plan(desired, actual, managed))
    if leftover:
        print(f"WARNING: after sync {run_id} a new plan still has {leftover} change(s)")
    return Outcome(calls, reads, len(todo), seconds, counting, leftover, len(standin.calls), read_seconds)


def org_slice(org: Organisation, changes: int = SAMPLE_CHANGES, total: int = 29_401) -> Organisation:
    """The first working groups, enough for about ``changes`` changes from empty (of ``total`` for
    the whole organisation), with their own grants and members and as large a share of the
    organisation-wide groups' members: the same mix of change kinds, smaller."""
    keep = max(1, round(len(org.working_groups) * changes / total))
    wgs = org.working_groups[:keep]
    slugs = {wg.slug for wg in wgs}
    org_groups = {g.value for g in OrgGroup}

    def ours(group: str) -> bool:
        return group in org_groups or group.split("/")[0] in slugs

    wgs = tuple(replace(wg, grants=tuple(g for g in wg.grants if ours(g.group))) for wg in wgs)
    every = max(1, len(org.working_groups) // keep)
    wide = [m for m in org.memberships if m.group in org_groups][::every]
    members = tuple(m for m in org.memberships if m.group in slugs) + tuple(wide)
    return replace(org, working_groups=wgs, memberships=members)


def _standin(latency: float = 0.0) -> StandIn:
    standin = StandIn(app_secret=SECRET)
    standin.add_user(ADMIN, "Governance", admin=True)
    for i in range(USERS):
        standin.add_user(f"user{i:04d}")
    standin.start()
    standin.latency = latency
    return standin


async def _timed_40ms(synced: StandIn, org: Organisation, empty: Outcome) -> dict[str, dict[str, Any]]:
    """The reading of the synced Nextcloud and of an empty one, whole, at ``LATENCY`` per call; the
    writes of a slice of the organisation, one after the other, extrapolated per write call to the
    ``empty.writes`` calls of the whole sync (writes are sequential: time grows with calls)."""
    synced.latency = LATENCY
    try:
        gateway = gateway_from_settings(_settings(synced))
        start = time.perf_counter()
        await _read(gateway, org)
        read_seconds = time.perf_counter() - start
        await gateway._client.aclose()
    finally:
        synced.latency = 0.0
    fresh = await asyncio.to_thread(_standin, LATENCY)
    try:
        gateway = gateway_from_settings(_settings(fresh))
        start = time.perf_counter()
        await _read(gateway, org)  # what the sync from empty reads first
        empty_read_seconds = time.perf_counter() - start
        sample = await sync(gateway, fresh, org_slice(org), "bench-slice-40ms")
        await gateway._client.aclose()
    finally:
        fresh.stop()
    per_write = (sample.seconds - sample.read_seconds) / max(1, sample.writes)
    how = f"s: empty read timed whole + {empty.writes} write calls x {per_write * 1000:.1f} ms"
    return {
        "read_state_seconds_40ms": {"value": round(read_seconds, 1), "unit": "s (timed whole)"},
        "sync_seconds_from_empty_40ms": {
            "value": round(empty_read_seconds + empty.writes * per_write),
            "unit": f"{how} (timed on {sample.changes} changes, {sample.writes} write calls)",
        },
    }


def _settings(standin: StandIn, **kwargs: Any) -> Settings:
    return Settings(app_secret=SECRET, nextcloud_url=standin.url, governance_admin_user=ADMIN, **kwargs)


async def _readings_per_interval(standin: StandIn, org: Organisation) -> dict[str, dict[str, Any]]:
    """``WORKERS`` Governance instances on one database, each running the background reading
    (lib/services/background.py) at the same moments of ``INTERVALS`` intervals: how many
    readings of Nextcloud per interval, and whether every worker then shows the same one."""
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{Path(tmp) / 'gov.sqlite3'}"
        settings = _settings(
            standin, database_url=db, app_persistent_storage=tmp, governance_background=False
        )
        workers = [build(settings, gateway_from_settings, today=lambda: TODAY) for _ in range(WORKERS)]
        workers[0].migrate()
        workers[0].orgs.save(org)
        every = timedelta(seconds=settings.governance_read_interval)
        start = datetime.now(UTC)
        standin.reset_calls()
        try:
            for k in range(INTERVALS):
                await asyncio.gather(*(background_read(w.requests, now=start + k * every) for w in workers))
            shown = {w.sync.readings.last.read_at if w.sync.readings.last else None for w in workers}
        finally:
            for w in workers:
                await cast(NextcloudGateway, w.gateway)._client.aclose()
                w.engine.dispose()
    readings = standin.calls.count(("GET", "/ocs/v2.php/cloud/groups/details"))
    if len(shown) != 1 or None in shown:
        print(f"WARNING: the {WORKERS} workers show {len(shown)} different readings")
    return {
        f"readings_per_interval_{WORKERS}_workers": {
            "value": readings / INTERVALS,
            "unit": f"readings ({INTERVALS} intervals; every worker shows the same: {len(shown) == 1})",
        }
    }


def change_org(org: Organisation, rng: random.Random, count: int = ORG_CHANGES) -> Organisation:
    """``count`` random everyday edits: people join, leave, folders get or lose a sub-path grant."""
    groups = {wg.slug: wg for wg in org.working_groups}
    slugs = sorted(groups)
    members = set(org.memberships)
    for _ in range(count):
        edit, slug = rng.randrange(4), rng.choice(slugs)
        if edit == 0:
            members.add(Membership(slug, f"user{rng.randrange(USERS):04d}", rng.choice(list(Role))))
        elif edit == 1:
            members.discard(rng.choice(sorted(members)))
        elif edit == 2:
            grant = Grant(role_ref(slug, rng.choice(list(Role))), rng.choice(list(Right)), rng.choice(PATHS))
            groups[slug] = replace(groups[slug], grants=(*groups[slug].grants, grant))
        elif groups[slug].grants:
            grants = list(groups[slug].grants)
            grants.pop(rng.randrange(len(grants)))
            groups[slug] = replace(groups[slug], grants=tuple(grants))
    ordered = sorted(members, key=lambda m: (m.group, m.user, m.role or ""))
    wgs = tuple(groups[wg.slug] for wg in org.working_groups)
    return replace(org, working_groups=wgs, memberships=tuple(ordered))


def _figures(empty: Outcome, again: Outcome) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {
        "sync_calls_from_empty": {
            "value": empty.calls,
            "unit": f"calls (target {int(1.2 * empty.changes) + empty.reads}: 1.2 x changes + reads)",
        },
        "sync_changes_from_empty": {"value": empty.changes, "unit": "changes"},
        "sync_extra_calls_from_empty": {"value": empty.calls - empty.reads - empty.changes, "unit": "calls"},
        "sync_seconds_from_empty": {"value": round(empty.seconds, 1), "unit": "s"},
        "read_state_calls": {"value": empty.verify_reads, "unit": "calls (target 600)"},
        "resync_calls_after_50_changes": {
            "value": again.calls,
            "unit": f"calls (target {int(1.2 * again.changes) + again.reads}: 1.2 x changes + reads)",
        },
        "resync_changes_after_50": {"value": again.changes, "unit": "changes"},
        "resync_seconds_after_50": {"value": round(again.seconds, 2), "unit": "s"},
        "sync_leftover_changes": {"value": empty.leftover + again.leftover, "unit": "changes"},
    }
    for kind, n in sorted(empty.per_kind.changes.items()):
        per = empty.per_kind.calls[kind] / n
        out[f"calls_per_change_kind_{kind}"] = {"value": round(per, 2), "unit": f"calls/change ({n} changes)"}
    return out


async def _run(standin: StandIn) -> dict[str, dict[str, Any]]:
    rng = random.Random(SEED)
    org = build_org(rng)
    gateway = gateway_from_settings(_settings(standin))
    try:
        empty = await sync(gateway, standin, org, "bench-empty")
        changed = change_org(org, rng)
        again = await sync(gateway, standin, changed, "bench-50")
    finally:
        await gateway._client.aclose()
    figures = _figures(empty, again)
    figures |= await _readings_per_interval(standin, changed)
    figures |= await _timed_40ms(standin, changed, empty)
    return figures


def run() -> dict[str, dict[str, Any]]:
    standin = _standin()
    try:
        return asyncio.run(_run(standin))
    finally:
        standin.stop()


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
