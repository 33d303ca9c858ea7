"""Demo people of "La Coop des Communs" (shared/DOMAIN.md, seeds/000_…): users only, plus group ``admin``.

The Governance app itself creates the working-group groups and team folders.
"""

from __future__ import annotations

from tests.standin.server import StandIn

DOMAIN = "coopdescommuns.example"
PEOPLE = [
    ("claire", "Claire Martin"),  # équipe opérationnelle
    ("malik", "Malik Benali"),  # équipe opérationnelle
    ("sophie", "Sophie Lefèvre"),  # membre du CA
    ("paul", "Paul Girard"),  # membre du CA
    ("alice", "Alice Moreau"),  # animatrice du groupe Communication
    ("dave", "David Rousseau"),
    ("emma", "Emma Fontaine"),
    ("hugo", "Hugo Lambert"),
    ("ines", "Inès Chevalier"),
    ("lucas", "Lucas Mercier"),
    ("nora", "Nora Haddad"),
    ("yann", "Yann Le Goff"),
]


def seed_demo(s: StandIn) -> None:
    """The administrator (DSI) and twelve members; passwords are the uids (stand-in convention)."""
    s.add_user("admin", "Administrateur·ice", f"admin@{DOMAIN}", admin=True)
    for uid, name in PEOPLE:
        s.add_user(uid, name, f"{uid}@{DOMAIN}")
