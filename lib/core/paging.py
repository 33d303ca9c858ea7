"""Searching and paging long lists (working groups): a page is a slice, never the whole list.

Pure: the routes pass the list they already hold and what the user typed, and render one ``Page``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_SIZE = 25


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its ``items``, its 1-based ``number`` of ``pages``, ``total`` items in all."""

    items: tuple[T, ...]
    number: int
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def paginate(items: Sequence[T], number: int, size: int = PAGE_SIZE) -> Page[T]:
    """Page ``number`` of ``items``; a number out of range gives the first or the last page."""
    if size < 1:
        raise ValueError("a page holds at least one item")
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 1), pages)
    start = (number - 1) * size
    return Page(tuple(items[start : start + size]), number, pages, len(items))


def page_of(items: Sequence[T], wanted: Callable[[T], bool], size: int = PAGE_SIZE) -> int:
    """The number of the page showing the first item ``wanted`` (1 when there is none)."""
    for index, item in enumerate(items):
        if wanted(item):
            return index // size + 1
    return 1


def page_number(text: str) -> int:
    """The page asked for in a query string; anything that is not a number means the first page."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else 1


def search(items: Iterable[T], query: str, texts: Callable[[T], Iterable[str]]) -> list[T]:
    """The items in which every word of ``query`` occurs in one of their ``texts``, ignoring case."""
    words = query.casefold().split()
    if not words:
        return list(items)
    found = []
    for item in items:
        haystack = "\n".join(texts(item)).casefold()
        if all(word in haystack for word in words):
            found.append(item)
    return found
