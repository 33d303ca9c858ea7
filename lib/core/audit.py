"""The audit log's hash chain: each entry's hash covers its content and the previous hash.

Editing, removing or reordering any stored entry breaks the chain from that entry on, which
:func:`verify_chain` reports. The store appends; nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

GENESIS = "0" * 64  # the "previous hash" of the first entry


@dataclass(frozen=True)
class AuditEntry:
    seq: int  # 1, 2, 3... without gaps
    at: str  # ISO 8601
    actor: str
    action: str  # e.g. "request.approved", "plan.applied"
    subject: str  # e.g. "request:12", "group:communication"
    detail: dict[str, Any]  # JSON-ready
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """``checked``: entries found sound before the first broken one (all of them when ok).

    A check that builds on an earlier one (the store's cached check) says how far it reaches:
    ``whole_checked_at`` is when the chain was last read from its first entry (ISO 8601; left
    empty by :func:`verify_chain`), ``since_whole`` how many of ``checked`` were appended after
    that and verified against the last entry it had found sound.
    """

    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str = ""
    whole_checked_at: str = ""
    since_whole: int = 0


def _jsonable(value: object) -> str:
    # Dates become ISO strings, as they will be once stored as JSON: the hash survives storage.
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"audit detail value {value!r} is not JSON-ready")


def chain_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> str:
    """sha256 (hex) over canonical JSON (sorted keys, no spaces, UTF-8) of the entry and its predecessor."""
    body = {
        "prev_hash": prev_hash,
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def next_entry(
    prev: AuditEntry | None, *, at: str, actor: str, action: str, subject: str, detail: dict[str, Any]
) -> AuditEntry:
    """The entry to append after ``prev`` (None for the very first one)."""
    seq = prev.seq + 1 if prev else 1
    prev_hash = prev.hash if prev else GENESIS
    digest = chain_hash(prev_hash, seq, at, actor, action, subject, detail)
    return AuditEntry(seq, at, actor, action, subject, detail, prev_hash, digest)


def verify_chain(entries: Iterable[AuditEntry], after: AuditEntry | None = None) -> ChainCheck:
    """Check entries in order. ``after``: a trusted entry preceding them (default: start of the log)."""
    expected_seq, expected_prev = (after.seq + 1, after.hash) if after else (1, GENESIS)
    checked = 0
    for entry in entries:
        problem = _problem(entry, expected_seq, expected_prev)
        if problem:
            return ChainCheck(False, checked, expected_seq, problem)
        checked += 1
        expected_seq, expected_prev = entry.seq + 1, entry.hash
    return ChainCheck(True, checked)


def _problem(entry: AuditEntry, seq: int, prev_hash: str) -> str:
    if entry.seq != seq:
        return f"expected entry {seq}, found {entry.seq}"
    if entry.prev_hash != prev_hash:
        return "does not follow the previous entry"
    try:
        digest = chain_hash(
            entry.prev_hash, entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.detail
        )
    except TypeError:
        return "detail is not JSON"
    if digest != entry.hash:
        return "content does not match its hash"
    return ""


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    text: str = ""  # matched against the subject
    since: str = ""  # ISO date
    until: str = ""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # OWASP "CSV Injection": these make a cell a formula


def csv_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
