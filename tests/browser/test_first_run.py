"""The first run in the browser, in French: a fresh install, the administrator starts from the template.

This module's ``demo`` is a fresh install (people in Nextcloud, no organisation), replacing the
shared one for the ``person`` fixture of tests/browser/conftest.py.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from ex_app.dev import Demo
from lib.core.model import OrgGroup
from lib.settings import Settings

pytestmark = pytest.mark.browser


async def start_fresh(storage: Path) -> Demo:
    """The stand-in with La Coop des Communs' people, the ExApp registered, nothing set up."""
    from ex_app.main import create_app
    from tests.servers import ServerThread, free_port
    from tests.standin import StandIn
    from tests.standin.demo import seed_demo

    app_port, secret = free_port(), secrets.token_urlsafe(24)
    standin = StandIn(app_secret=secret, exapp_url=f"http://127.0.0.1:{app_port}")
    seed_demo(standin)
    url = standin.start()
    settings = Settings(
        app_secret=secret, app_port=app_port, nextcloud_url=url, app_persistent_storage=storage,
        database_url="", governance_admin_user="admin",
    )  # fmt: skip
    app = create_app(settings)
    server = ServerThread(app, port=app_port)
    server.start()
    await standin.register_exapp()
    page = f"{url}/index.php/apps/app_api/embedded/{settings.app_id}/{settings.governance_menu_name}"
    return Demo(standin, server, app.state.gov, page)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    storage = tmp_path_factory.mktemp("fresh")
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        d = pool.submit(asyncio.run, start_fresh(storage)).result(timeout=120)
    yield d
    d.stop()


def test_a_member_is_told_who_to_ask_before_the_set_up(person: Any) -> None:
    nora = person("nora", "fr")
    page = nora.open()
    page.wait_for_selector("text=Gouvernance n'est pas encore mise en place")
    assert "Adressez-vous à un·e administrateur·ice : Administrateur·ice." in page.inner_text("#gov-main")
    assert page.locator("nav >> text=Paramètres").count() == 0


def test_the_administrator_sets_governance_up_from_the_template_in_french(person: Any, demo: Demo) -> None:
    admin = person("admin", "fr")
    page = admin.open()
    page.wait_for_selector("text=Mettre en place Gouvernance")
    main = page.inner_text("#gov-main")
    for choice in (
        "1. Adopter ce Nextcloud",
        "2. Importer un fichier d'organisation",
        "3. Partir d'un petit modèle",
    ):
        assert choice in main
    page.fill("#template-name", "La Coop des Communs")
    page.fill("#template-group_name", "Jardins partagés")
    page.fill("#template-folder", "Jardins")
    page.fill("#template-users", "Claire Martin")  # a display name names one account
    admin.shot("first-run-template")
    page.click("#setup-template-form button[type=submit]")
    page.wait_for_selector("text=Ce que l'enregistrement changera dans Nextcloud")
    assert "Mettre en place Gouvernance pour La Coop des Communs" in page.inner_text("#gov-main")
    assert demo.gov.orgs.version() == 0  # the plan is shown; nothing saved yet
    admin.shot("first-run-plan")
    page.click("text=Enregistrer et appliquer")
    page.wait_for_selector("text=changements appliqués")
    assert "Jardins partagés" in page.inner_text("#gov-main")
    org = demo.gov.org()
    assert [m.user for m in org.members_of(OrgGroup.OPERATIONS)] == ["claire"]
    assert demo.standin.folder_by_mount("Jardins") is not None
    page.click("nav >> text=Paramètres")
    page.wait_for_selector("text=Vérifications")
    assert "Claire Martin (claire)" in page.inner_text("#gov-main")
    admin.shot("first-run-settings")
