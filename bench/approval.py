"""One approval in the benchmark organisation: calls, seconds at a real server's latency, unrelated
changes, database transactions (issue 12).

The stand-in holds the benchmark organisation (500 working groups, 5,000 people) in sync, then 20
objects are changed by hand elsewhere (drift). A facilitator asks to add one existing person to
their group; an operator approves the plan shown. Counted from the click to "applied", with every
stand-in call answered after 40 ms (what an AppAPI-authenticated call costs on a real server).
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.engine import ADMIN, SEED, TODAY, USERS, build_org
from ex_app.main import build
from lib.core.changes import AddMember
from lib.core.compile import compile_org
from lib.core.model import Role, role_ref
from lib.core.policy import actor_for
from lib.core.request_kinds import AccessRequest, RequestLine, RequestState
from lib.nextcloud.factory import gateway_from_settings
from lib.services.governance import Governance
from lib.settings import Settings
from lib.store.counting import count_transactions
from tests.standin import StandIn

SECRET = secrets.token_urlsafe(32)
LATENCY = 0.040
DRIFTED = 20


def _drift(standin: StandIn, org: Any, rng: random.Random, avoid: str) -> None:
    """Hand-made changes in other groups and folders: people added, rights changed, ACL switched off."""
    gids = sorted(g for g in standin.groups if g.startswith("gt-") and avoid not in g)
    for i in range(DRIFTED):
        gid = rng.choice(gids)
        if i % 2:
            standin.groups[gid].add(f"user{rng.randrange(USERS):04d}")
        else:
            standin.groups[gid].clear()


async def _approve(standin: StandIn, gov: Governance) -> dict[str, dict[str, Any]]:
    org = gov.org()
    rng = random.Random(SEED)
    wg = next(
        w
        for w in org.working_groups
        if any(m.group == w.slug and m.role is Role.FACILITATOR for m in org.memberships)
    )
    facilitator = next(m.user for m in org.memberships if m.group == wg.slug and m.role is Role.FACILITATOR)
    operator = sorted(m.user for m in org.memberships if m.group == "operations")[0]
    members = {m.user for m in org.memberships if m.group == wg.slug}
    first, newcomer = [f"user{i:04d}" for i in range(USERS) if f"user{i:04d}" not in members][:2]
    _drift(standin, org, rng, wg.slug)
    asker = actor_for(org, facilitator, today=TODAY)
    approver = actor_for(gov.org(), operator, today=TODAY)

    async def ask(uid: str) -> AccessRequest:
        line = RequestLine(user=uid, role=Role.CONTRIBUTOR)
        return await gov.requests.submit(
            asker, kind="add_member", group=wg.slug, justification="bench", lines=[line]
        )

    # A server that has run a while: one approval first, not measured (statements compiled, names known)
    warm = await ask(first)
    assert warm.id is not None
    await gov.requests.approve(approver, warm.id, (await gov.requests.preview(warm)).checksum)
    req = await ask(newcomer)
    assert req.id is not None
    shown = await gov.requests.preview(req)  # the page the operator looked at
    standin.latency = LATENCY
    standin.reset_calls()
    approver = actor_for(gov.org(), operator, today=TODAY)  # the organisation with the first one in it
    applied_at: list[float] = []
    save = gov.requests.save

    def noting(new: AccessRequest, old: AccessRequest) -> AccessRequest:  # when the state says applied
        saved = save(new, old)
        if saved.state is RequestState.APPLIED:
            applied_at.append(time.perf_counter())
        return saved

    gov.requests.save = noting  # type: ignore[method-assign]
    with count_transactions(gov.engine) as counted:
        start = time.perf_counter()
        final = await gov.requests.approve(approver, req.id, shown.checksum)
        seconds = time.perf_counter() - start
    gov.requests.save = save  # type: ignore[method-assign]
    to_applied = applied_at[0] - start if applied_at else seconds
    nc_calls = [c for c in standin.calls if _reads_or_changes_access(*c)]
    standin.latency = 0.0
    wanted = AddMember(org.naming.gid(role_ref(wg.slug, Role.CONTRIBUTOR)), newcomer)
    unrelated = sum(1 for c in shown.changes if c != wanted)  # applied = shown (the checksum binds them)
    print(f"approval: {final.state.value}; {len(shown)} change(s) shown: {[str(c) for c in shown.changes]}")
    print("approval calls for access:", nc_calls)
    return {
        "approval_nc_calls": {
            "value": len(nc_calls),
            "unit": "calls reading or changing access (add one person)",
        },
        "approval_notification_calls": {
            "value": len(standin.calls) - len(nc_calls),
            "unit": "calls (withdraw the other operators' notifications, tell the people concerned)",
        },
        "approval_seconds_to_applied_40ms": {
            "value": round(to_applied, 3),
            "unit": "s (click to the request applied in Nextcloud and saved so, 40 ms a call)",
        },
        "approval_seconds_40ms": {
            "value": round(seconds, 3),
            "unit": "s (click to the answer, people told, 40 ms a call)",
        },
        "approval_unrelated_changes": {
            "value": unrelated,
            "unit": f"changes ({DRIFTED} drifted objects elsewhere)",
        },
        "approval_db_transactions": {
            "value": counted.writes,
            "unit": "write transactions (1 decision + 1 per change + final + notifications)",
        },
    }


def _reads_or_changes_access(method: str, path: str) -> bool:
    """Groups, folders and rules; not the notifications nor the names and languages they need."""
    if "notification" in path:
        return False
    return not (method == "GET" and re.fullmatch(r"/ocs/v[12]\.php/cloud/users/[^/]+", path))


def _seed(standin: StandIn, org: Any) -> None:
    """The stand-in in sync with the organisation, its state set directly (applying 29,000 changes
    through HTTP is what bench/sync.py measures; here only the approval is)."""
    desired = compile_org(org, ADMIN, TODAY)
    for gid, members in desired.groups.items():
        standin.add_group(gid, *sorted(members), display_name=desired.display_names.get(gid))
    for mount, want in desired.folders.items():
        folder = standin.new_folder(mount)
        folder.groups = dict(want.groups)
        folder.acl = want.acl
        folder.manage = sorted((m.mapping_type, m.mapping_id) for m in want.managers)
        for path, rules in want.rules.items():
            folder.add_path(path)
            folder.rules[path] = [
                (r.mapping_type, r.mapping_id, r.mask, r.permissions) for r in sorted(rules)
            ]


def run() -> dict[str, dict[str, Any]]:
    org = build_org(random.Random(SEED))
    standin = StandIn(app_secret=SECRET)
    standin.add_user(ADMIN, "Governance", admin=True)
    for i in range(USERS):
        standin.add_user(f"user{i:04d}")
    standin.start()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            _seed(standin, org)
            settings = Settings(
                app_secret=SECRET,
                nextcloud_url=standin.url,
                governance_admin_user=ADMIN,
                app_persistent_storage=Path(tmp),
                database_url=f"sqlite:///{tmp}/gov.sqlite3",
                governance_objection_days=0,
            )
            gov = build(settings, gateway_from_settings, today=lambda: TODAY)
            gov.migrate()
            gov.orgs.save(org)
            return asyncio.run(_approve(standin, gov))
        finally:
            standin.stop()


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure['value']} {figure['unit']}")
