"""Issue 13 on real server processes sharing PostgreSQL (bench/concurrent_decisions.py, bench/kills.py
in small): two operators approving each request at once on two processes lose nothing and apply
nothing twice; a process killed by SIGKILL while it applies is restarted and its request ends
applied, within the half minute an operator would wait.

Each test starts uvicorn processes (ex_app.main:worker_app) against the stand-in, so they run where
CI has PostgreSQL (GOVERNANCE_TEST_POSTGRES_URL, .ci/run) and are skipped elsewhere.
"""

from __future__ import annotations

import os

import pytest

from bench import concurrent_decisions, kills

pytestmark = pytest.mark.skipif(
    not os.environ.get("GOVERNANCE_TEST_POSTGRES_URL"), reason="GOVERNANCE_TEST_POSTGRES_URL not set"
)


def test_twenty_requests_approved_twice_at_once_on_two_processes_end_applied_once() -> None:
    figures = concurrent_decisions.run_decisions(requests=20, at_once=4)

    assert (figures["lost"], figures["double"], figures["stuck"]) == (0, 0, 0), figures["examples"]
    assert figures["applied"] == 20
    # each request: one operator is told it is done, the other is refused with a sentence (no 5xx)
    assert figures["answers"][200] == 20 and figures["no_approval"] == []
    assert sum(figures["answers"].values()) == 40 and all(status < 500 for status in figures["answers"])


def test_a_process_killed_while_applying_is_restarted_and_its_request_ends_applied() -> None:
    figures = kills.run_kills(kills=1)

    [killed] = figures["rounds"]
    assert killed["state"] == "applied" and killed["missing"] == []
    assert killed["done_at_kill"] >= 1 and killed["left_at_kill"] >= 1  # it died mid-run
    assert killed["seconds"] < 45  # the server resumes within STALE_AFTER + RESUME_INTERVAL (25 s)
