"""The top-menu entry says "Gouvernance" to a French reader.

AppAPI names the entry ``IFactory::get($appId)->t($displayName)``
(nextcloud/app_api lib/Listener/LoadMenuEntriesListener.php): Nextcloud's translation of the
registered display name from the ExApp's ``l10n/<lang>.json``, which AppAPI extracts from the
release (docker install) or the administrator copies (manual install), and nc_py_api serves.
"""

from __future__ import annotations

import json
from pathlib import Path

from lib.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_french_l10n_file_translates_the_registered_menu_name() -> None:
    data = json.loads((ROOT / "l10n" / "fr.json").read_text(encoding="utf-8"))
    assert data["translations"][Settings.model_fields["app_display_name"].default] == "Gouvernance"
    assert data["pluralForm"] == "nplurals=2; plural=(n > 1);"


def test_the_image_ships_the_l10n_folder() -> None:
    assert "COPY l10n l10n" in (ROOT / "Dockerfile").read_text().splitlines()
