"""`make verify-audit`: check the audit log's hash chain and say where it breaks (exit 1 if it does)."""

from __future__ import annotations

import sys

from lib.core.audit import ChainCheck
from lib.settings import Settings
from lib.store.audit_repo import SqlAuditLog
from lib.store.db import make_engine


def check(audit: SqlAuditLog) -> ChainCheck:
    """The whole chain, re-hashed from its first entry (never a cached result)."""
    return audit.verify_whole_chain()


def main() -> int:
    result = check(SqlAuditLog(make_engine(Settings().db_url)))
    if result.ok:
        sys.stdout.write(f"audit log OK: {result.checked} entries, chain intact\n")
        return 0
    sys.stdout.write(f"audit log BROKEN at entry {result.first_broken_seq}: {result.reason}\n")
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
