"""Checking the audit chain in parts, each after the last entry the previous part found sound."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from lib.core.audit import AuditEntry, ChainCheck, next_entry, verify_chain


def chain(length: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    for n in range(1, length + 1):
        entries.append(
            next_entry(
                entries[-1] if entries else None,
                at=f"2025-03-01T09:{n % 60:02d}:00+00:00",
                actor="olga",
                action="request.approved",
                subject=f"request:{n}",
                detail={"n": n},
            )
        )
    return entries


@given(length=st.integers(1, 30), cut=st.integers(0, 30))
def test_checking_in_two_parts_finds_what_one_check_finds(length: int, cut: int) -> None:
    entries = chain(length)
    cut = min(cut, length)
    first = verify_chain(entries[:cut])
    second = verify_chain(entries[cut:], after=entries[cut - 1] if cut else None)
    assert first.ok and second.ok
    assert first.checked + second.checked == verify_chain(entries).checked == length


@given(length=st.integers(2, 20), data=st.data())
def test_a_part_checked_later_reports_the_broken_entry_by_its_place_in_the_whole_log(
    length: int, data: st.DataObject
) -> None:
    entries = chain(length)
    cut = data.draw(st.integers(1, length - 1))
    broken = data.draw(st.integers(cut, length - 1))
    entries[broken] = replace(entries[broken], actor="mallory")
    check = verify_chain(entries[cut:], after=entries[cut - 1])
    assert not check.ok and check.first_broken_seq == broken + 1
    assert check.checked == broken - cut  # counted within the part


def test_a_plain_check_says_nothing_about_an_earlier_one() -> None:
    check = verify_chain(chain(3))
    assert check == ChainCheck(True, 3)
    assert check.whole_checked_at == "" and check.since_whole == 0
