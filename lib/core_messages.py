"""Marks the core's user-facing messages for Babel extraction (lib/core/codes.py stays pure).

tests/unit/test_catalogue.py (test_every_core_message_is_marked_for_extraction) checks this list
against lib/core/codes.MESSAGES, so it cannot drift.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message


CORE_MESSAGES = [
    _(
        "These changes take access away from several people or loosen a folder's protections;"
        " an operator must confirm them."
    ),
    _("The plan revokes {removals} rights, more than the allowed {limit}."),
    _("The organisation is not valid: {message}"),
    _("The request is not valid: {message}"),
    _("This request cannot take this step in its current state."),
    _("Someone else decided this request at the same moment. Reload to see the outcome."),
    _("This request is still waiting for the operations team to decide."),
    _("This request is still waiting for a facilitator of the group to accept it."),
    _("This request was already approved; nothing more to do."),
    _("This request was already approved by {by}; nothing more to do."),
    _("This request was already approved; it now waits for the invited people to have an account."),
    _("This request was already approved by {by}; it now waits for the invited people to have an account."),
    _("This request was already approved and is being applied; nothing more to do."),
    _("This request was already approved by {by} and is being applied; nothing more to do."),
    _("This request was already approved and applied; nothing more to do."),
    _("This request was already approved by {by} and applied; nothing more to do."),
    _("This request was already rejected; nothing more to do."),
    _("This request was already rejected by {by}; nothing more to do."),
    _("This request was already cancelled; nothing more to do."),
    _("This request was already cancelled by {by}; nothing more to do."),
    _("Applying this request failed; the operations team can try again from the request's page."),
    _("This request expired: nobody decided in time. Ask again if it is still needed."),
    _("Nobody may decide on their own request."),
    _("A person cannot accept their own request to join a group."),
    _("Only the person who asked may cancel a request."),
    _("Members may still object to this request until {until}."),
    _("The time to object to this request is over."),
    _("The person who asked cannot object to their own request; they may cancel it."),
    _("There is no working group {group}."),
    _("A working group {group} already exists."),
    _("The working group {group} is archived."),
    _("{user} already has this role in {group}."),
    _("{user} is not a member of {group}."),
    _("This request has no pending invitation for {email}."),
    _("Nobody has the account “{user}”."),
    _("This kind of request does not exist."),
    _("The end date is not a valid date."),
    _("Choose one of the roles offered."),
    _("The access of {user} to {group} already ends on that day."),
    _("Request #{id} about {user} in {group} is not finished yet: follow it there."),
    _("Request #{id} about the working group {group} is not finished yet: follow it there."),
    _("Request #{id}, removing {user} from every group, is not finished yet: follow it there."),
    _("{user} is in no group of the organisation: there is nothing to remove."),
    _(
        "{user} is the last member of the operations team: nobody could decide on requests any more."
        " Add someone to the operations team first."
    ),
    _("Allowed."),
    _("Only the operations team may do this."),
    _("Only a facilitator of the group (or the operations team) may ask for this."),
    _("Nobody may decide on their own request."),
    _("Nobody may decide on a request that changes their own access."),
    _("Only the person who asked may cancel a request."),
    _("Only members of the group may object."),
    _("You are already a member of this group."),
    _("This request is not open to objections."),
    _("Only requests to join a group are accepted by its facilitators."),
    _("This request does not concern you."),
    _("Only the board and the operations team may see this."),
    _("You need an account to ask for this."),
    _("Only a Nextcloud administrator may do this."),
    _("This decision link is not valid."),
    _("This decision link has expired; open the request in the app."),
    _("This decision link was sent to another operator."),
    _("This decision link is for another request."),
    _("The request changed since this link was sent; review the new plan in the app."),
    _("This decision link has already been used."),
]
