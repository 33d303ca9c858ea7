"""The audit chain: any edit, removal or reordering of an entry is found, at that entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from lib.core.audit import GENESIS, AuditEntry, chain_hash, next_entry, verify_chain


def chain(length: int = 4) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n in range(1, length + 1):
        prev = entries[-1] if entries else None
        entries.append(
            next_entry(
                prev,
                at=f"2025-03-0{n}T09:00:00+00:00",
                actor="olga",
                action="request.approved",
                subject=f"request:{n}",
                detail={"plan": ["add bob to gt-comm-membres"], "n": n},
            )
        )
    return entries


def test_first_entry_starts_the_chain() -> None:
    first = chain(1)[0]
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert len(first.hash) == 64


def test_an_untouched_chain_verifies() -> None:
    assert verify_chain(chain()) == verify_chain(iter(chain()))
    check = verify_chain(chain())
    assert (check.ok, check.checked, check.first_broken_seq) == (True, 4, None)


def test_an_empty_log_verifies() -> None:
    assert verify_chain([]).ok


TAMPERS: dict[str, Any] = {
    "at": "2025-03-09T09:00:00+00:00",
    "actor": "mallory",
    "action": "request.rejected",
    "subject": "request:99",
    "detail": {"plan": [], "n": 0},
    "prev_hash": "f" * 64,
    "hash": "0" * 64,
    "seq": 42,
}


@pytest.mark.parametrize("field", sorted(TAMPERS))
@pytest.mark.parametrize("index", range(4))
def test_tampering_with_any_field_breaks_the_chain_at_that_entry(field: str, index: int) -> None:
    entries = chain()
    entries[index] = replace(entries[index], **{field: TAMPERS[field]})
    check = verify_chain(entries)
    assert not check.ok
    assert check.first_broken_seq == index + 1
    assert check.checked == index
    assert check.reason


def test_a_removed_entry_breaks_the_chain_where_it_was() -> None:
    entries = chain()
    del entries[2]
    assert verify_chain(entries).first_broken_seq == 3


def test_reordered_entries_break_the_chain() -> None:
    entries = chain()
    entries[1], entries[2] = entries[2], entries[1]
    assert verify_chain(entries).first_broken_seq == 2


def test_a_rehashed_forgery_still_breaks_the_link_to_the_next_entry() -> None:
    entries = chain()
    forged = next_entry(entries[0], at=entries[1].at, actor="mallory", action="x", subject="y", detail={})
    entries[1] = forged
    check = verify_chain(entries)
    assert check.first_broken_seq == 3


def test_a_slice_verifies_from_a_trusted_entry() -> None:
    entries = chain()
    assert verify_chain(entries[2:], after=entries[1]).ok
    assert verify_chain(entries[2:]).first_broken_seq == 1


def test_hash_does_not_depend_on_key_order_and_survives_json_storage_of_dates() -> None:
    a = chain_hash(GENESIS, 1, "t", "olga", "a", "s", {"x": 1, "until": date(2025, 3, 31)})
    b = chain_hash(GENESIS, 1, "t", "olga", "a", "s", {"until": "2025-03-31", "x": 1})
    assert a == b


def test_detail_must_be_json() -> None:
    with pytest.raises(TypeError):
        next_entry(None, at="t", actor="a", action="b", subject="c", detail={"x": object()})
    entry = replace(chain(1)[0], detail={"x": object()})
    assert verify_chain([entry]).reason == "detail is not JSON"
