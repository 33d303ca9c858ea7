"""Benchmark of the pure access engine: compile + plan on a large, seeded organisation.

500 working groups, 5,000 users, 20,000 memberships, 2,000 sub-path grants. Two runs:
against an empty Nextcloud (everything to create) and against the desired state with 50
random hand-made changes (the everyday case). ``plan_seconds`` is the worse of the two
(best of 3 repetitions each); peak memory is measured in a separate traced run, because
tracemalloc slows the code it watches.
"""

from __future__ import annotations

import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from typing import Any

from lib.core.compile import compile_org
from lib.core.model import Grant, Membership, Organisation, OrgGroup, Right, Role, WorkingGroup, role_ref
from lib.core.plan import copy_state, plan
from lib.core.state import AclRule, NextcloudState

SEED = 20250601
TODAY = date(2025, 6, 1)
ADMIN = "governance-admin"
WORKING_GROUPS, USERS, MEMBERSHIPS, SUB_PATH_GRANTS, DRIFT_CHANGES = 500, 5_000, 20_000, 2_000, 50
ROLE_WEIGHTS = {Role.FACILITATOR: 5, Role.CONTRIBUTOR: 60, Role.READER: 25, Role.STEERING: 10}
PATHS = ("Interne", "Interne/RH", "Compta", "Compta/2025", "Archives", "Public", "Copil", "Copil/PV")


def build_org(rng: random.Random) -> Organisation:
    slugs = [f"wg-{i:03d}" for i in range(WORKING_GROUPS)]
    users = [f"user{i:04d}" for i in range(USERS)]
    grants: dict[str, list[Grant]] = {slug: [] for slug in slugs}
    for _ in range(SUB_PATH_GRANTS):
        slug = rng.choice(slugs)
        group = rng.choice([role_ref(slug, rng.choice(list(Role))), OrgGroup.ALL.value, OrgGroup.BOARD.value])
        grants[slug].append(Grant(group, rng.choice(list(Right)), rng.choice(PATHS)))
    for _ in range(WORKING_GROUPS // 2):  # other groups reading a folder, as "Sport" reads "CommExterne"
        slug, other = rng.sample(slugs, 2)
        grants[slug].append(Grant(role_ref(other, Role.CONTRIBUTOR), Right.CONSULT))
    groups = tuple(WorkingGroup(s, f"Groupe {s}", grants=tuple(grants[s])) for s in slugs)
    return Organisation("Bench", groups, _memberships(rng, slugs, users))


def _memberships(rng: random.Random, slugs: list[str], users: list[str]) -> tuple[Membership, ...]:
    found: set[Membership] = {Membership(OrgGroup.MEMBERS.value, u) for u in users[:800]}
    found.update(Membership(OrgGroup.BOARD.value, u) for u in users[800:830])
    found.update(Membership(OrgGroup.OPERATIONS.value, u) for u in users[830:840])
    roles, weights = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    while len(found) < MEMBERSHIPS:
        until = TODAY.replace(year=2024) if rng.random() < 0.02 else None
        role = rng.choices(roles, weights)[0]
        found.add(Membership(rng.choice(slugs), rng.choice(users), role, until))
    return tuple(sorted(found, key=lambda m: (m.group, m.user, m.role or "")))


def drifted(desired: NextcloudState, rng: random.Random) -> NextcloudState:
    """``desired`` with DRIFT_CHANGES random hand-made changes."""
    actual = copy_state(desired)
    gids = sorted(actual.groups)
    mounts = sorted(actual.folders)
    edits: list[Callable[[], None]] = [
        lambda: actual.groups[rng.choice(gids)].add(f"stranger{rng.randrange(100)}"),
        lambda: _discard_any(actual.groups[rng.choice(gids)], rng),
        lambda: _change_permission(actual, rng.choice(mounts), rng),
        lambda: _drop_rules(actual, rng.choice(mounts), rng),
        lambda: (
            actual.folders[rng.choice(mounts)]
            .rules.setdefault("Hand", set())
            .add(AclRule("group", rng.choice(gids), 31, 0))
        ),
    ]
    for _ in range(DRIFT_CHANGES):
        rng.choice(edits)()
    return actual


def _discard_any(members: set[str], rng: random.Random) -> None:
    if members:
        members.discard(rng.choice(sorted(members)))


def _change_permission(state: NextcloudState, mount: str, rng: random.Random) -> None:
    groups = state.folders[mount].groups
    groups[rng.choice(sorted(groups))] = rng.choice((1, 15, 31))


def _drop_rules(state: NextcloudState, mount: str, rng: random.Random) -> None:
    rules = state.folders[mount].rules
    if rules:
        rules.pop(rng.choice(sorted(rules)))


def managed_by(org: Organisation) -> Callable[[str], bool]:
    org_gids = set(org.naming.org_groups.values())
    return lambda gid: gid.startswith("gt-") or gid in org_gids


def compile_and_plan(org: Organisation, actual: NextcloudState) -> int:
    desired = compile_org(org, ADMIN, TODAY)
    return len(plan(desired, actual, managed_by(org)))


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def run() -> dict[str, dict[str, Any]]:
    rng = random.Random(SEED)
    org = build_org(rng)
    empty = NextcloudState()
    actual = drifted(compile_org(org, ADMIN, TODAY), rng)
    from_empty = best_of(3, lambda: compile_and_plan(org, empty))
    from_drift = best_of(3, lambda: compile_and_plan(org, actual))
    tracemalloc.start()
    compile_and_plan(org, empty)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "plan_seconds": {"value": round(max(from_empty, from_drift), 4), "unit": "s"},
        "plan_empty_seconds": {"value": round(from_empty, 4), "unit": "s"},
        "plan_drifted_seconds": {"value": round(from_drift, 4), "unit": "s"},
        "plan_changes_empty": {"value": compile_and_plan(org, empty), "unit": "changes"},
        "plan_changes_drifted": {"value": compile_and_plan(org, actual), "unit": "changes"},
        "peak_memory_mb": {"value": round(peak / 2**20, 1), "unit": "MB"},
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
