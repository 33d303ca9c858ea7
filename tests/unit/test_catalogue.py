"""No English sentence of the app reaches a French reader.

Every message the app can show is found by the same extraction ``make i18n-extract`` runs (its
command is read from the Makefile, so the two cannot drift); each must be in the French catalogue
with a French text. A text may equal its English id only when it is one word ("Action",
"Modification", "Nextcloud") or no words at all ("%(group)s (%(role)s)").
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "lib" / "locale"


def _catalogue(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


def _extracted(tmp_path: Path) -> Catalog:
    """The Makefile's ``pybabel extract`` line, run into a temporary template."""
    makefile = (ROOT / "Makefile").read_text()
    line = next(ln.strip() for ln in makefile.splitlines() if "pybabel extract" in ln)
    args = shlex.split(line.replace("$(BIN)/pybabel", ""))
    out = args.index("-o")
    args[out + 1] = str(tmp_path / "messages.pot")
    cli = [sys.executable, "-c", "from babel.messages.frontend import main; main()"]
    subprocess.run([*cli, *args], cwd=ROOT, check=True, capture_output=True)
    with (tmp_path / "messages.pot").open("rb") as f:
        return read_po(f)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", re.sub(r"%\(\w+\)s|\{\w+\}", "", text))


def _texts(message: object) -> tuple[str, ...]:
    value = getattr(message, "string", "")
    return tuple(value) if isinstance(value, tuple | list) else (str(value or ""),)


def _ids(message: object) -> tuple[str, ...]:
    value = getattr(message, "id", "")
    return tuple(value) if isinstance(value, tuple | list) else (str(value),)


def test_every_message_the_app_shows_is_in_the_french_catalogue(tmp_path: Path) -> None:
    french = _catalogue("fr")
    missing = [m.id for m in _extracted(tmp_path) if m.id and m.id not in french]
    assert missing == [], f"run `make i18n-extract` and translate: {missing}"


@pytest.mark.parametrize("lang", ["fr"])
def test_every_french_entry_is_translated_into_french(lang: str) -> None:
    untranslated = []
    for m in _catalogue(lang):
        if not m.id:
            continue
        texts, ids = _texts(m), _ids(m)
        if m.fuzzy or not all(t.strip() for t in texts):
            untranslated.append(m.id)
        elif any(t == i and len(_words(i)) > 1 for t, i in zip(texts, ids, strict=False)):
            untranslated.append(m.id)
    assert untranslated == []


def test_placeholders_survive_translation() -> None:
    """A French text that lost or renamed a ``%(name)s`` or ``{name}`` would fail at run time."""
    broken = []
    for m in _catalogue("fr"):
        if not m.id:
            continue
        wanted = set(re.findall(r"%\(\w+\)s|\{\w+\}", _ids(m)[-1]))
        for text in _texts(m):
            if text and set(re.findall(r"%\(\w+\)s|\{\w+\}", text)) != wanted:
                broken.append((m.id, text))
    assert broken == []


def test_every_core_message_is_marked_for_extraction() -> None:
    """lib/core/codes.py stays pure; lib/core_messages.py marks its sentences for the catalogue."""
    from lib.core.codes import MESSAGES
    from lib.core_messages import CORE_MESSAGES

    assert set(MESSAGES.values()) - set(CORE_MESSAGES) == set()
