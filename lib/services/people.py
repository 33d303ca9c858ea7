"""Finding people in Nextcloud for the pages: the search as you type, a person's account, the person
an explanation is asked about.

Nextcloud's user list is read as the app's admin account, so it would show every account to anyone:
what each role may see of it is decided here (lib/core/policy.py), not left to the routes.
"""

from __future__ import annotations

from dataclasses import replace

from lib.core.explain import Person, find_person
from lib.core.policy import Actor, can_search_people, can_view_person, require, sees_emails
from lib.core.ports import UserInfo

from .context import Context

SHOWN = 10  # accounts offered as you type


class PeopleService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def search(self, actor: Actor, query: str) -> list[UserInfo]:
        """Accounts matching ``query``: facilitators and operations search every account (to add
        someone new), the board only the organisation's people; only operations see e-mail addresses."""
        require(can_search_people(actor))
        query = query.strip()
        found = await self.ctx.gateway.search_users(query, limit=SHOWN) if query else []
        if not (actor.facilitates or actor.operates):
            org = self.ctx.org()
            found = [u for u in found if org.memberships_of(u.uid)]
        return found if sees_emails(actor) else [replace(u, email="") for u in found]

    async def account(self, actor: Actor, uid: str) -> UserInfo | None:
        """The account of a person whose page ``actor`` may see (None: Nextcloud has no such account)."""
        require(can_view_person(actor, uid))
        return await self.ctx.gateway.get_user(uid)

    async def named(self, actor: Actor, typed: str) -> tuple[Person, ...]:
        """The accounts ``typed`` names: an account id, a display name or (for those who see e-mail
        addresses) an e-mail address (lib/core/explain.py ``find_person``)."""
        gateway = self.ctx.gateway
        found = [await gateway.get_user(typed), *await gateway.search_users(typed, limit=SHOWN)]
        emails = sees_emails(actor)
        people = [Person(u.uid, u.display_name, u.email if emails else "") for u in found if u is not None]
        return find_person(typed, people)
