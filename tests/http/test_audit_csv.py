"""The audit export as a French or English spreadsheet shows it (issue 14).

A treasurer opening ``governance-audit.csv`` in a French LibreOffice or Excel sees columns split on
``;``, accents intact, times as ``30/11/2026 10:15``, people by name with their e-mail, and what
happened in words; the account, the codes and the hash stay beside for whoever checks the chain.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from lib.core.request_kinds import SYSTEM_ACTOR
from tests.conftest import RunningApp


def exported(app: RunningApp, lang: str, uid: str = "sophie") -> list[list[str]]:
    with app.client(uid, lang) as c:
        answer = c.get("/api/audit.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.text.startswith("\ufeff")  # a spreadsheet reads it as UTF-8, accents intact
    text = answer.text.removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";" if lang == "fr" else ","))


def logged(app: RunningApp, actor: str, action: str, subject: str, detail: dict[str, str]) -> int:
    app.gov.audit.append(actor, action, subject, detail)
    return max(e.seq for e in app.gov.audit.entries())


def at_of(app: RunningApp, seq: int) -> datetime:
    entry = next(e for e in app.gov.audit.entries() if e.seq == seq)
    return datetime.fromisoformat(entry.at).astimezone(UTC)


def test_a_french_spreadsheet_reads_names_e_mails_words_and_french_times(demo: RunningApp) -> None:
    seq = logged(demo, "claire", "request.approved", "request:7", {})
    rows = exported(demo, "fr")
    assert rows[0] == ["N°", "Quand (UTC)", "Qui", "Adresse e-mail", "Compte", "Action", "Sujet",
                       "Code de l’action", "Code du sujet", "Empreinte"]  # fmt: skip
    row = next(r for r in rows[1:] if r[0] == str(seq))
    assert row[1] == at_of(demo, seq).strftime("%d/%m/%Y %H:%M")  # "30/11/2026 10:15", not ISO
    assert row[2:5] == ["Claire Dubois", "claire@example.org", "claire"]
    assert row[5:9] == ["Demande approuvée", "Demande n° 7", "request.approved", "request:7"]
    assert len(row[9]) == 64  # the chain's hash, to check it


def test_an_english_spreadsheet_reads_english_times_and_words(demo: RunningApp) -> None:
    seq = logged(demo, "claire", "request.rejected", "request:8", {})
    rows = exported(demo, "en", uid="claire")
    assert rows[0][:7] == ["No.", "When (UTC)", "Who", "E-mail", "Account", "Action", "Subject"]
    row = next(r for r in rows[1:] if r[0] == str(seq))
    at = at_of(demo, seq)
    assert row[1] == f"{at.month}/{at.day}/{at:%y} {at.strftime('%I:%M %p').lstrip('0')}"
    assert row[2:9] == ["Claire Dubois", "claire@example.org", "claire", "Request rejected", "Request #8",
                        "request.rejected", "request:8"]  # fmt: skip


@pytest.mark.parametrize(("lang", "who"), [("fr", "Gouvernance"), ("en", "Governance")])
def test_the_apps_own_entries_are_signed_by_the_app_without_an_e_mail(
    demo: RunningApp, lang: str, who: str
) -> None:
    seq = logged(demo, SYSTEM_ACTOR, "membership.expired", "communication:emma", {})
    row = next(r for r in exported(demo, lang)[1:] if r[0] == str(seq))
    assert row[2:5] == [who, "", SYSTEM_ACTOR]
    assert row[6] == ("Emma Petit dans Communication" if lang == "fr" else "Emma Petit in Communication")


def test_a_name_written_as_a_formula_stays_text(demo: RunningApp) -> None:
    demo.standin.users["nora"].display_name = '=HYPERLINK("http://x")'
    seq = logged(demo, "nora", "request.submitted", "@SUM(1)", {})
    row = next(r for r in exported(demo, "fr")[1:] if r[0] == str(seq))
    assert row[2] == '\'=HYPERLINK("http://x")' and row[8] == "'@SUM(1)"


def test_the_member_list_gives_end_dates_as_a_french_spreadsheet_reads_them(demo: RunningApp) -> None:
    soon = next(m.until for m in demo.gov.org().members_of("communication") if m.user == "emma")
    assert soon is not None
    with demo.client("sophie", "fr") as c:
        text = c.get("/api/groups/communication/members.csv").text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0] == ["Compte", "Nom", "Adresse e-mail", "Rôle", "Jusqu'au"]
    emma = next(r for r in rows if r[0] == "emma")
    assert emma[1:] == ["Emma Petit", "emma@example.org", "contributeur·ice", soon.strftime("%d/%m/%Y")]
