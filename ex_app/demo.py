"""La Coop des Communs (DOMAIN.md, seeds/000): the demo organisation `make run` starts with."""

from __future__ import annotations

from datetime import date, timedelta

from lib.core.model import Grant, Membership, Organisation, OrgGroup, Right, Role, WorkingGroup, role_ref


def demo_org(today: date) -> Organisation:
    C, F, R = Role.CONTRIBUTOR, Role.FACILITATOR, Role.READER
    groups = (
        WorkingGroup(
            "communication",
            "Communication",
            "Site web, lettre d'information et réseaux sociaux de la coopérative.",
            grants=(
                Grant(role_ref("communication", R), Right.NONE, "Interne"),
                Grant(role_ref("communication", C), Right.MODIFY, "Interne"),
            ),
        ),
        WorkingGroup(
            "administratif",
            "Administratif et gestion",
            "Comptabilité, adhésions, assurances : seules deux personnes y écrivent.",
            grants=(Grant(role_ref("jardins", C), Right.CONSULT),),
        ),
        WorkingGroup(
            "jardins", "Jardins partagés", "Les trois jardins du quartier, leurs plannings et outils."
        ),
        WorkingGroup("education", "Éducation populaire", "Ateliers, formations et soirées-débats."),
    )
    soon = today + timedelta(days=5)
    people = [
        Membership("communication", "alice", F),
        Membership("communication", "dave", C),
        Membership("communication", "emma", C, until=soon),
        Membership("communication", "yann", R),
        Membership("administratif", "ines", F),
        Membership("administratif", "hugo", C),
        Membership("jardins", "lucas", F),
        Membership("jardins", "nora", C),
        Membership("jardins", "yann", C),
        Membership("education", "emma", F),
        Membership("education", "paul", C),
        Membership(OrgGroup.OPERATIONS, "claire"),
        Membership(OrgGroup.OPERATIONS, "malik"),
        Membership(OrgGroup.BOARD, "sophie"),
        Membership(OrgGroup.BOARD, "paul"),
    ]
    everyone = sorted({m.user for m in people})
    people += [Membership(OrgGroup.MEMBERS, u) for u in everyone]
    return Organisation("La Coop des Communs", groups, tuple(people))
