"""Keeping the cyclic garbage collector off the big objects a worker holds for long.

A worker holds the organisation (20,000 memberships in the benchmark) and a reading of Nextcloud
for minutes. CPython's full collections walk every tracked object: about 150 ms each with those
in memory, stopping every request under way (seen as the pages' p95). Once such an object is
built, ``settle`` collects what is garbage now and moves everything left to the permanent
generation (``gc.freeze``), which collections skip. Frozen objects are still freed by reference
counting when dropped; only a reference cycle among them would outlive its use.
"""

from __future__ import annotations

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
