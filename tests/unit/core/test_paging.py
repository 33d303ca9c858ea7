"""Searching and paging a long list: every item on exactly one page, out-of-range pages clamped."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lib.core.paging import Page, page_number, page_of, paginate, search

GROUPS = [f"g{i:03d}" for i in range(60)]


def test_the_second_page_holds_the_next_items() -> None:
    page = paginate(GROUPS, 2, size=25)
    assert page == Page(tuple(GROUPS[25:50]), number=2, pages=3, total=60)
    assert (page.previous, page.next) == (1, 3)


def test_a_page_beyond_the_last_shows_the_last_page() -> None:
    page = paginate(GROUPS, 99, size=25)
    assert page.number == 3 and page.items == tuple(GROUPS[50:])
    assert page.next is None


def test_a_page_before_the_first_shows_the_first_page() -> None:
    page = paginate(GROUPS, -4, size=25)
    assert page.number == 1 and page.previous is None and page.items[0] == "g000"


def test_an_empty_list_is_one_empty_page() -> None:
    assert paginate([], 3) == Page((), number=1, pages=1, total=0)


def test_a_page_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        paginate(GROUPS, 1, size=0)


@given(st.integers(0, 200), st.integers(1, 30))
def test_the_pages_together_hold_every_item_once_in_order(count: int, size: int) -> None:
    items = list(range(count))
    first = paginate(items, 1, size)
    pages = [paginate(items, n, size) for n in range(1, first.pages + 1)]
    assert [i for p in pages for i in p.items] == items
    assert all(0 < len(p.items) <= size for p in pages) or count == 0


@pytest.mark.parametrize(
    ("text", "number"),
    [("2", 2), (" 7 ", 7), ("", 1), ("abc", 1), ("-3", 1), ("1.5", 1), ("²", 1), ("9" * 30, 1)],
)
def test_a_page_number_that_is_not_a_number_means_the_first_page(text: str, number: int) -> None:
    assert page_number(text) == number


def test_the_page_of_an_item_is_where_it_is_listed() -> None:
    assert page_of(GROUPS, lambda g: g == "g030", size=25) == 2
    assert page_of(GROUPS, lambda g: g == "g024", size=25) == 1
    assert page_of(GROUPS, lambda g: g == "missing", size=25) == 1


PEOPLE = [("jardins", "Jardins partagés", "Alice Moreau"), ("comm", "Communication", "Bruno Petit")]


def texts(row: tuple[str, str, str]) -> tuple[str, ...]:
    return row


def test_search_ignores_case_and_matches_any_text_of_an_item() -> None:
    assert search(PEOPLE, "JARDINS", texts) == [PEOPLE[0]]
    assert search(PEOPLE, "bruno", texts) == [PEOPLE[1]]
    assert search(PEOPLE, "partagés", texts) == [PEOPLE[0]]


def test_every_word_of_the_search_must_match() -> None:
    assert search(PEOPLE, "alice jardins", texts) == [PEOPLE[0]]
    assert search(PEOPLE, "alice communication", texts) == []


def test_an_empty_search_keeps_every_item_in_order() -> None:
    assert search(PEOPLE, "   ", texts) == PEOPLE
