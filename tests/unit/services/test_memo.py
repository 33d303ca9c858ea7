"""Derived values kept while the objects they come from stay the same objects."""

from __future__ import annotations

from lib.services.memo import Memo


class Org:  # any object: the memo looks at its identity, never at its content
    pass


def test_a_value_is_built_once_for_the_same_object_and_again_for_another() -> None:
    memo: Memo[int] = Memo()
    builds = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    first = Org()
    assert memo.get((first,), ("2026-11-23",), build) == 1
    assert memo.get((first,), ("2026-11-23",), build) == 1
    assert memo.get((first,), ("2026-11-24",), build) == 2  # another day
    assert memo.get((Org(),), ("2026-11-24",), build) == 3  # an equal-looking but new object


def test_only_the_last_values_are_kept() -> None:
    memo: Memo[str] = Memo(size=2)
    a, b, c = Org(), Org(), Org()
    for org, name in ((a, "a"), (b, "b"), (c, "c")):
        memo.get((org,), (), lambda name=name: name)
    assert memo.get((a,), (), lambda: "rebuilt") == "rebuilt"
    assert memo.get((c,), (), lambda: "rebuilt") == "c"
