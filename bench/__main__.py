"""``make bench``: the engine, sync and page benchmarks in order; one table, and bench-results.json.

Each part runs on its own: a failing part prints why and the others still report.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / "bench-results.json"
Figures = dict[str, dict[str, Any]]


def _engine() -> Figures:
    from bench import engine

    return engine.run()


def _sync() -> Figures:
    from bench import sync

    return sync.run()


def _approval() -> Figures:
    from bench import approval

    return approval.run()


def _pages() -> Figures:
    from bench import pages

    return pages.run()


def _faults() -> Figures:
    from bench import faults

    return faults.run()


def _kills() -> Figures:
    from bench import kills

    return kills.run()


def _decisions() -> Figures:
    from bench import concurrent_decisions

    return concurrent_decisions.run()


# Run by name only, their figures added to the file. ``make prove`` runs ``faults`` (which runs the
# other two as well); ``python -m bench kills`` or ``decisions`` runs one measure on real processes.
PROVE: dict[str, Callable[[], Figures]] = {"faults": _faults, "kills": _kills, "decisions": _decisions}

PARTS: dict[str, Callable[[], Figures]] = {
    "engine": _engine,
    "sync": _sync,
    "approval": _approval,
    "pages": _pages,
}


def main(names: list[str] | None = None) -> int:
    """Every part of ``PARTS``, or the parts named (of ``PARTS`` or ``PROVE``); the figures are
    added to bench-results.json, replacing those of the same name."""
    chosen = {n: {**PARTS, **PROVE}[n] for n in names} if names else PARTS
    figures: Figures = {}
    failed = []
    for name, part in chosen.items():
        start = time.perf_counter()
        try:
            figures.update(part())
        except Exception as exc:  # one broken part must not lose the others' figures
            failed.append(name)
            print(f"FAILED: bench part {name}: {exc!r}")
            traceback.print_exc(file=sys.stderr)
        print(f"bench part {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr)
    width = max((len(n) for n in figures), default=4)
    print(f"{'name':<{width}}  {'value':>12}  unit")
    for name, figure in figures.items():
        print(f"{name:<{width}}  {figure['value']:>12}  {figure['unit']}")
    kept = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    RESULTS.write_text(json.dumps({**kept, **figures}, indent=2) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
