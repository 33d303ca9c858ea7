"""Inputs that used to answer 500 get a sentence next to their field, and a big import does not stop the
worker (issue 13.7, 13.8)."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ex_app.demo import demo_org
from tests.conftest import RunningApp, make_settings
from tests.standin import StandIn

BIG = str(2**70)


def _import(app: RunningApp, text: str, lang: str = "en") -> httpx.Response:
    with app.client("claire", lang) as c:
        return c.post("/ui/organisation/import", data={"yaml_text": text})


def _refused_in_place(r: httpx.Response, sentence: str) -> None:
    assert r.status_code == 422, r.text[:300]
    assert sentence in r.text
    assert 'id="err-import-yaml_text"' in r.text


def test_yaml_nested_thousands_deep_is_refused_next_to_the_field(demo: RunningApp) -> None:
    version = demo.gov.orgs.version()
    r = _import(demo, "name: X\nworking_groups: " + "[" * 5000 + "]" * 5000)
    _refused_in_place(r, "The file nests lists and mappings too deeply to be an organisation file (line 2).")
    fr = _import(demo, "name: " + "{a: " * 3000, lang="fr")
    _refused_in_place(fr, "imbrique trop profondément")
    assert demo.gov.orgs.version() == version


def test_an_impossible_date_is_refused_next_to_the_field(demo: RunningApp) -> None:
    text = "name: X\nmemberships:\n  - {group: board, user: sophie, until: 2025-02-30}\n"
    _refused_in_place(_import(demo, text), "Membership 1 (end date), line 3: must be a date (YYYY-MM-DD).")


def test_a_value_yaml_cannot_build_is_refused_with_its_line(demo: RunningApp) -> None:
    _refused_in_place(
        _import(demo, "name: X\nworking_groups: !!int abc\n"), "This is not valid YAML (line 2)."
    )
    _refused_in_place(_import(demo, "name: X\x00"), "This is not valid YAML.")


def test_a_file_over_two_megabytes_is_refused_without_being_read_whole(demo: RunningApp) -> None:
    big = b"name: X\n" + b"# padding\n" * 220_000
    with demo.client("claire") as c:
        upload = c.post("/ui/organisation/import", files={"file": ("org.yaml", big, "application/yaml")})
        pasted = c.post("/ui/organisation/import", data={"yaml_text": big.decode()})
    _refused_in_place(upload, "The file is larger than 2 MB: that is not an organisation file.")
    assert len(upload.content) < 1_000_000  # the megabytes are not sent back
    # a pasted text over 1 MB is refused by the form parser itself (Starlette's limit on a form field)
    assert pasted.status_code == 400 and "maximum size" in pasted.text


def test_ids_beyond_64_bits_are_simply_not_found(demo: RunningApp) -> None:
    with demo.client("claire") as c:
        assert c.get(f"/ui/requests/{BIG}").status_code == 404
        assert c.post(f"/ui/requests/{BIG}/cancel").status_code == 404
        assert c.get(f"/actions/approve/{BIG}", params={"t": "x"}).status_code < 500
        assert c.get("/ui/audit", params={"page": BIG}).status_code == 200


def test_the_worker_answers_its_heartbeat_while_a_large_import_is_read(
    demo: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a large YAML file takes seconds; it runs in a thread, not on the event loop, so the
    heartbeat is answered while the reading is under way. The reading is held open until a heartbeat
    got its answer: on the loop, that heartbeat could never be answered and would time out."""
    from ex_app.routes import organisation

    reading, heartbeat_answered = threading.Event(), threading.Event()
    real_reading = organisation.org_from_yaml

    def held_reading(*args: object) -> object:
        reading.set()
        heartbeat_answered.wait(timeout=20)
        return real_reading(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(organisation, "org_from_yaml", held_reading)
    rows = "".join(f"  - {{group: nowhere, user: person{i:05d}}}\n" for i in range(12_000))
    upload = {"file": ("org.yaml", f"name: Big\nmemberships:\n{rows}".encode(), "application/yaml")}
    answers: list[int] = []

    def import_it() -> None:
        with demo.client("claire") as c:
            c.timeout = httpx.Timeout(300)
            answers.append(c.post("/ui/organisation/import", files=upload).status_code)

    worker = threading.Thread(target=import_it)
    worker.start()
    assert reading.wait(timeout=60), "the import never started reading"
    beat = httpx.get(f"{demo.url}/heartbeat", timeout=10)
    heartbeat_answered.set()
    worker.join(timeout=300)
    assert beat.status_code == 200
    assert answers == [422]  # read whole, then refused: there is no group "nowhere"


# ---- the audit search, on both databases ---------------------------------------------------------


@pytest.fixture
def on_db(standin: StandIn, db_url: str, tmp_path: Path) -> Iterator[RunningApp]:
    app = RunningApp(standin, make_settings(standin, db_url, tmp_path))
    app.seed(demo_org(date.today()))
    yield app
    app.stop()


def test_a_nul_byte_in_the_audit_search_finds_nothing_instead_of_failing(on_db: RunningApp) -> None:
    on_db.gov.audit.append("claire", "request.approved", "request:1", {})
    with on_db.client("sophie") as c:
        for field in ("text", "actor", "action"):
            r = c.get("/ui/audit", params={field: "request\x00"})
            assert r.status_code == 200, field
            assert "Request #1" not in r.text
            assert c.get("/api/audit.csv", params={field: "a\x00b"}).status_code == 200
        assert "Request #1" in c.get("/ui/audit", params={"text": "request"}).text


def test_the_audit_csv_defuses_a_leading_tab_or_carriage_return(on_db: RunningApp) -> None:
    on_db.gov.audit.append("\tclaire", "test.action", "\r=cmd", {})
    with on_db.client("sophie") as c:
        rows = list(csv.reader(io.StringIO(c.get("/api/audit.csv").text, newline="")))
    assert [rows[-1][4], *rows[-1][7:9]] == ["'\tclaire", "test.action", "'\r=cmd"]  # account, codes
    assert rows[-1][2] == "'\tclaire" and rows[-1][6] == "'\r=cmd"  # the same, as names and words
