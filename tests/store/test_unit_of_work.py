"""One unit of work: a decision's request, organisation, journal and audit entries commit together.

On SQLite and PostgreSQL (lib/store/unit.py, lib/store/counting.py; issue 12 "One unit of work",
issue 17: audit appends take turns on the chain head in the database).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, Engine

from ex_app.demo import demo_org
from lib.core.changes import AddMember, CreateGroup
from lib.core.request_kinds import AccessRequest, RequestState
from lib.core.requests import cancel, submit
from lib.store.audit_repo import SqlAuditLog
from lib.store.counting import count_transactions
from lib.store.db import make_engine, migrate
from lib.store.journal import SqlJournal
from lib.store.org_repo import OrgRepository, StaleOrganisation
from lib.store.requests_repo import ConcurrentUpdate, RequestRepository
from lib.store.unit import unit_of_work

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CHANGES = [CreateGroup("gt-x-membres"), AddMember("gt-x-membres", "nora")]


class Boom(Exception):
    """A failure after every write of a decision (a bug, a crash of the service)."""


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


class Store:
    """The four repositories a decision writes to, on one engine (one worker process)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.orgs = OrgRepository(engine)
        self.requests = RequestRepository(engine)
        self.journal = SqlJournal(engine)
        self.audit = SqlAuditLog(engine)

    def submitted(self, requester: str = "nora") -> AccessRequest:
        return self.requests.add(
            submit(kind="join", requester=requester, group="communication", justification="hi", now=NOW)
        )

    def decide(self, req: AccessRequest, run_id: str, org_version: int) -> None:
        """What an approval writes: the request's new state, the organisation, the run, the audit."""
        self.requests.save(cancel(req, req.requester, NOW), req.version)
        org = self.orgs.load()
        self.orgs.save(replace(org, name=f"after {run_id}"), expected_version=org_version)
        self.journal.begin(run_id, CHANGES, "claire", req.id)
        self.audit.append("claire", "request.approved", f"request:{req.id}", {"run": run_id})


@pytest.fixture
def store(engine: Engine) -> Store:
    s = Store(engine)
    s.orgs.save(demo_org(date(2026, 1, 1)))
    return s


def test_a_failure_after_every_write_of_a_decision_stores_none_of_them(store: Store) -> None:
    req = store.submitted()
    version = store.orgs.version()
    with pytest.raises(Boom), unit_of_work(store.engine):
        store.decide(req, "run-1", version)
        store.submitted("emma")
        assert store.requests.use_nonce("link-1")
        raise Boom
    assert store.requests.get(req.id) == req  # type: ignore[arg-type]
    assert [r.requester for r in store.requests.by_requester("emma")] == []
    assert store.orgs.version() == version and store.orgs.load() == demo_org(date(2026, 1, 1))
    assert store.journal.run_status("run-1") is None and store.journal.unfinished_runs() == []
    assert store.audit.verify_whole_chain().checked == 0
    assert store.requests.use_nonce("link-1")  # the decision link was not spent


def test_a_decision_in_a_unit_is_one_write_transaction(store: Store) -> None:
    first, second = store.submitted(), store.submitted("emma")
    with count_transactions(store.engine) as alone:
        store.decide(first, "run-alone", store.orgs.version())
    with count_transactions(store.engine) as united, unit_of_work(store.engine):
        store.decide(second, "run-unit", store.orgs.version())
    assert alone.writes == 4 and united.writes == 1 and united.rolled_back == 0
    assert store.requests.get(second.id).state == RequestState.CANCELLED  # type: ignore[arg-type,union-attr]
    assert store.orgs.load().name == "after run-unit" and store.journal.run_status("run-unit") == "running"
    assert store.audit.verify_whole_chain().ok and store.audit.verify_whole_chain().checked == 2


def test_single_statement_reads_are_counted_apart_from_writes(store: Store) -> None:
    req = store.submitted()
    with count_transactions(store.engine) as counted:
        store.requests.get(req.id)  # type: ignore[arg-type]
        store.journal.unfinished_runs()
        store.orgs.version()
    assert counted.reads == 3 and counted.writes == 0


def test_a_stale_organisation_rolls_the_whole_unit_back(store: Store) -> None:
    req = store.submitted()
    seen = store.orgs.version()
    store.orgs.save(replace(store.orgs.load(), name="Saved by another operator"))
    with count_transactions(store.engine) as counted, pytest.raises(StaleOrganisation):
        with unit_of_work(store.engine):
            store.decide(req, "run-1", seen)
    assert counted.writes == 1 and counted.rolled_back == 1
    assert store.requests.get(req.id).state == req.state  # type: ignore[arg-type,union-attr]
    assert store.orgs.load().name == "Saved by another operator"


def test_a_request_decided_meanwhile_rolls_the_whole_unit_back(store: Store) -> None:
    req = store.submitted()
    store.requests.save(cancel(req, "nora", NOW), req.version)  # another operator was first
    with pytest.raises(ConcurrentUpdate), unit_of_work(store.engine):
        store.audit.append("claire", "request.approved", f"request:{req.id}", {})
        store.requests.save(cancel(req, "nora", NOW), req.version)
    assert store.audit.verify_whole_chain().checked == 0


def test_the_journal_of_a_decision_is_pending_at_commit_then_each_step_is_its_own_transaction(
    store: Store,
) -> None:
    other_worker = SqlJournal(make_engine(str(store.engine.url)), stale_after=0)  # holders look dead
    with unit_of_work(store.engine):
        store.journal.begin("run-1", CHANGES, "claire", None)
        assert store.journal.pending("run-1") == CHANGES  # the unit reads its own writes
        assert other_worker.unfinished_runs() == []  # nobody else sees an uncommitted run
    assert other_worker.pending("run-1") == CHANGES and other_worker.unfinished_runs() == ["run-1"]
    with count_transactions(store.engine) as counted:
        store.journal.begin("run-1", CHANGES, "claire", None)  # applying begins the run again
        for change in CHANGES:
            store.journal.mark_running("run-1", change)
            store.journal.mark_done("run-1", change, "ok")
    assert counted.writes == 4  # one per step; beginning a running run again writes nothing
    assert store.journal.run_status("run-1") == "done" and store.journal.pending("run-1") == []


def test_inside_a_unit_the_organisation_read_is_the_one_saved_in_it_until_it_rolls_back(
    store: Store,
) -> None:
    before = store.orgs.load()
    version = store.orgs.version()
    with pytest.raises(Boom), unit_of_work(store.engine):
        store.orgs.save(replace(before, name="Draft"), expected_version=version)
        assert store.orgs.load().name == "Draft" and store.orgs.version() == version + 1
        raise Boom
    assert store.orgs.load() == before and store.orgs.version() == version
    with unit_of_work(store.engine):
        saved = store.orgs.save(replace(before, name="Kept"), expected_version=version)
    assert saved == version + 1 and store.orgs.load().name == "Kept"


def test_a_unit_inside_a_unit_is_undone_alone_when_it_fails(store: Store) -> None:
    req = store.submitted()
    with unit_of_work(store.engine):
        store.audit.append("claire", "request.seen", f"request:{req.id}", {})
        with pytest.raises(Boom), unit_of_work(store.engine):
            store.requests.save(cancel(req, "nora", NOW), req.version)
            store.audit.append("claire", "request.cancelled", f"request:{req.id}", {})
            raise Boom
        assert store.requests.use_nonce("link-1") and not store.requests.use_nonce("link-1")
    assert store.requests.get(req.id).state == req.state  # type: ignore[arg-type,union-attr]
    entries = list(store.audit.entries())
    assert [e.action for e in entries] == ["request.seen"] and store.audit.verify_whole_chain().ok
    assert not store.requests.use_nonce("link-1")  # the outer unit's writes were committed


def test_units_of_two_workers_at_once_lose_no_audit_entry_and_keep_one_chain(store: Store) -> None:
    """Two engines stand for two worker processes; each runs decisions in units from 4 threads."""
    workers = [store, Store(make_engine(str(store.engine.url)))]
    requests = [store.submitted(f"user{i}") for i in range(24)]

    def decide(i: int) -> None:
        worker = workers[i % 2]
        with unit_of_work(worker.engine):
            worker.requests.save(cancel(requests[i], requests[i].requester, NOW), requests[i].version)
            worker.journal.begin(f"run-{i}", CHANGES, "claire", requests[i].id)
            worker.audit.append("claire", "request.approved", f"request:{requests[i].id}", {})
            worker.audit.append("claire", "plan.apply", "2 change(s)", {"run": i})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(decide, range(24)))
    check = SqlAuditLog(store.engine).verify_whole_chain()
    assert check.ok and check.checked == 48
    entries = list(store.audit.entries())
    assert [e.seq for e in entries] == list(range(1, 49))
    for i in range(24):  # a unit's two entries are never split by another unit's
        first = next(n for n, e in enumerate(entries) if e.subject == f"request:{requests[i].id}")
        assert entries[first + 1].detail == {"run": i}
    assert len(SqlJournal(store.engine, stale_after=0).unfinished_runs()) == 24  # seen as left by the dead
    workers[1].engine.dispose()


def test_an_append_waits_for_the_chain_head_held_by_a_unit_then_follows_it(store: Store) -> None:
    """The second appender waits in the database (no retry): its entry comes after the unit's."""
    holding, release = threading.Event(), threading.Event()
    other = SqlAuditLog(make_engine(str(store.engine.url)))
    appended = threading.Event()

    def hold(_conn: Connection) -> None:  # after the unit's append took the chain head
        holding.set()
        release.wait(10)

    def unit() -> None:
        with unit_of_work(store.engine) as u:
            store.audit.append("claire", "request.approved", "request:1", {})
            u.before_commit(hold)

    def append() -> None:
        holding.wait(10)
        other.append("alice", "request.submitted", "request:2", {})
        appended.set()

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(unit), pool.submit(append)]
        assert holding.wait(10)
        assert not appended.wait(0.5)  # the chain head is held until the unit commits
        release.set()
        for f in done:
            f.result(timeout=10)
    assert [(e.seq, e.subject) for e in store.audit.entries()] == [(1, "request:1"), (2, "request:2")]
    assert store.audit.verify_whole_chain().ok


def test_of_two_workers_saving_the_organisation_from_one_version_exactly_one_wins(store: Store) -> None:
    """The version check and the save are one locked step (SQLite: BEGIN IMMEDIATE; PostgreSQL:
    the version row FOR UPDATE), inside a unit or alone."""
    seen, org = store.orgs.version(), store.orgs.load()
    workers = [store, *(Store(make_engine(str(store.engine.url))) for _ in range(3))]

    def save(i: int) -> str:
        try:
            if i % 2:
                with unit_of_work(workers[i % 4].engine):
                    workers[i % 4].orgs.save(replace(org, name=f"by {i}"), expected_version=seen)
            else:
                workers[i % 4].orgs.save(replace(org, name=f"by {i}"), expected_version=seen)
        except StaleOrganisation:
            return "stale"
        return "saved"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(save, range(8)))
    assert outcomes.count("saved") == 1 and store.orgs.version() == seen + 1
    assert store.orgs.load().name == f"by {outcomes.index('saved')}"
    for worker in workers[1:]:
        worker.engine.dispose()


def test_what_waits_for_the_commit_runs_once_it_is_done_and_never_after_a_rollback(store: Store) -> None:
    done: list[str] = []
    with pytest.raises(Boom), unit_of_work(store.engine) as unit:
        unit.after_commit(lambda: done.append("rolled back"))
        raise Boom
    with unit_of_work(store.engine) as unit:
        with unit_of_work(store.engine) as inner:
            inner.after_commit(lambda: done.append("inner"))
        unit.after_commit(lambda: done.append("outer"))
        assert done == []
    assert done == ["inner", "outer"]


def test_saves_of_several_workers_at_once_each_get_the_next_version(store: Store) -> None:
    """Saves without a version check still count up: a cache keyed by version never sees one twice."""
    first, org = store.orgs.version(), store.orgs.load()
    workers = [store, *(Store(make_engine(str(store.engine.url))) for _ in range(3))]

    def save(i: int) -> int:
        if i % 2:
            with unit_of_work(workers[i % 4].engine):
                return workers[i % 4].orgs.save(replace(org, name=f"by {i}"))
        return workers[i % 4].orgs.save(replace(org, name=f"by {i}"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(save, range(8)))
    assert sorted(versions) == list(range(first + 1, first + 9)) and store.orgs.version() == first + 8
    assert store.orgs.load().name == f"by {versions.index(first + 8)}"
    for worker in workers[1:]:
        worker.engine.dispose()
