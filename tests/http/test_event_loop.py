"""Database work that takes time runs in worker threads, so the event loop keeps answering other
requests and AppAPI's heartbeat while a query is slow or a commit waits (issue 17). The caller's role,
one indexed query, stays on the loop: the hop to a thread cost more than the query (make bench)."""

from __future__ import annotations

import threading

import httpx
import pytest

from tests.conftest import RunningApp


def test_the_heartbeat_is_answered_while_the_audit_log_is_read(
    demo: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A filtered audit page (counted) is held until a heartbeat got its answer: were it on the loop,
    the heartbeat could not be answered and would time out."""
    log = demo.gov.audit_log
    reading, answered = threading.Event(), threading.Event()
    real = log.page

    def held(*args: object):  # type: ignore[no-untyped-def]
        reading.set()
        answered.wait(timeout=20)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(log, "page", held)
    statuses: list[int] = []

    def read_audit() -> None:
        with demo.client("claire") as c:
            statuses.append(c.get("/ui/audit", params={"text": "claire"}).status_code)  # a filter: counted

    worker = threading.Thread(target=read_audit)
    worker.start()
    assert reading.wait(timeout=30)
    beat = httpx.get(f"{demo.url}/heartbeat", timeout=10)
    answered.set()
    worker.join(timeout=60)
    assert beat.status_code == 200
    assert statuses == [200]


def test_a_request_and_its_decision_are_written_off_the_event_loop(
    demo: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, threads = demo.gov.requests, []
    for name in ("add", "save"):
        real = getattr(svc.repo, name)

        def spy(*args, _real=real):  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread())
            return _real(*args)

        monkeypatch.setattr(svc.repo, name, spy)
    data = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor",
            "justification": "Joins the newsletter team"}  # fmt: skip
    with demo.client("alice") as c:
        assert c.post("/ui/requests", data=data).status_code == 200
    rid = max(r.id or 0 for r in svc.repo.by_requester("alice"))
    plan = demo.run(svc.preview(svc.get(rid)))
    with demo.client("claire") as c:
        assert c.post(f"/ui/requests/{rid}/approve", data={"checksum": plan.checksum}).status_code == 200
    assert len(threads) >= 4  # the request; approved and applying; applied
    assert demo.server._thread not in threads


def test_only_the_newest_unfiltered_audit_page_of_a_checked_chain_is_read_on_the_loop(
    demo: RunningApp,
) -> None:
    """An index lookup stays on the loop (a thread hop costs more); a filter to count, or a chain
    never checked in this process, goes to a worker thread."""
    from lib.core.audit import AuditFilter

    log = demo.gov.audit_log
    assert not log.quick(AuditFilter())  # the first look hashes the whole chain
    with demo.client("claire") as c:
        assert c.get("/ui/audit").status_code == 200
    assert log.quick(AuditFilter())
    assert not log.quick(AuditFilter(text="claire"))
