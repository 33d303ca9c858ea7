"""HTTP calls a sync costs: the benchmark organisation through the real adapter and the Nextcloud stand-in.

From an empty Nextcloud, then after 50 random organisation changes. The issue's target is
"calls = changes + reads"; where a change kind needs more than one request (attach = check +
attach + permissions, ACL rules = MKCOL + PROPFIND + PROPPATCH) the per-kind figures show it.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from bench.engine import ADMIN, PATHS, SEED, TODAY, USERS, build_org
from lib.core.changes import Change
from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, Right, Role, role_ref
from lib.core.plan import plan
from lib.nextcloud.factory import gateway_from_settings
from lib.nextcloud.gateway import NextcloudGateway
from lib.services.apply import apply_plan
from lib.services.ports import Gateway
from lib.services.sync import managed_by
from lib.settings import Settings
from tests.fakes import FakeAudit
from tests.standin import StandIn

SECRET = secrets.token_urlsafe(32)  # Settings refuse a weak secret; a new one each run
ORG_CHANGES = 50


class _Journal:
    """The Journal port indexed by change (tests/fakes.FakeJournal scans a list: quadratic at 30k changes)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[Change]] = {}
        self.status: dict[Change, str] = {}

    def begin(self, run_id: str, changes: Sequence[Change], actor: str, request_id: int | None) -> None:
        self.runs.setdefault(run_id, list(changes))

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

    async def apply(self, change: Change) -> str:
        before = len(self.standin.calls)
        answer = await self.gateway.apply(change)
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
    reads = len(standin.calls)
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
    return Outcome(calls, reads, len(todo), seconds, counting, leftover, len(standin.calls))


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
        "sync_calls_from_empty": {"value": empty.calls, "unit": "calls"},
        "sync_changes_from_empty": {"value": empty.changes, "unit": "changes"},
        "sync_extra_calls_from_empty": {"value": empty.calls - empty.reads - empty.changes, "unit": "calls"},
        "sync_seconds_from_empty": {"value": round(empty.seconds, 1), "unit": "s"},
        "read_state_calls": {"value": empty.verify_reads, "unit": "calls"},
        "resync_calls_after_50_changes": {"value": again.calls, "unit": "calls"},
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
    settings = Settings(app_secret=SECRET, nextcloud_url=standin.url, governance_admin_user=ADMIN)
    gateway = gateway_from_settings(settings)
    try:
        empty = await sync(gateway, standin, org, "bench-empty")
        again = await sync(gateway, standin, change_org(org, rng), "bench-50")
    finally:
        await gateway._client.aclose()
    return _figures(empty, again)


def run() -> dict[str, dict[str, Any]]:
    standin = StandIn(app_secret=SECRET)
    standin.add_user(ADMIN, "Governance", admin=True)
    for i in range(USERS):
        standin.add_user(f"user{i:04d}")
    standin.start()
    try:
        return asyncio.run(_run(standin))
    finally:
        standin.stop()


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
