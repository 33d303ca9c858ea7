"""Notifications tell each person, in their own language, who did what, for whom and why.

nora, added by alice, reads "Alice Martin vous a ajouté·e à Communication comme contributeur·ice",
not "Your request was approved"; alice reads what became of her request; a rejection reaches only
the person who asked, with the operator's reason; facilitators read who asks to join which group.
"""

from __future__ import annotations

import re
from datetime import date

from ex_app.demo import demo_org
from lib.services.expiry import run_expiry
from tests.conftest import RunningApp


def said(app: RunningApp, uid: str) -> list[str]:
    """Each notification of ``uid`` as Nextcloud shows it: placeholders replaced by their names."""
    shown = []
    for n in app.standin.notifications:
        if n.user != uid:
            continue
        text = n.rich_subject
        for key, value in n.rich_subject_params.items():
            text = text.replace("{" + key + "}", value["name"])
        shown.append(f"{text} | {n.subject_params.get('rich_message', '')}")
    return shown


def french(app: RunningApp, *uids: str) -> None:
    for uid in uids:
        app.standin.users[uid].language = "fr"


def ask(app: RunningApp, lang: str = "fr", **fields: str) -> int:
    data = {"kind": "add_member", "group": "communication", "users": "nora", "role": "contributor",
            "justification": "Rejoint l'équipe de la lettre", **fields}  # fmt: skip
    with app.client("alice", lang) as c:
        r = c.post("/ui/requests", data=data)
    assert r.status_code == 200, r.text
    return int(re.search(r"/ui/requests/(\d+)/", r.text).group(1))  # type: ignore[union-attr]


def approve(app: RunningApp, rid: int) -> None:
    with app.client("claire") as c:
        page = c.get(f"/ui/requests/{rid}")
        checksum = re.search(r'name="checksum" value="([0-9a-f]+)"', page.text)
        assert checksum, page.text
        done = c.post(f"/ui/requests/{rid}/approve", data={"checksum": checksum.group(1)})
    assert done.status_code == 200, done.text


def test_the_person_added_reads_who_added_them_where_as_what_and_until_when(demo: RunningApp) -> None:
    french(demo, "alice", "nora")
    rid = ask(demo, until="2027-03-31")
    approve(demo, rid)
    assert said(demo, "nora") == [
        "Alice Martin vous a ajouté·e à Communication comme contributeur·ice."
        " | Votre accès prend fin le 31 mars 2027. Motif : Rejoint l'équipe de la lettre"
    ]
    assert said(demo, "alice") == [
        f"Votre demande #{rid} a été approuvée et appliquée : ajouter des personnes dans Communication."
        " | Approuvée par Claire Dubois."
    ]


def test_a_rejection_reaches_only_the_requester_with_the_reason(demo: RunningApp) -> None:
    french(demo, "alice", "nora")
    rid = ask(demo)
    with demo.client("claire") as c:
        assert c.post(f"/ui/requests/{rid}/reject", data={"reason": "Pas avant l'AG"}).status_code == 200
    assert said(demo, "nora") == []
    assert said(demo, "alice") == [
        f"Votre demande #{rid} a été refusée : ajouter des personnes dans Communication."
        " | Motif donné par Claire Dubois : Pas avant l'AG"
    ]


def test_in_english_the_person_added_reads_the_same_in_english(demo: RunningApp) -> None:
    rid = ask(demo, lang="en")
    approve(demo, rid)
    assert said(demo, "nora")[0].startswith("Alice Martin added you to Communication as contributor. | ")


def test_facilitators_read_who_asks_to_join_which_group(demo: RunningApp) -> None:
    french(demo, "alice")
    with demo.client("nora", "fr") as c:
        r = c.post(
            "/ui/requests", data={"kind": "join", "group": "communication", "justification": "J'écris"}
        )
    assert r.status_code == 200, r.text
    told = said(demo, "alice")
    assert len(told) == 1 and told[0].startswith("Nora Haddad demande à rejoindre Communication (#")
    assert "Motif : J'écris" in told[0]


def test_the_expiry_warning_names_the_person_the_group_and_the_day_in_french(running: RunningApp) -> None:
    today = date(2026, 11, 23)
    running.gov.today = lambda: today
    running.seed(demo_org(today))  # emma's access to communication ends on today + 5
    french(running, "alice")
    running.run(run_expiry(running.gov.requests, today))
    told = said(running, "alice")
    assert len(told) == 1
    assert told[0].startswith("Emma Petit : l’accès à Communication prend fin le 28 novembre 2026.")
    assert "Demander une prolongation" in told[0]


def test_a_request_from_the_only_operator_is_sent_to_nextclouds_administrators(running: RunningApp) -> None:
    """Nobody decides their own request: with no other operator, the administrators are told (who may
    decide too), never the app's own account; on a real Nextcloud the request waited unseen."""
    from dataclasses import replace

    org = demo_org(date.today())
    alone = tuple(m for m in org.memberships if m.group != "operations" or m.user == "claire")
    running.seed(replace(org, memberships=alone))
    running.standin.add_user("ivan", "Ivan Roux", admin=True)
    running.run(running.standin.register_exapp())
    with running.client("claire") as c:
        r = c.post("/ui/person/dave/offboard", data={"justification": "Quitte l'association"})
    assert r.status_code == 200, r.text[:300]
    told = {n.user for n in running.standin.notifications}
    assert "ivan" in told
    assert not told & {"claire", "admin"}
