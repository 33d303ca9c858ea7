"""The request workflow: facilitators ask, operations decide (page or notification), the app applies."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal

from lib.core import requests as machine
from lib.core.errors import GovernanceError, InvalidRequest, InvalidToken
from lib.core.expiry import apply_request
from lib.core.model import Organisation, OrgGroup, Role
from lib.core.plan import Plan
from lib.core.policy import Actor, can_accept_join, can_cancel, can_decide, can_object, can_request, require
from lib.core.request_kinds import AccessRequest, RequestKind, RequestLine, RequestState
from lib.core.tokens import check_claim, make_decision_token, read_decision_token
from lib.i18n import gettext
from lib.store.org_repo import StaleOrganisation
from lib.store.requests_repo import ConcurrentUpdate, RequestRepository

from .governance import Governance
from .sync import StalePlan, SyncService

log = logging.getLogger(__name__)
Decision = Literal["approve", "reject"]
DECIDE = "decide"  # purpose of the notifications that ask operators to decide


class NotFound(GovernanceError):
    code = "request.not_found"

    def __init__(self) -> None:
        super().__init__("This request does not exist.")


class AlreadyDecided(GovernanceError):
    code = "request.concurrent"

    def __init__(self) -> None:
        super().__init__("Someone else decided this request at the same moment. Reload to see the outcome.")


class RequestService:
    def __init__(self, gov: Governance, clock: Callable[[], datetime] | None = None) -> None:
        self.gov = gov
        self.sync = SyncService(gov)
        self.repo = RequestRepository(gov.engine)
        self.now = clock or (lambda: datetime.now(UTC))
        self._key = hashlib.sha256(b"governance-links:" + gov.settings.app_secret.encode()).digest()

    # ---- reading ----------------------------------------------------------------------------------

    def get(self, rid: int) -> AccessRequest:
        found = self.repo.get(rid)
        if found is None:
            raise NotFound()
        return found

    async def preview(self, req: AccessRequest) -> Plan:
        """The plan approving ``req`` would apply now (the page and the notification show it)."""
        return await self.sync.preview(apply_request(self.gov.org(), req))

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
        kind = RequestKind(kind) if kind in RequestKind._value2member_map_ else kind
        if not isinstance(kind, RequestKind):
            raise InvalidRequest("kind", "request.unknown_kind", "Unknown kind of request.")
        require(can_request(actor, kind, group))
        lines = tuple(lines)
        for line in lines:
            if line.user and await self.gov.gateway.get_user(line.user) is None:
                raise InvalidRequest("lines", "request.unknown_user", f"No Nextcloud account '{line.user}'.")
        org = self.gov.org()
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
            objection_days=self.gov.settings.governance_objection_days,
        )
        apply_request(org, req)  # refuses now what could never be applied (unknown group, not a member...)
        req = self.repo.add(req)
        self._audit(actor.uid, "request.submitted", req)
        if req.state is RequestState.PENDING:
            await self.notify_operators(req)
        else:
            await self._notify_facilitators(req)
        return req

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

    async def approve(
        self, actor: Actor, rid: int, checksum: str, current: Plan | None = None
    ) -> AccessRequest:
        """Approve and apply; ``current`` is the plan just computed by the caller, if any (one read less)."""
        req = self.get(rid)
        require(can_decide(actor, req))
        current = current or await self.preview(req)
        if current.checksum != checksum:
            raise StalePlan(checksum, current.checksum)
        approved = self.save(machine.approve(req, actor.uid, self.now(), checksum), req)
        self._audit(actor.uid, "request.approved", approved, {"plan": current.counts(), "checksum": checksum})
        await self._retract(approved)
        if approved.state is RequestState.AWAITING_ACCOUNT:
            return approved
        return await self.apply_approved(approved, actor.uid)

    async def apply_approved(self, req: AccessRequest, actor: str) -> AccessRequest:
        applying = self.save(machine.start_applying(req, actor, self.now()), req)
        org = self._save_org(applying)
        try:
            _plan, result = await self.sync.apply(actor, org=org, request_id=applying.id)
            ok, error = result.ok, result.error or ""
        except Exception as exc:  # Nextcloud unreachable after retries: the journal keeps the run
            log.warning("applying request %s failed: %s", applying.id, exc)
            ok, error = False, str(exc)
        if ok:
            final = self.save(machine.mark_applied(applying, actor, self.now()), applying)
            self._audit(actor, "request.applied", final)
            await self._notify_outcome(final)
        else:
            final = self.save(machine.mark_failed(applying, actor, self.now(), error), applying)
            self._audit(actor, "request.failed", final, {"error": error})
            await self._notify_failure(final)
        return final

    def _save_org(self, req: AccessRequest) -> Organisation:
        """The organisation with the request in it; re-read and retried if someone saved meanwhile."""
        for _ in range(5):
            version = self.gov.orgs.version()
            org = apply_request(self.gov.org(), req)
            try:
                self.gov.orgs.save(org, expected_version=version)
                return org
            except StaleOrganisation:
                continue
        raise AlreadyDecided()

    async def reject(self, actor: Actor, rid: int, reason: str) -> AccessRequest:
        req = self.get(rid)
        decide = (
            can_accept_join(actor, req)
            if req.state is RequestState.AWAITING_FACILITATOR
            else can_decide(actor, req)
        )
        require(decide)
        rejected = self.save(machine.reject(req, actor.uid, self.now(), reason), req)
        self._audit(actor.uid, "request.rejected", rejected, {"reason": rejected.reason})
        await self._retract(rejected)
        await self._notify_outcome(rejected)
        return rejected

    async def cancel(self, actor: Actor, rid: int) -> AccessRequest:
        req = self.get(rid)
        require(can_cancel(actor, req))
        cancelled = self.save(machine.cancel(req, actor.uid, self.now()), req)
        self._audit(actor.uid, "request.cancelled", cancelled)
        await self._retract(cancelled)
        return cancelled

    async def accept_join(self, actor: Actor, rid: int) -> AccessRequest:
        req = self.get(rid)
        require(can_accept_join(actor, req))
        accepted = self.save(machine.facilitator_accept(req, actor.uid, self.now()), req)
        self._audit(actor.uid, "request.accepted_by_facilitator", accepted)
        await self.notify_operators(accepted)
        return accepted

    async def object_to(self, actor: Actor, rid: int, reason: str) -> AccessRequest:
        req = self.get(rid)
        require(can_object(actor, req, self.now()))
        objected = self.save(machine.object_to(req, actor.uid, self.now(), reason), req)
        self._audit(actor.uid, "request.objection", objected, {"reason": reason})
        await self.notify_operators(objected)
        return objected

    async def retry(self, actor: Actor, rid: int) -> AccessRequest:
        req = self.get(rid)
        require(can_decide(actor, req))
        return await self.apply_approved(self.save(machine.retry(req, actor.uid, self.now()), req), actor.uid)

    def save(self, new: AccessRequest, old: AccessRequest) -> AccessRequest:
        try:
            return self.repo.save(new, old.version)
        except ConcurrentUpdate:
            raise AlreadyDecided() from None

    # ---- deciding from a notification link --------------------------------------------------------

    def decision_link(self, operator: str, req: AccessRequest, decision: Decision, checksum: str) -> str:
        expires = int(self.now().timestamp()) + self.gov.settings.governance_link_ttl
        assert req.id is not None
        token = make_decision_token(
            self._key, operator, req.id, decision, checksum, expires, secrets.token_urlsafe(12)
        )
        return f"{self.gov.settings.proxy_url}/actions/{decision}/{req.id}?t={token}"

    async def decide_from_link(self, actor: Actor, decision: str, rid: int, token: str) -> AccessRequest:
        """Approve (or open the reject form) from a link: single use, this operator, this plan only."""
        claim = read_decision_token(self._key, token, int(self.now().timestamp()))
        req = self.get(rid)
        current = await self.preview(req) if req.state is RequestState.PENDING else None
        check_claim(claim, actor.uid, rid, current.checksum if current else claim.plan_checksum)
        if claim.decision != decision:
            raise InvalidToken("token.invalid")
        if not self.repo.use_nonce(claim.nonce):
            raise InvalidToken("token.used")
        if decision == "approve":
            return await self.approve(actor, rid, claim.plan_checksum, current)
        return req  # reject: the page asks for the reason

    # ---- notifications ----------------------------------------------------------------------------

    async def language_of(self, uid: str) -> str:
        info = await self.gov.gateway.get_user(uid)
        lang = (info.language if info else "")[:2]
        return lang if lang in ("en", "fr") else "en"

    def _operators(self, org: Organisation) -> list[str]:
        return sorted({m.user for m in org.memberships if m.group == OrgGroup.OPERATIONS})

    async def notify_operators(self, req: AccessRequest) -> None:
        """One notification per operator (AppAPI notifies the impersonated user: NEXTCLOUD.md §3.1)."""
        assert req.id is not None
        org = self.gov.org()
        try:
            plan = await self.preview(req)
        except GovernanceError:
            plan = Plan()
        page = f"{self.gov.settings.page_url}/requests/{req.id}"
        for op in self._operators(org):
            if op == req.requester or op in req.people:
                continue  # nobody decides their own request
            try:
                object_id = await self._ask_operator(op, req, plan, page)
            except Exception as exc:  # a missed notification must not lose the request
                log.warning("could not notify %s of request %s: %s", op, req.id, exc)
                continue
            self.repo.record_notification(req.id, op, object_id, DECIDE)

    async def _ask_operator(self, op: str, req: AccessRequest, plan: Plan, page: str) -> str:
        """One operator's notification, in their language, with single-use decision links."""
        lang = await self.language_of(op)

        def _(message: str, **params: object) -> str:
            return gettext(lang, message, **params)

        def link(decision: Decision, name: str) -> dict[str, str]:
            target = self.decision_link(op, req, decision, plan.checksum)
            return {"type": "highlight", "id": f"{decision}-{req.id}", "name": name, "link": target}

        params = {
            "requester": {"type": "user", "id": req.requester, "name": req.requester},
            "group": {"type": "highlight", "id": req.group, "name": req.group},
            "open": {"type": "highlight", "id": f"open-{req.id}", "name": _("Open"), "link": page},
            "approve": link("approve", _("Approve")),
            "reject": link("reject", _("Reject")),
        }
        what = _(self._what(req))
        subject = _("{requester} asks: %(what)s in {group}", what=what) + " — {open} · {approve} · {reject}"
        summary = "; ".join(str(c) for c in plan.changes[:3]) + (" …" if len(plan) > 3 else "")
        message = _("%(n)s change(s) in Nextcloud: %(summary)s", n=len(plan), summary=summary or "—")
        return await self.gov.gateway.notify(op, subject, params, message, page)

    @staticmethod
    def _what(req: AccessRequest) -> str:
        return {
            RequestKind.ADD_MEMBER: "add people",
            RequestKind.CHANGE_ROLE: "change a role",
            RequestKind.REMOVE_MEMBER: "remove people",
            RequestKind.CREATE_GROUP: "create a working group",
            RequestKind.ARCHIVE_GROUP: "archive a working group",
            RequestKind.JOIN: "join a working group",
        }[req.kind]

    async def _notify_simple(
        self, users: Iterable[str], req: AccessRequest, message: str, **params: object
    ) -> None:
        page = f"{self.gov.settings.page_url}/requests/{req.id}"
        for uid in sorted(set(users)):
            lang = await self.language_of(uid)
            subject = gettext(lang, message, **params)
            link = {"request": {"type": "highlight", "id": str(req.id), "name": f"#{req.id}", "link": page}}
            try:
                await self.gov.gateway.notify(uid, "{request} " + subject, link, "", page)
            except Exception as exc:
                log.warning("could not notify %s: %s", uid, exc)

    async def _notify_outcome(self, req: AccessRequest) -> None:
        msg = {
            RequestState.APPLIED: "Your request was approved and applied.",
            RequestState.REJECTED: "Your request was rejected: %(reason)s",
        }.get(req.state)
        if msg:
            await self._notify_simple({req.requester} | set(req.people), req, msg, reason=req.reason)

    async def _notify_failure(self, req: AccessRequest) -> None:
        ops = self._operators(self.gov.org())
        await self._notify_simple(ops, req, "Applying the request failed: %(error)s", error=req.error)

    async def _notify_facilitators(self, req: AccessRequest) -> None:
        facs = {m.user for m in self.gov.org().members_of(req.group) if m.role is Role.FACILITATOR}
        await self._notify_simple(facs - {req.requester}, req, "A person asks to join your working group.")

    async def _retract(self, req: AccessRequest) -> None:
        """Once decided, the other operators' notifications go (NEXTCLOUD.md §3.4)."""
        assert req.id is not None
        for row_id, uid, object_id in self.repo.live_notifications(req.id, DECIDE):
            try:
                await self.gov.gateway.delete_notification(uid, object_id)
                self.repo.notification_deleted(row_id)
            except Exception as exc:
                log.warning("could not delete notification of %s: %s", uid, exc)

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
        self.gov.audit.append(actor, action, f"request:{req.id}", {**detail, **(extra or {})})
