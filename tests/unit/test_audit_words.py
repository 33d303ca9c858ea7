"""Every action the app writes to the audit log has words, in French too (issue 14).

The page and the CSV export say "Demande approuvée", never ``request.approved``: an action written
somewhere in the code without an entry in ex_app/audit_words.ACTIONS would be shown as its code.
"""

from __future__ import annotations

import re
from pathlib import Path

from ex_app.audit_words import ACTIONS
from lib.i18n import gettext

ROOT = Path(__file__).resolve().parents[2]
WRITTEN = re.compile(r"""(?:audit\.append|_audit)\(\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)\"""")


def written_actions() -> set[str]:
    files = [*ROOT.joinpath("lib").rglob("*.py"), *ROOT.joinpath("ex_app").rglob("*.py")]
    return {action for f in files for action in WRITTEN.findall(f.read_text(encoding="utf-8"))}


def test_every_action_written_to_the_log_has_words_in_french() -> None:
    written = written_actions()
    assert {"request.approved", "plan.apply", "membership.expired"} <= written  # the scan finds them
    assert sorted(written - set(ACTIONS)) == []
    untranslated = [a for a in written if gettext("fr", ACTIONS[a]) == ACTIONS[a]]
    assert untranslated == []
