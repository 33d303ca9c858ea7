"""A plan told to one reader: every change as a sentence, and what needs a confirmation and why."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lib.core.changes import AddMember, Change, RemoveMember, SetAclManager, SetAclRules
from lib.core.model import Organisation
from lib.core.plan import Plan
from lib.core.safety import concerns, impacts
from lib.core.state import NextcloudState
from lib.core.wording import Words
from lib.i18n import say

from .context import Context


@dataclass(frozen=True)
class PlanText:
    """What the page and the notification show of a plan, in the reader's language."""

    lines: tuple[str, ...]
    concerns: tuple[str, ...] = ()  # non-empty: an operator must tick "I confirm" to apply
    impacts: tuple[str, ...] = ()  # who gains and who loses access, when a confirmation is needed

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.concerns)


def _people(changes: Iterable[Change], actual: NextcloudState) -> set[str]:
    uids: set[str] = set()
    for c in changes:
        if isinstance(c, AddMember | RemoveMember):
            uids.add(c.uid)
        elif isinstance(c, SetAclManager) and c.mapping_type == "user":
            uids.add(c.mapping_id)
        elif isinstance(c, SetAclRules):
            uids.update(r.mapping_id for r in c.rules if r.mapping_type == "user")
    return uids


async def plan_text(
    ctx: Context,
    plan: Plan,
    actual: NextcloudState,
    lang: str,
    limit: int | None = None,
    *,
    org: Organisation | None = None,
    owned: Callable[[str], bool] = lambda gid: True,
) -> PlanText:
    """``plan`` in words for a reader of ``lang`` (people by display name, groups by role); the
    first ``limit`` changes only, where a page shows a long plan in part (the concerns see all).
    ``org``: the organisation that names the groups (a new one being previewed), else the stored one."""
    found = concerns(plan.changes, actual, owned)
    gained_lost = impacts(plan.changes, actual) if found else ()
    shown = plan.changes[:limit]
    uids = _people(shown, actual) | {i.who for i in gained_lost[:200] if not i.who.startswith("@")}
    words = Words(org or ctx.org(), await ctx.display_names(uids))
    return PlanText(
        tuple(say(lang, words.change(c)) for c in shown),
        tuple(say(lang, words.concern(c)) for c in found),
        tuple(say(lang, words.impact(i)) for i in gained_lost[:200]),
    )
