"""The request workflow: facilitators ask, operations decide (page or notification), the app applies."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal, TypeVar

from babel.dates import format_date

from lib.core import codes
from lib.core import requests as machine
from lib.core.errors import GovernanceError, InvalidRequest, InvalidToken
from lib.core.faults import ConcurrentUpdate, StaleOrganisation
from lib.core.model import ADMIN_GROUP, Organisation, OrgGroup, Role
from lib.core.outcome import organisation_after
from lib.core.plan import Plan
from lib.core.policy import (
    Actor,
    can_accept_join,
    can_cancel,
    can_decide,
    can_object,
    can_request,
    can_see_decisions,
    can_view_request,
    can_view_stats,
    can_withdraw_invitation,
    require,
    steps,
)
from lib.core.request_checks import not_duplicate
from lib.core.request_kinds import (
    EVERY_GROUP,
    SYSTEM_ACTOR,
    AccessRequest,
    RequestKind,
    RequestLine,
    RequestState,
)
from lib.core.tokens import DecisionClaim, make_decision_token, read_decision_token
from lib.i18n import gettext
from lib.settings import Settings

from . import decision_links as links
from .context import Context
from .memo import Memo
from .notices import WHAT, Notice, Teller, rich_params
from .plan_text import PlanText, plan_text
from .sync import RequestView, StalePlan, SyncService

log = logging.getLogger(__name__)
T = TypeVar("T")
Decision = Literal["approve", "reject"]
DECIDE = "decide"  # purpose of the notifications that ask operators to decide


class UnknownRequest(GovernanceError):
    code = "request.not_found"

    def __init__(self) -> None:
        super().__init__("This request does not exist.")


class AlreadyDecided(GovernanceError):
    code = codes.REQUEST_CONCURRENT

    def __init__(self) -> None:
        super().__init__(codes.MESSAGES[codes.REQUEST_CONCURRENT])


class RequestService:
    def __init__(self, ctx: Context, sync: SyncService, clock: Callable[[], datetime] | None = None) -> None:
        self.ctx = ctx
        self.sync = sync
        self.repo = ctx.request_store
        self.now = clock or (lambda: datetime.now(UTC))
        self._with: Memo[Organisation] = Memo(8)
        self._key = hashlib.sha256(b"governance-links:" + ctx.settings.app_secret.encode()).digest()

    # ---- reading ----------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    def org(self) -> Organisation:
        return self.ctx.org()

    async def names(self, uids: set[str]) -> dict[str, str]:
        """Display names of the people a page about requests shows."""
        return await self.ctx.display_names(uids)

    def mine(self, actor: Actor) -> list[AccessRequest]:
        return self.repo.by_requester(actor.uid)

    def joins(self, actor: Actor) -> tuple[list[AccessRequest], list[AccessRequest]]:
        """Join requests waiting for a facilitator: those ``actor`` may accept (their queue), and
        for the operations team, the others (to see what awaits whom)."""
        now, waiting = self.now(), self.repo.in_states({RequestState.AWAITING_FACILITATOR})
        for_me = [r for r in waiting if steps(actor, r, now)["accept"]]
        return for_me, [r for r in waiting if actor.operates and r not in for_me]

    def to_decide(self, actor: Actor) -> list[AccessRequest]:
        """What waits for the operations team: new requests, and failed ones to retry."""
        require(can_see_decisions(actor))
        return self.repo.in_states({RequestState.PENDING, RequestState.FAILED})

    def waiting_for(self, slug: str) -> dict[str, list[AccessRequest]]:
        """Person (account or invited e-mail) -> the group's unfinished requests about them: shown
        beside them, as a new request about them would be refused while one waits (issue 15)."""
        found: dict[str, list[AccessRequest]] = {}
        unfinished = set(RequestState) - machine.FINAL_STATES
        for req in self.repo.for_group(slug, unfinished):
            for line in req.lines:
                found.setdefault(line.who, []).append(req)
        members = {m.user for m in self.ctx.org().members_of(slug)}
        for req in self.repo.for_group(EVERY_GROUP, unfinished):  # members leaving the association
            for user in req.people & members:
                found.setdefault(user, []).append(req)
        return found

    def open_to_objection(self, actor: Actor, slug: str) -> list[AccessRequest]:
        """The group's pending requests whose objection window is open, for its members."""
        if slug not in actor.member_of:
            return []
        now = self.now()
        return [r for r in self.repo.for_group(slug, {RequestState.PENDING}) if r.objection_open(now)]

    def leaving(self, uid: str) -> AccessRequest | None:
        """The unfinished request taking ``uid`` out of every group, if there is one."""
        unfinished = self.repo.for_group(EVERY_GROUP, set(RequestState) - machine.FINAL_STATES)
        return next((r for r in unfinished if uid in r.people), None)

    def history(self, actor: Actor) -> list[tuple[str, str, datetime, datetime]]:
        """(kind, state, created, updated) of every request, for the statistics."""
        require(can_view_stats(actor))
        return self.repo.all_rows()

    def get(self, rid: int) -> AccessRequest:
        found = self.repo.get(rid)
        if found is None:
            raise UnknownRequest()
        return found

    def shown(self, actor: Actor, rid: int) -> AccessRequest:
        """A request as its page shows it, to those it concerns (lib/core/policy.py ``can_view_request``)."""
        req = self.get(rid)
        require(can_view_request(actor, req))
        return req

    async def preview(self, req: AccessRequest) -> Plan:
        """The plan approving ``req`` would apply now (the page and the notification show it)."""
        return (await self.view(req)).plan

    async def preview_text(self, req: AccessRequest, lang: str) -> tuple[Plan, PlanText]:
        """The plan and its sentences for a reader of ``lang`` (the request page)."""
        view = await self.view(req)
        text = await plan_text(self.ctx, view.plan, view.actual, lang, org=view.after, owned=view.managed)
        return view.plan, text

    async def view(self, req: AccessRequest) -> RequestView:
        """The request's effect against what Nextcloud holds for the people and folders it touches."""
        org = self.ctx.org()
        return await self.sync.request_view(org, self.with_request(org, req))

    def with_request(self, org: Organisation, req: AccessRequest) -> Organisation:
        """``org`` with ``req`` applied, the same object while neither changes: its compiled state is
        then kept from the page that showed the plan to the click that approves it."""
        return self._with.get((org,), (req.id, req.version), lambda: organisation_after(org, req))

    # ---- submitting -------------------------------------------------------------------------------

    async def submit(
        self,
        actor: Actor,
        *,
        kind: RequestKind | str,
        group: str,
        justification: str,
        lines: Iterable[RequestLine] = (),
        new_group_name: str = "",
        purpose: str = "",
    ) -> AccessRequest:
        """One request, checked, stored, and announced to whoever decides next."""
        req = await self._checked(actor, kind, group, justification, tuple(lines), new_group_name, purpose)
        return await self._store(actor, req)

    async def submit_addition(
        self, actor: Actor, *, group: str, justification: str, lines: Iterable[RequestLine]
    ) -> list[AccessRequest]:
        """An addition of several people: one request for those who have an account, another for
        the invited ones. Approved, the first applies at once while the second waits for the
        accounts (issue 15: one invitation held everybody back). Both are checked before either
        is stored, so a refusal leaves nothing half-sent."""
        lines = tuple(lines)
        parts = [
            p for p in (tuple(ln for ln in lines if ln.user), tuple(ln for ln in lines if not ln.user)) if p
        ]
        kind = RequestKind.ADD_MEMBER
        checked = [await self._checked(actor, kind, group, justification, p, "", "") for p in parts or [()]]
        return [await self._store(actor, req) for req in checked]

    async def _checked(
        self,
        actor: Actor,
        kind: RequestKind | str,
        group: str,
        justification: str,
        lines: tuple[RequestLine, ...],
        new_group_name: str,
        purpose: str,
    ) -> AccessRequest:
        kind = RequestKind(kind) if kind in RequestKind._value2member_map_ else kind
        if not isinstance(kind, RequestKind):
            raise InvalidRequest("kind", "This kind of request does not exist.", "request.unknown_kind")
        require(can_request(actor, kind, group))
        leaving = kind is RequestKind.OFFBOARD  # an account Nextcloud lost still leaves its groups
        for line in lines:
            if line.user and not leaving and await self.ctx.gateway.get_user(line.user) is None:
                raise InvalidRequest(
                    "lines", "Nobody has the account “%(user)s”.", "request.unknown_user", {"user": line.user}
                )
        org = self.ctx.org()
        req = machine.submit(
            kind=kind,
            requester=actor.uid,
            group=group,
            justification=justification,
            now=self.now(),
            lines=lines,
            new_group_name=new_group_name,
            purpose=purpose,
            last_group=self._last_group(org, kind, group, lines),
            objection_days=self.ctx.settings.governance_objection_days,
        )
        organisation_after(
            org, req
        )  # refuses now what could never be applied (unknown group, not a member...)
        open_states = set(RequestState) - machine.FINAL_STATES
        others = self.repo.for_group(req.group, open_states)
        if req.group != EVERY_GROUP:  # a person who is leaving: no new request about them meanwhile
            others += self.repo.for_group(EVERY_GROUP, open_states)
        not_duplicate(req, others)  # one request per person at a time
        return req

    async def _store(self, actor: Actor, req: AccessRequest) -> AccessRequest:
        def record() -> AccessRequest:  # the request and its audit entry: both or neither
            added = self.repo.add(req)
            self._audit(actor.uid, "request.submitted", added)
            return added

        req = await self._write(record)
        if req.state is RequestState.PENDING:
            await self.notify_operators(req)
        else:
            await self._notify_facilitators(req)
        return req

    async def withdraw_invitation(self, actor: Actor, rid: int, email: str) -> AccessRequest:
        """Take an invited person out of a request; what is left is applied if it no longer waits."""
        req = self.get(rid)
        require(can_withdraw_invitation(actor, req))

        withdrawn = machine.withdraw_invitation(req, email, actor.uid, self.now())
        detail: dict[str, object] = {"email": email.strip()}
        changed = await self._record(req, withdrawn, actor.uid, "request.invitation_withdrawn", detail)
        if changed.state is RequestState.CANCELLED:
            await self._retract(changed)
        elif changed.state is RequestState.APPROVED:
            return await self.apply_approved(changed, actor.uid)
        return changed

    @staticmethod
    def _last_group(org: Organisation, kind: RequestKind, group: str, lines: tuple[RequestLine, ...]) -> bool:
        if kind is not RequestKind.REMOVE_MEMBER:
            return False
        slugs = {wg.slug for wg in org.working_groups}
        for line in lines:
            others = {m.group for m in org.memberships if m.user == line.user and m.group in slugs} - {group}
            if not others:
                return True
        return False

    # ---- deciding ---------------------------------------------------------------------------------

    async def approve(self, actor: Actor, rid: int, checksum: str, confirmed: bool = False) -> AccessRequest:
        """Approve exactly the plan shown (``checksum``) and apply it.

        The decision, the organisation with the request in it, the journal of the Nextcloud
        changes and the audit entries are committed in one transaction; the Nextcloud writes follow
        from the journal, so a crash leaves nothing or a journal that the next start finishes.
        """
        req = self.get(rid)
        require(can_decide(actor, req))
        approved = machine.approve(req, actor.uid, self.now(), checksum)  # refuses now what may not be
        if approved.state is RequestState.AWAITING_ACCOUNT:
            saved = await self._record(req, approved, actor.uid, "request.approved", {"checksum": checksum})
            await self._retract(saved)
            return saved

        def decide(r: AccessRequest) -> AccessRequest:
            return self.save(approved, r)

        try:
            return await self._commit_and_apply(
                req, actor.uid, decide, checksum=checksum, confirmed=confirmed
            )
        except (AlreadyDecided, StalePlan, InvalidRequest):
            self._decided_meanwhile(req, lambda now: machine.approve(now, actor.uid, self.now(), checksum))
            raise

    def _decided_meanwhile(self, read: AccessRequest, step: Callable[[AccessRequest], object]) -> None:
        """When another operator decided ``read`` between our reading and our commit, the refusal
        says so ("already approved by …", from the state machine) rather than what our late plan met
        (the person already in the group, another plan): seen with two operators clicking at once."""
        assert read.id is not None
        now = self.repo.get(read.id)
        if now is not None and now.version != read.version:
            step(now)  # raises IllegalTransition with the request's new state and who took it there

    async def apply_approved(self, req: AccessRequest, actor: str) -> AccessRequest:
        """Apply an approved request (an awaited account arrived, or a retry)."""
        return await self._commit_and_apply(req, actor, lambda r: r)

    async def _commit_and_apply(
        self,
        req: AccessRequest,
        actor: str,
        decide: Callable[[AccessRequest], AccessRequest],
        *,
        checksum: str | None = None,
        confirmed: bool = False,
    ) -> AccessRequest:
        for _ in range(5):  # someone saved the organisation meanwhile: plan again on theirs
            try:
                decided, applying, run_id = await self._commit(req, actor, decide, checksum, confirmed)
                break
            except StaleOrganisation:
                continue
        else:
            raise AlreadyDecided()
        if decided is req:
            return await self._run(applying, actor, run_id)
        # the other operators' notifications go while Nextcloud is changed: neither waits for the other
        # and the names and languages of the people to tell afterwards are asked meanwhile too
        told = self.ctx.people({decided.requester, *decided.people})
        _, _, final = await asyncio.gather(self._retract(decided), told, self._run(applying, actor, run_id))
        return final

    async def settle_interrupted(self) -> list[AccessRequest]:
        """Requests left "applying" by a process that stopped: applied once their journal run is
        done (resume_unfinished finished it), failed (and retryable) when it stopped on an error.
        A run still running belongs to a live process, or is resumed first (background.py); a run
        applied by a live process (busy: its heartbeat is fresh) is settled by that process."""
        return await asyncio.to_thread(self._settle_interrupted)  # the database, off the event loop

    def _settle_interrupted(self) -> list[AccessRequest]:
        settled = []
        for req in self.repo.in_states({RequestState.APPLYING}):
            assert req.id is not None
            if self.ctx.journal.busy(req.id):
                continue
            run_id = self.ctx.journal.open_run_of(req.id)
            status = self.ctx.journal.run_status(run_id) if run_id else "done"
            if status == "running":
                continue
            try:
                with self.ctx.unit():
                    if status == "done":
                        final = self.save(machine.mark_applied(req, SYSTEM_ACTOR, self.now()), req)
                        self._audit(SYSTEM_ACTOR, "request.applied", final)
                    else:
                        error = "applying stopped; try again"
                        final = self.save(machine.mark_failed(req, SYSTEM_ACTOR, self.now(), error), req)
                        self._audit(SYSTEM_ACTOR, "request.failed", final, {"error": error})
            except AlreadyDecided:  # the process applying it finished it meanwhile
                continue
            settled.append(final)
        return settled

    async def _commit(
        self,
        req: AccessRequest,
        actor: str,
        decide: Callable[[AccessRequest], AccessRequest],
        checksum: str | None,
        confirmed: bool,
    ) -> tuple[AccessRequest, AccessRequest, str]:
        """Plan the request on the organisation as it is now and commit it (SyncService.commit)."""
        self.ctx.orgs.begin_request()
        version = self.ctx.orgs.version()
        org = self.ctx.org()
        after = self.with_request(org, req)
        view = await self.sync.request_view(org, after)
        if checksum is not None and view.plan.checksum != checksum:
            raise StalePlan(checksum, view.plan.checksum)
        steps: list[AccessRequest] = []

        def within(_version: int) -> None:
            decided = decide(req)
            applying = self.save(machine.start_applying(decided, actor, self.now()), decided)
            if decided is not req:
                detail: dict[str, object] = {"plan": view.plan.counts(), "checksum": view.plan.checksum}
                self._audit(actor, "request.approved", decided, detail)
            self._audit(actor, "request.applying", applying)
            steps[:] = [decided, applying]

        run_id = await self.sync.commit(
            actor, after, version, view, within=within, request_id=req.id, confirmed=confirmed
        )
        return steps[0], steps[1], run_id

    async def _run(
        self, applying: AccessRequest, actor: str, run_id: str, *, again: bool = False
    ) -> AccessRequest:
        """The Nextcloud writes of a committed request (``again``: of a stopped run, retried), then
        its final state."""
        try:
            result = await self.sync.run(run_id, actor, applying.id, again=again)
            ok, error = result.ok, result.error or ""
        except Exception as exc:  # Nextcloud unreachable after retries: the journal keeps the run
            log.warning("applying request %s failed: %s", applying.id, exc)
            ok, error = False, str(exc)
        if ok:
            applied = machine.mark_applied(applying, actor, self.now())
            final = await self._record(applying, applied, actor, "request.applied")
            await self._notify_outcome(final)
        else:
            failed = machine.mark_failed(applying, actor, self.now(), error)
            final = await self._record(applying, failed, actor, "request.failed", {"error": error})
            await self._notify_failure(final)
        return final

    async def reject(self, actor: Actor, rid: int, reason: str) -> AccessRequest:
        req = self.get(rid)
        decide = (
            can_accept_join(actor, req)
            if req.state is RequestState.AWAITING_FACILITATOR
            else can_decide(actor, req)
        )
        require(decide)

        rejecting = machine.reject(req, actor.uid, self.now(), reason)
        try:
            rejected = await self._record(
                req, rejecting, actor.uid, "request.rejected", {"reason": rejecting.reason}
            )
        except AlreadyDecided:
            self._decided_meanwhile(req, lambda now: machine.reject(now, actor.uid, self.now(), reason))
            raise
        await self._retract(rejected)
        await self._notify_outcome(rejected)
        return rejected

    async def cancel(self, actor: Actor, rid: int) -> AccessRequest:
        req = self.get(rid)
        require(can_cancel(actor, req))

        cancelled = await self._record(
            req, machine.cancel(req, actor.uid, self.now()), actor.uid, "request.cancelled"
        )
        await self._retract(cancelled)
        return cancelled

    async def accept_join(self, actor: Actor, rid: int) -> AccessRequest:
        req = self.get(rid)
        require(can_accept_join(actor, req))
        accepting = machine.facilitator_accept(req, actor.uid, self.now())
        accepted = await self._record(req, accepting, actor.uid, "request.accepted_by_facilitator")
        await self.notify_operators(accepted)
        return accepted

    async def object_to(self, actor: Actor, rid: int, reason: str) -> AccessRequest:
        req = self.get(rid)
        require(can_object(actor, req, self.now()))
        objecting = machine.object_to(req, actor.uid, self.now(), reason)
        objected = await self._record(req, objecting, actor.uid, "request.objection", {"reason": reason})
        await self.notify_operators(objected)
        return objected

    async def retry(self, actor: Actor, rid: int) -> AccessRequest:
        """A failed request: its journal run goes on where it stopped (its changes were approved),
        without those the organisation no longer wants (an operator revoked them meanwhile)."""
        req = self.get(rid)
        require(can_decide(actor, req))

        def record() -> tuple[AccessRequest, str | None]:
            run_id = self.ctx.journal.open_run_of(rid)
            again = self.save(machine.retry(req, actor.uid, self.now()), req)
            if run_id is None:
                return again, None
            with self.ctx.unit():
                applying = self.save(machine.start_applying(again, actor.uid, self.now()), again)
                self._audit(actor.uid, "request.applying", applying, {"run_id": run_id})
            return applying, run_id

        retried, run_id = await asyncio.to_thread(record)  # the database, off the event loop
        if run_id is None:  # stopped before its journal was written: plan and apply it now
            return await self.apply_approved(retried, actor.uid)
        return await self._run(retried, actor.uid, run_id, again=True)

    async def _record(
        self,
        old: AccessRequest,
        new: AccessRequest,
        actor: str,
        action: str,
        detail: dict[str, object] | None = None,
    ) -> AccessRequest:
        """``new`` saved over ``old`` with its audit entry (``action``, ``detail``): both or neither,
        in a worker thread. AlreadyDecided when someone saved the request meanwhile."""

        def record() -> AccessRequest:
            saved = self.save(new, old)
            self._audit(actor, action, saved, detail)
            return saved

        return await self._write(record)

    async def _write(self, work: Callable[[], T]) -> T:
        """``work`` (database writes, in one unit of work) in a worker thread: the event loop keeps
        answering other requests and AppAPI's heartbeat while the database commits."""

        def in_one_unit() -> T:
            with self.ctx.unit():
                return work()

        return await asyncio.to_thread(in_one_unit)

    def save(self, new: AccessRequest, old: AccessRequest) -> AccessRequest:
        try:
            return self.repo.save(new, old.version)
        except ConcurrentUpdate:
            raise AlreadyDecided() from None

    # ---- deciding from a notification link --------------------------------------------------------

    def decision_link(self, operator: str, req: AccessRequest, decision: Decision, checksum: str) -> str:
        expires = int(self.now().timestamp()) + self.ctx.settings.governance_link_ttl
        assert req.id is not None
        token = make_decision_token(
            self._key, operator, req.id, decision, checksum, expires, secrets.token_urlsafe(12)
        )
        return f"{self.ctx.settings.proxy_url}/actions/{decision}/{req.id}?t={token}"

    async def decide_from_link(self, actor: Actor, decision: str, rid: int, token: str) -> links.LinkOutcome:
        """A click on Approve or Reject in a notification: this operator, this request, this plan.

        Approve decides at once; Reject only checks the link and asks for the reason
        (:meth:`reject_from_link`). The link is consumed only when the decision is taken: clicked
        during the objection window, refused, or stale, it decides nothing and stays usable.
        """
        opened = await self._open_link(actor, decision, rid, token)
        if isinstance(opened, links.LinkOutcome):
            return opened
        claim, req = opened
        if decision == "reject":
            return links.LinkOutcome(links.LinkResult.REASON_NEEDED, req)
        try:  # approving reads Nextcloud again: changes other than the link's are refused as stale
            approved = await self.approve(actor, rid, claim.plan_checksum)
        except GovernanceError as exc:
            return links.refusal(exc, self.repo.get(rid))
        await asyncio.to_thread(self.repo.use_nonce, claim.nonce)
        return links.LinkOutcome(links.LinkResult.APPROVED, approved)

    async def reject_from_link(self, actor: Actor, rid: int, token: str, reason: str) -> links.LinkOutcome:
        """The reason form a Reject link opens, posted back with the link's token.

        The token is this POST's CSRF protection: a plain form cannot send the page's CSRF header,
        and the token is signed by the app, bound to this operator and this request, and single use.
        It is checked as on the click and consumed only once the rejection is saved, so a refused
        reason keeps the form usable.
        """
        opened = await self._open_link(actor, "reject", rid, token)
        if isinstance(opened, links.LinkOutcome):
            return opened
        claim, req = opened
        try:
            rejected = await self.reject(actor, rid, reason)
        except InvalidRequest as exc:
            if exc.field != "reason":
                return links.refusal(exc, self.repo.get(rid))
            return links.LinkOutcome(links.LinkResult.REASON_NEEDED, req, exc, reason=reason)
        except GovernanceError as exc:
            return links.refusal(exc, self.repo.get(rid))
        await asyncio.to_thread(self.repo.use_nonce, claim.nonce)
        return links.LinkOutcome(links.LinkResult.REJECTED, rejected)

    async def _open_link(
        self, actor: Actor, decision: str, rid: int, token: str
    ) -> links.LinkOutcome | tuple[DecisionClaim, AccessRequest]:
        """The link's claim and its request, or why the link cannot take its decision now."""
        now = self.now()
        try:
            claim = read_decision_token(self._key, token, int(now.timestamp()))
        except InvalidToken as exc:
            return links.token_refusal(exc, self.repo.get(rid))
        req = self.repo.get(rid)
        refused = links.precheck(claim, actor, decision, rid, req, self.repo.nonce_used(claim.nonce), now)
        if refused is not None or req is None:
            return refused or links.LinkOutcome(links.LinkResult.INVALID)
        return claim, req

    # ---- notifications ----------------------------------------------------------------------------

    async def language_of(self, uid: str) -> str:
        info = (await self.ctx.people([uid])).get(uid)
        lang = (info.language if info else "")[:2]
        return lang if lang in ("en", "fr") else "en"

    def _operators(self, org: Organisation) -> list[str]:
        return sorted({m.user for m in org.memberships if m.group == OrgGroup.OPERATIONS})

    async def kept_outside(self, req: AccessRequest) -> list[str]:
        """For an offboarding, the Nextcloud groups the person stays in because the app does not
        manage them (adopted Nextcloud often has some): the decider reads that this access stays."""
        if req.kind is not RequestKind.OFFBOARD:
            return []
        info = await self.ctx.gateway.get_user(req.lines[0].user)
        return self.sync.outside(info.groups) if info else []

    async def _deciders(self, org: Organisation, req: AccessRequest) -> list[str]:
        """The operators who may decide ``req`` (nobody decides their own request, nor one about
        themselves); when there is none, Nextcloud's administrators, who may decide too: a request
        from the only operator would otherwise wait without anybody being told (seen on a real
        Nextcloud). The app's own account is no person to tell."""
        mine = {req.requester, *req.people}
        found = [op for op in self._operators(org) if op not in mine]
        if found:
            return found
        try:
            admins = await self.ctx.gateway.group_members(ADMIN_GROUP)
        except Exception as exc:  # nobody to tell is better than a request lost
            log.warning("could not read Nextcloud's administrators: %s", exc)
            return []
        return sorted(set(admins) - mine - {self.ctx.settings.governance_admin_user})

    async def notify_operators(self, req: AccessRequest) -> None:
        """One notification per operator (AppAPI notifies the impersonated user: NEXTCLOUD.md §3.1),
        each telling, in the operator's language, who asks what for whom, why, until when, and
        every change approval makes in Nextcloud."""
        assert req.id is not None
        org = self.ctx.org()
        try:
            view: RequestView | None = await self.view(req)
        except GovernanceError:
            view = None
        page = f"{self.ctx.settings.page_url}/requests/{req.id}"
        kept = await self.kept_outside(req)
        for op in await self._deciders(org, req):
            try:
                object_id = await self._ask_operator(op, req, view, page, kept)
            except Exception as exc:  # a missed notification must not lose the request
                log.warning("could not notify %s of request %s: %s", op, req.id, exc)
                continue
            await asyncio.to_thread(self.repo.record_notification, req.id, op, object_id, DECIDE)

    async def _ask_operator(
        self, op: str, req: AccessRequest, view: RequestView | None, page: str, kept: list[str]
    ) -> str:
        """One operator's notification, in their language, with single-use decision links."""
        lang = await self.language_of(op)
        plan = view.plan if view else Plan()
        text = (
            await plan_text(self.ctx, plan, view.actual, lang, org=view.after, owned=view.managed)
            if view
            else PlanText(())
        )

        def _(message: str, **params: object) -> str:
            return gettext(lang, message, **params)

        def link(decision: Decision, name: str) -> dict[str, str]:
            target = self.decision_link(op, req, decision, plan.checksum)
            return {"type": "highlight", "id": f"{decision}-{req.id}", "name": name, "link": target}

        names = await self.ctx.display_names({req.requester, *req.people})
        wg = self.ctx.org().group(req.group)
        group_name = req.new_group_name or (wg.name if wg else req.group)
        params = {
            "requester": {"type": "user", "id": req.requester, "name": names[req.requester]},
            "group": {"type": "highlight", "id": req.group, "name": group_name},
            "open": {"type": "highlight", "id": f"open-{req.id}", "name": _("Open"), "link": page},
            "reject": link("reject", _("Reject")),
        }
        asks = _("{requester} asks: %(what)s in {group}", what=_(self._what(req)))
        if req.kind is RequestKind.OFFBOARD:  # every group: none to name, the person instead
            leaving = req.lines[0].user
            del params["group"]
            params["person"] = {"type": "user", "id": leaving, "name": names.get(leaving, leaving)}
            asks = _("{requester} asks to remove {person} from every group (leaving the association)")
        if text.needs_confirmation:  # confirmed on the page, after reading who gains and who loses
            subject = asks + " — {open} · {reject}"
        else:
            params["approve"] = link("approve", _("Approve"))
            subject = asks + " — {open} · {approve} · {reject}"
        parts = [_("Why: %(justification)s", justification=req.justification)]
        for line in req.lines:
            if line.until:
                when = format_date(line.until, format="long", locale=lang)
                person = names.get(line.user, line.who) if line.user else line.who
                parts.append(_("%(person)s until %(date)s", person=person, date=when))
        if text.lines:
            parts.append(_("In Nextcloud: %(changes)s", changes="; ".join(text.lines)))
        if text.needs_confirmation:
            parts.append(_("To confirm on the page: %(concerns)s", concerns="; ".join(text.concerns)))
        if kept:
            parts.append(
                _("Stays in Nextcloud groups Governance does not manage: %(groups)s", groups=", ".join(kept))
            )
        return await self.ctx.gateway.notify(op, subject, params, " — ".join(parts)[:3900], page)

    @staticmethod
    def _what(req: AccessRequest) -> str:
        return WHAT[req.kind]

    async def _notify_simple(
        self, users: Iterable[str], req: AccessRequest, compose: Callable[[Teller, str], Notice | None]
    ) -> None:
        """Each of ``users`` told, in their own language, what ``compose`` says concerns them."""
        page = f"{self.ctx.settings.page_url}/requests/{req.id}"
        everyone = {*users, req.requester, *req.people, *([req.decided_by] if req.decided_by else [])}
        names = await self.ctx.display_names(everyone)  # one round for names and languages
        wg = self.ctx.org().group(req.group)
        rich = rich_params(req, names, req.new_group_name or (wg.name if wg else req.group), page)

        async def tell(uid: str) -> None:
            notice = compose(Teller(await self.language_of(uid), names), uid)
            if notice is None:
                return
            used = {k: v for k, v in rich.items() if "{" + k + "}" in notice.subject}
            try:
                await self.ctx.gateway.notify(uid, notice.subject, used, notice.message[:3900], page)
            except Exception as exc:
                log.warning("could not notify %s: %s", uid, exc)

        await asyncio.gather(*(tell(uid) for uid in sorted(set(users))))

    async def _notify_outcome(self, req: AccessRequest) -> None:
        await self._notify_simple({req.requester} | set(req.people), req, lambda t, uid: t.outcome(req, uid))

    async def _notify_failure(self, req: AccessRequest) -> None:
        ops = self._operators(self.ctx.org())
        await self._notify_simple(ops, req, lambda t, _uid: t.failure(req))

    async def _notify_facilitators(self, req: AccessRequest) -> None:
        facs = {m.user for m in self.ctx.org().members_of(req.group) if m.role is Role.FACILITATOR}
        await self._notify_simple(facs - {req.requester}, req, lambda t, _uid: t.join_asked(req))

    async def _retract(self, req: AccessRequest) -> None:
        """Once decided, the other operators' notifications go (NEXTCLOUD.md §3.4)."""
        assert req.id is not None
        gone: list[int] = []
        limit = asyncio.Semaphore(16)

        async def withdraw(row_id: int, uid: str, object_id: str) -> None:
            async with limit:
                try:
                    await self.ctx.gateway.delete_notification(uid, object_id)
                    gone.append(row_id)
                except Exception as exc:
                    log.warning("could not delete notification of %s: %s", uid, exc)

        live = await asyncio.to_thread(self.repo.live_notifications, req.id, DECIDE)
        await asyncio.gather(*(withdraw(*row) for row in live))
        if gone:

            def deleted() -> None:  # one transaction for all of them
                for row_id in gone:
                    self.repo.notification_deleted(row_id)

            await self._write(deleted)

    def _audit(
        self, actor: str, action: str, req: AccessRequest, extra: dict[str, object] | None = None
    ) -> None:
        detail: dict[str, object] = {
            "kind": req.kind.value,
            "group": req.group,
            "state": req.state.value,
            "people": sorted(ln.who for ln in req.lines),
            "justification": req.justification,
        }
        self.ctx.audit.append(actor, action, f"request:{req.id}", {**detail, **(extra or {})})
