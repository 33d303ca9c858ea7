"""The database adapter on SQLite and PostgreSQL: migrations, organisation, audit chain, journal, locks."""

from __future__ import annotations

from contextvars import Context, copy_context
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, inspect, text

from ex_app.demo import demo_org
from lib.core.changes import AddMember, CreateGroup
from lib.core.requests import submit
from lib.store.audit_check import check
from lib.store.audit_repo import AuditFilter, SqlAuditLog
from lib.store.db import current_revision, make_engine, migrate
from lib.store.journal import SqlJournal
from lib.store.org_repo import OrgRepository, StaleOrganisation, one_version_per_request
from lib.store.requests_repo import ConcurrentUpdate, RequestRepository


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    e = make_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


def test_migrations_upgrade_an_empty_database(db_url: str) -> None:
    e = make_engine(db_url)
    migrate(e)
    assert current_revision(e) == "0006"
    assert {"working_groups", "memberships", "audit_log", "access_requests", "locks"} <= set(
        inspect(e).get_table_names()
    )
    e.dispose()


def test_migrations_upgrade_a_database_from_the_previous_revision_keeping_its_data(db_url: str) -> None:
    e = make_engine(db_url)
    migrate(e, "0001")
    OrgRepository(e).save(demo_org(date(2026, 1, 1)))
    SqlAuditLog(e).append("claire", "organisation.changed", "org", {})
    migrate(e)
    assert current_revision(e) == "0006"
    assert len(OrgRepository(e).load().working_groups) == 4
    assert check(SqlAuditLog(e)).ok
    e.dispose()


def test_the_organisation_round_trips_and_refuses_a_stale_save(engine) -> None:  # type: ignore[no-untyped-def]
    repo = OrgRepository(engine)
    org = demo_org(date(2026, 1, 1))
    v = repo.save(org)
    assert repo.load() == org
    repo.save(org, expected_version=v)
    with pytest.raises(StaleOrganisation):
        repo.save(org, expected_version=v)


def test_the_audit_chain_detects_an_edited_entry(engine) -> None:  # type: ignore[no-untyped-def]
    audit = SqlAuditLog(engine)
    for i in range(5):
        audit.append("claire", "request.approved", f"request:{i}", {"n": i})
    assert check(audit).ok and check(audit).checked == 5
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"))
    broken = check(audit)
    assert not broken.ok and broken.first_broken_seq == 3


def test_audit_filters_and_csv_escape_formulas(engine) -> None:  # type: ignore[no-untyped-def]
    audit = SqlAuditLog(engine)
    audit.append("alice", "request.submitted", '=HYPERLINK("x")', {})
    audit.append("claire", "request.approved", "request:1", {})
    entries, total = audit.page(AuditFilter(actor="claire"))
    assert total == 1 and entries[0].action == "request.approved"
    csv = "".join(audit.csv())
    assert "'=HYPERLINK" in csv and "request.approved" in csv


def test_a_journal_run_resumes_only_what_is_not_done(engine) -> None:  # type: ignore[no-untyped-def]
    journal = SqlJournal(engine)
    changes = [CreateGroup("gt-x-membres"), AddMember("gt-x-membres", "nora")]
    journal.begin("run-1", changes, "claire", None)
    journal.mark_running("run-1", changes[0])
    journal.mark_done("run-1", changes[0], "created")
    assert journal.pending("run-1") == [changes[1]]
    assert journal.unfinished_runs() == []  # its holder (this process) applies it
    restarted = SqlJournal(engine, stale_after=0)  # the next process finds the holder silent
    assert restarted.unfinished_runs() == ["run-1"]
    restarted.begin("run-1", changes, "claire", None)  # a restart begins the same run again: nothing doubles
    assert restarted.claim("run-1") and restarted.pending("run-1") == [changes[1]]
    restarted.mark_done("run-1", changes[1], "added")
    assert restarted.unfinished_runs() == [] and journal.run_status("run-1") == "done"


def test_a_run_is_held_by_the_process_that_began_it_and_its_first_change_is_in_doubt_if_it_died(
    engine,
) -> None:  # type: ignore[no-untyped-def]
    journal = SqlJournal(engine)
    changes = [CreateGroup("gt-x-membres"), AddMember("gt-x-membres", "nora")]
    journal.begin("run-1", changes, "claire", None)

    assert journal.fresh("run-1") == changes  # held from memory, by one task only
    assert journal.fresh("run-1") is None and not journal.claim("run-1")
    # it died before its first call answered: whether that call reached Nextcloud is unknown
    restarted = SqlJournal(engine, stale_after=0)
    assert restarted.fresh("run-1") is None  # another process claims it
    assert restarted.unfinished_runs() == ["run-1"] and restarted.claim("run-1")
    assert restarted.started("run-1") == {changes[0].key}
    assert restarted.pending("run-1") == changes


def test_a_run_its_task_never_applied_is_resumed_by_its_own_process_once_silent(engine) -> None:  # type: ignore[no-untyped-def]
    changes = [CreateGroup("gt-x-membres")]
    live = SqlJournal(engine)
    live.begin("run-1", changes, "claire", None)
    assert live.unfinished_runs() == []  # the task that began it applies it
    gone = SqlJournal(engine, stale_after=0)  # the same process, once that task stayed silent
    gone.holder = live.holder
    gone.begin("run-2", changes, "claire", None)

    assert gone.unfinished_runs() == ["run-1", "run-2"] and gone.claim("run-2")
    assert gone.fresh("run-2") is None  # taken: the task that began it would be refused


def test_two_decisions_on_one_request_version_cannot_both_be_saved(engine) -> None:  # type: ignore[no-untyped-def]
    repo = RequestRepository(engine)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    req = repo.add(submit(kind="join", requester="nora", group="communication", justification="hi", now=now))
    from lib.core.requests import cancel

    repo.save(cancel(req, "nora", now), req.version)
    with pytest.raises(ConcurrentUpdate):
        repo.save(cancel(req, "nora", now), req.version)
    assert repo.get(req.id).state.value == "cancelled"  # type: ignore[arg-type,union-attr]


def test_a_nonce_is_usable_once(engine) -> None:  # type: ignore[no-untyped-def]
    repo = RequestRepository(engine)
    assert repo.use_nonce("abc") is True
    assert repo.use_nonce("abc") is False


def test_only_one_process_holds_a_task_lease_until_it_expires(engine) -> None:  # type: ignore[no-untyped-def]
    repo = RequestRepository(engine)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    assert repo.try_lock("expiry", "p1", timedelta(minutes=10), now)
    assert not repo.try_lock("expiry", "p2", timedelta(minutes=10), now + timedelta(minutes=1))
    assert repo.try_lock("expiry", "p1", timedelta(minutes=10), now + timedelta(minutes=2))  # renewal
    assert repo.try_lock("expiry", "p2", timedelta(minutes=10), now + timedelta(minutes=30))


def test_a_request_asks_the_database_for_the_organisation_version_once_and_sees_its_own_save(
    engine,  # type: ignore[no-untyped-def]
) -> None:
    repo, other_worker = OrgRepository(engine), OrgRepository(engine)
    repo.save(demo_org(date(2026, 1, 1)))
    version_reads: list[str] = []
    event.listen(
        engine,
        "before_cursor_execute",
        lambda _c, _cur, sql, *_: (
            version_reads.append(sql) if sql.startswith("SELECT org_settings.value") else None
        ),
    )

    def request() -> None:
        one_version_per_request()
        first = repo.load()
        Context().run(other_worker.save, replace(first, name="Saved by another worker"))
        asked = len(version_reads)
        assert repo.load() is first and len(version_reads) == asked  # no second query
        repo.save(replace(first, name="Saved here"))
        assert repo.load().name == "Saved here"

    copy_context().run(request)
    assert repo.load().name == "Saved here"  # outside a request: checked every time
    other_worker.save(replace(repo.load(), name="Saved by another worker"))
    assert repo.load().name == "Saved by another worker"


def test_a_save_of_a_few_changes_writes_only_those_and_reads_back_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from sqlalchemy import event

    from lib.core.model import Membership, Organisation, Role, WorkingGroup
    from lib.store.db import make_engine, migrate
    from lib.store.org_repo import OrgRepository

    engine = make_engine(f"sqlite:///{tmp_path / 'o.sqlite3'}")
    migrate(engine)
    repo = OrgRepository(engine)
    people = tuple(Membership("com", f"u{i}", Role.CONTRIBUTOR) for i in range(300))
    org = Organisation("Coop", (WorkingGroup("com", "Communication"),), people)
    repo.save(org)
    stored = repo.load()
    changed = Organisation(
        "Coop",
        stored.working_groups,
        (*stored.memberships[1:], Membership("com", "erin", Role.READER, date(2027, 1, 31))),
    )
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st.split()[0]))
    repo.save(changed, expected_version=repo.version())
    assert statements.count("DELETE") == 1 and statements.count("INSERT") == 1  # not 300 rows again
    again = OrgRepository(engine).load()
    assert set(again.memberships) == set(changed.memberships)


def test_a_save_changing_memberships_in_the_middle_writes_only_those(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lib.core.model import Membership, Organisation, Role, WorkingGroup

    engine = make_engine(f"sqlite:///{tmp_path / 'o.sqlite3'}")
    migrate(engine)
    repo = OrgRepository(engine)
    people = tuple(Membership("com", f"u{i}", Role.CONTRIBUTOR) for i in range(300))
    repo.save(Organisation("Coop", (WorkingGroup("com", "Communication"),), people))
    stored = repo.load().memberships
    same_again = Membership("com", "u150", Role.CONTRIBUTOR)  # another object, the same membership
    middle = (*stored[:150], same_again, Membership("com", "u151", Role.READER), *stored[152:])
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, st, *a: statements.append(st.split()[0]))

    repo.save(replace(repo.load(), memberships=middle), expected_version=repo.version())

    assert statements.count("DELETE") == 1 and statements.count("INSERT") == 1  # u151's role only
    assert set(OrgRepository(engine).load().memberships) == set(middle)
