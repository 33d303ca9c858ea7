"""Reading the audit log (board and operations) and recording the app's own events.

The log is append-only (lib/store/audit_repo.py): nothing here edits an entry. Who may read it is
decided here, by the policy, so a route cannot forget to ask.
"""

from __future__ import annotations

from typing import Any

from lib.core.audit import AuditEntry, AuditFilter, ChainCheck
from lib.core.policy import Actor, can_view_audit, require

from .context import Context


class AuditService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def page(self, actor: Actor, wanted: AuditFilter, number: int, size: int) -> tuple[list[AuditEntry], int]:
        """One page of the entries ``wanted`` (newest first) and how many there are in all."""
        require(can_view_audit(actor))
        return self.ctx.audit.page(wanted, offset=(number - 1) * size, limit=size)

    def page_and_chain(
        self, actor: Actor, wanted: AuditFilter, number: int, size: int
    ) -> tuple[list[AuditEntry], int, ChainCheck]:
        """The page and the chain's state together: one trip to a worker thread for the audit page.
        The first unfiltered page already holds the newest entry, which spares the chain a query."""
        entries, total = self.page(actor, wanted, number, size)
        newest = entries[0] if entries and number == 1 and wanted == AuditFilter() else None
        return entries, total, self.chain(actor, newest)

    def quick(self, wanted: AuditFilter) -> bool:
        """Whether the page of ``wanted`` costs an index lookup only: the newest entries, no filter to
        count, the chain checked before. Then a worker thread would cost more than the query."""
        return wanted == AuditFilter() and self.ctx.audit.chain_checked()

    def chain(self, actor: Actor, newest: AuditEntry | None = None) -> ChainCheck:
        """Whether the chain of hashes still holds (only what was appended since the last check)."""
        require(can_view_audit(actor))
        return self.ctx.audit.chain_status(newest=newest)

    def entries(self, actor: Actor, wanted: AuditFilter) -> list[AuditEntry]:
        """Every entry ``wanted``, oldest first (the spreadsheet export)."""
        require(can_view_audit(actor))
        return list(self.ctx.audit.entries(wanted))

    def record(self, action: str, subject: str, detail: dict[str, Any]) -> None:
        """An event of the app itself (enabled, disabled): no person did it."""
        self.ctx.audit.append("", action, subject, detail)
