"""Every stable error/decision code of the core, with its English message, in one place.

The web layer translates by code; the English text here is the fallback and the reference
for translators. Messages may use ``{placeholders}`` filled from the error's fields.
"""

from __future__ import annotations

# Requests (lib/core/requests.py)
REQUEST_INVALID = "request.invalid"
REQUEST_ILLEGAL_TRANSITION = "request.illegal_transition"
REQUEST_SELF_APPROVAL = "request.self_approval"
REQUEST_SELF_ACCEPTANCE = "request.self_acceptance"
REQUEST_NOT_REQUESTER = "request.not_requester"
REQUEST_OBJECTION_WINDOW_OPEN = "request.objection_window_open"
REQUEST_OBJECTION_WINDOW_CLOSED = "request.objection_window_closed"
REQUEST_OWN_OBJECTION = "request.own_objection"
REQUEST_UNKNOWN_GROUP = "request.unknown_group"
REQUEST_GROUP_EXISTS = "request.group_exists"
REQUEST_GROUP_ARCHIVED = "request.group_archived"
REQUEST_ALREADY_MEMBER = "request.already_member"
REQUEST_NOT_MEMBER = "request.not_member"
REQUEST_UNKNOWN_INVITATION = "request.unknown_invitation"
REQUEST_UNKNOWN_USER = "request.unknown_user"
REQUEST_UNKNOWN_KIND = "request.unknown_kind"
REQUEST_BAD_DATE = "request.bad_date"
REQUEST_BAD_ROLE = "request.bad_role"
REQUEST_SAME_END_DATE = "request.same_end_date"
REQUEST_DUPLICATE = "request.duplicate"
REQUEST_DUPLICATE_GROUP = "request.duplicate_group"
REQUEST_DUPLICATE_OFFBOARD = "request.duplicate_offboard"
REQUEST_IN_NO_GROUP = "request.in_no_group"
REQUEST_LAST_OPERATOR = "request.last_operator"
REQUEST_CONCURRENT = "request.concurrent"  # raised by lib/services/requests.py (AlreadyDecided)

# A step the request's current state no longer allows (lib/core/requests.py ``_require``): what happened
# to it, and by whom when someone decided (``{by}``, an account id the page turns into a name).
REQUEST_NOW_PENDING = "request.now.pending"
REQUEST_NOW_AWAITING_FACILITATOR = "request.now.awaiting_facilitator"
REQUEST_NOW_APPROVED = "request.now.approved"
REQUEST_NOW_APPROVED_BY = "request.now.approved_by"
REQUEST_NOW_AWAITING_ACCOUNT = "request.now.awaiting_account"
REQUEST_NOW_AWAITING_ACCOUNT_BY = "request.now.awaiting_account_by"
REQUEST_NOW_APPLYING = "request.now.applying"
REQUEST_NOW_APPLYING_BY = "request.now.applying_by"
REQUEST_NOW_APPLIED = "request.now.applied"
REQUEST_NOW_APPLIED_BY = "request.now.applied_by"
REQUEST_NOW_REJECTED = "request.now.rejected"
REQUEST_NOW_REJECTED_BY = "request.now.rejected_by"
REQUEST_NOW_CANCELLED = "request.now.cancelled"
REQUEST_NOW_CANCELLED_BY = "request.now.cancelled_by"
REQUEST_NOW_FAILED = "request.now.failed"
REQUEST_NOW_EXPIRED = "request.now.expired"

# Policy (lib/core/policy.py)
POLICY_ALLOWED = "policy.allowed"
POLICY_NOT_OPERATIONS = "policy.not_operations"
POLICY_NOT_FACILITATOR = "policy.not_facilitator"
POLICY_OWN_REQUEST = "policy.own_request"
POLICY_OWN_ACCESS = "policy.own_access"
POLICY_NOT_REQUESTER = "policy.not_requester"
POLICY_NOT_GROUP_MEMBER = "policy.not_group_member"
POLICY_ALREADY_MEMBER = "policy.already_member"
POLICY_NO_OBJECTION_WINDOW = "policy.no_objection_window"
POLICY_NOT_A_JOIN = "policy.not_a_join"
POLICY_NOT_CONCERNED = "policy.not_concerned"
POLICY_BOARD_OR_OPERATIONS = "policy.board_or_operations"
POLICY_NO_ACCOUNT = "policy.no_account"
POLICY_NOT_ADMIN = "policy.not_admin"

# Decision links (lib/core/tokens.py)
TOKEN_INVALID = "token.invalid"
TOKEN_EXPIRED = "token.expired"
TOKEN_FOREIGN = "token.foreign"
TOKEN_WRONG_REQUEST = "token.wrong_request"
TOKEN_STALE = "token.stale"
TOKEN_USED = "token.used"  # raised by the caller, which remembers used nonces

# Raised by other core modules (errors.py: UnsafePlan, InvalidOrganisation); listed for translators.
PLAN_UNSAFE = "plan.unsafe"
ORGANISATION_INVALID = "organisation.invalid"

MESSAGES: dict[str, str] = {
    PLAN_UNSAFE: (
        "These changes take access away from several people or loosen a folder's protections;"
        " an operator must confirm them."
    ),
    ORGANISATION_INVALID: "The organisation is not valid: {message}",
    REQUEST_INVALID: "The request is not valid: {message}",
    REQUEST_ILLEGAL_TRANSITION: "This request cannot take this step in its current state.",
    REQUEST_CONCURRENT: "Someone else decided this request at the same moment. Reload to see the outcome.",
    REQUEST_NOW_PENDING: "This request is still waiting for the operations team to decide.",
    REQUEST_NOW_AWAITING_FACILITATOR: (
        "This request is still waiting for a facilitator of the group to accept it."
    ),
    REQUEST_NOW_APPROVED: "This request was already approved; nothing more to do.",
    REQUEST_NOW_APPROVED_BY: "This request was already approved by {by}; nothing more to do.",
    REQUEST_NOW_AWAITING_ACCOUNT: (
        "This request was already approved; it now waits for the invited people to have an account."
    ),
    REQUEST_NOW_AWAITING_ACCOUNT_BY: (
        "This request was already approved by {by}; it now waits for the invited people to have an account."
    ),
    REQUEST_NOW_APPLYING: "This request was already approved and is being applied; nothing more to do.",
    REQUEST_NOW_APPLYING_BY: (
        "This request was already approved by {by} and is being applied; nothing more to do."
    ),
    REQUEST_NOW_APPLIED: "This request was already approved and applied; nothing more to do.",
    REQUEST_NOW_APPLIED_BY: "This request was already approved by {by} and applied; nothing more to do.",
    REQUEST_NOW_REJECTED: "This request was already rejected; nothing more to do.",
    REQUEST_NOW_REJECTED_BY: "This request was already rejected by {by}; nothing more to do.",
    REQUEST_NOW_CANCELLED: "This request was already cancelled; nothing more to do.",
    REQUEST_NOW_CANCELLED_BY: "This request was already cancelled by {by}; nothing more to do.",
    REQUEST_NOW_FAILED: (
        "Applying this request failed; the operations team can try again from the request's page."
    ),
    REQUEST_NOW_EXPIRED: "This request expired: nobody decided in time. Ask again if it is still needed.",
    REQUEST_SELF_APPROVAL: "Nobody may decide on their own request.",
    REQUEST_SELF_ACCEPTANCE: "A person cannot accept their own request to join a group.",
    REQUEST_NOT_REQUESTER: "Only the person who asked may cancel a request.",
    REQUEST_OBJECTION_WINDOW_OPEN: "Members may still object to this request until {until}.",
    REQUEST_OBJECTION_WINDOW_CLOSED: "The time to object to this request is over.",
    REQUEST_OWN_OBJECTION: "The person who asked cannot object to their own request; they may cancel it.",
    REQUEST_UNKNOWN_GROUP: "There is no working group {group}.",
    REQUEST_GROUP_EXISTS: "A working group {group} already exists.",
    REQUEST_GROUP_ARCHIVED: "The working group {group} is archived.",
    REQUEST_ALREADY_MEMBER: "{user} already has this role in {group}.",
    REQUEST_NOT_MEMBER: "{user} is not a member of {group}.",
    REQUEST_UNKNOWN_INVITATION: "This request has no pending invitation for {email}.",
    REQUEST_UNKNOWN_USER: "Nobody has the account “{user}”.",
    REQUEST_UNKNOWN_KIND: "This kind of request does not exist.",
    REQUEST_BAD_DATE: "The end date is not a valid date.",
    REQUEST_BAD_ROLE: "Choose one of the roles offered.",
    REQUEST_SAME_END_DATE: "The access of {user} to {group} already ends on that day.",
    REQUEST_DUPLICATE: "Request #{id} about {user} in {group} is not finished yet: follow it there.",
    REQUEST_DUPLICATE_GROUP: (
        "Request #{id} about the working group {group} is not finished yet: follow it there."
    ),
    REQUEST_DUPLICATE_OFFBOARD: (
        "Request #{id}, removing {user} from every group, is not finished yet: follow it there."
    ),
    REQUEST_IN_NO_GROUP: "{user} is in no group of the organisation: there is nothing to remove.",
    REQUEST_LAST_OPERATOR: (
        "{user} is the last member of the operations team: nobody could decide on requests any more."
        " Add someone to the operations team first."
    ),
    POLICY_ALLOWED: "Allowed.",
    POLICY_NOT_OPERATIONS: "Only the operations team may do this.",
    POLICY_NOT_FACILITATOR: "Only a facilitator of the group (or the operations team) may ask for this.",
    POLICY_OWN_REQUEST: "Nobody may decide on their own request.",
    POLICY_OWN_ACCESS: "Nobody may decide on a request that changes their own access.",
    POLICY_NOT_REQUESTER: "Only the person who asked may cancel a request.",
    POLICY_NOT_GROUP_MEMBER: "Only members of the group may object.",
    POLICY_ALREADY_MEMBER: "You are already a member of this group.",
    POLICY_NO_OBJECTION_WINDOW: "This request is not open to objections.",
    POLICY_NOT_A_JOIN: "Only requests to join a group are accepted by its facilitators.",
    POLICY_NOT_CONCERNED: "This request does not concern you.",
    POLICY_BOARD_OR_OPERATIONS: "Only the board and the operations team may see this.",
    POLICY_NO_ACCOUNT: "You need an account to ask for this.",
    POLICY_NOT_ADMIN: "Only a Nextcloud administrator may do this.",
    TOKEN_INVALID: "This decision link is not valid.",
    TOKEN_EXPIRED: "This decision link has expired; open the request in the app.",
    TOKEN_FOREIGN: "This decision link was sent to another operator.",
    TOKEN_WRONG_REQUEST: "This decision link is for another request.",
    TOKEN_STALE: "The request changed since this link was sent; review the new plan in the app.",
    TOKEN_USED: "This decision link has already been used.",
}

# Human wording for IllegalTransition messages: "Request #12 cannot be <action>: it is <state>."
ACTION_TEXT: dict[str, str] = {
    "facilitator_accept": "accepted by a facilitator",
    "approve": "approved",
    "reject": "rejected",
    "cancel": "cancelled",
    "object": "objected to",
    "start_applying": "applied",
    "mark_applied": "marked as applied",
    "mark_failed": "marked as failed",
    "expire": "expired",
    "retry": "retried",
    "account_ready": "completed with the new account",
    "withdraw_invitation": "changed",
}

STATE_TEXT: dict[str, str] = {
    "pending": "waiting for the operations team",
    "awaiting_facilitator": "waiting for a facilitator of the group",
    "approved": "already approved",
    "applying": "being applied",
    "applied": "already applied",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "failed": "failed",
    "expired": "expired",
    "awaiting_account": "waiting for the invited person's account",
}

# The sentence for a request now in this state (``{by}``: whoever took it there, when known).
NOW_IN_STATE: dict[str, tuple[str, str]] = {
    "pending": (REQUEST_NOW_PENDING, REQUEST_NOW_PENDING),
    "awaiting_facilitator": (REQUEST_NOW_AWAITING_FACILITATOR, REQUEST_NOW_AWAITING_FACILITATOR),
    "approved": (REQUEST_NOW_APPROVED, REQUEST_NOW_APPROVED_BY),
    "awaiting_account": (REQUEST_NOW_AWAITING_ACCOUNT, REQUEST_NOW_AWAITING_ACCOUNT_BY),
    "applying": (REQUEST_NOW_APPLYING, REQUEST_NOW_APPLYING_BY),
    "applied": (REQUEST_NOW_APPLIED, REQUEST_NOW_APPLIED_BY),
    "rejected": (REQUEST_NOW_REJECTED, REQUEST_NOW_REJECTED_BY),
    "cancelled": (REQUEST_NOW_CANCELLED, REQUEST_NOW_CANCELLED_BY),
    "failed": (REQUEST_NOW_FAILED, REQUEST_NOW_FAILED),
    "expired": (REQUEST_NOW_EXPIRED, REQUEST_NOW_EXPIRED),
}


def now_in_state(state: str, by: str = "") -> str:
    """The code saying what became of a request now in ``state``; the generic one for a state not listed."""
    plain, with_by = NOW_IN_STATE.get(state, (REQUEST_ILLEGAL_TRANSITION, REQUEST_ILLEGAL_TRANSITION))
    return with_by if by else plain
