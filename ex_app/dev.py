"""`make run`: a real Nextcloud when NEXTCLOUD_URL is set, else the stand-in with a demo organisation.

With no Nextcloud: starts the Nextcloud stand-in (tests/standin) seeded with demo users, this ExApp,
registers the ExApp with the stand-in as AppAPI would (heartbeat, init, enable), stores the demo
organisation, applies it to the stand-in, and prints the one URL to open: it logs the browser in to the
stand-in as alice and lands on the working groups. The demo keeps its database in ``.data/`` across
runs; ``make demo-reset`` (``python -m ex_app.dev --fresh``) starts from the demo organisation again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lib.settings import Settings

log = logging.getLogger("governance.dev")
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Demo:
    standin: Any
    server: Any
    gov: Any
    page_url: str

    def start_url(self, uid: str = "alice", lang: str = "") -> str:
        """Logs the browser in to the stand-in as ``uid`` and opens the working groups."""
        query = urlencode({"user": uid, "next": self.page_url.split(self.standin.url, 1)[1] + "/groups"})
        return f"{self.standin.url}/standin/login?{query}" + (f"&lang={lang}" if lang else "")

    def stop(self) -> None:
        self.server.stop()
        self.standin.stop()


async def start_demo(standin_port: int = 0, app_port: int = 0, storage: Path = ROOT / ".data") -> Demo:
    """The stand-in + the ExApp + La Coop des Communs, registered and applied."""
    from tests.servers import ServerThread, free_port
    from tests.standin import StandIn
    from tests.standin.demo import seed_demo

    from .demo import demo_org
    from .main import create_app

    app_port = app_port or free_port()
    secret = secrets.token_urlsafe(32)  # Settings refuse a weak secret: a strong one, new each run
    standin = StandIn(app_secret=secret, exapp_url=f"http://127.0.0.1:{app_port}")
    seed_demo(standin)
    url = standin.start(port=standin_port)
    settings = Settings(
        app_secret=secret,
        app_port=app_port,
        nextcloud_url=url,
        app_persistent_storage=storage,
        database_url="",
        governance_admin_user="admin",
    )
    app = create_app(settings)
    gov = app.state.gov
    server = ServerThread(app, port=app_port)
    server.start()
    if not gov.org().working_groups:
        gov.orgs.save(demo_org(date.today()))
    await standin.register_exapp()
    _plan, result = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(gov.sync.apply("system"), server.loop)
    )
    if not result.ok:
        log.warning("the demo organisation was not fully applied: %s", result.error)
    page = f"{url}/index.php/apps/app_api/embedded/{settings.app_id}/{settings.governance_menu_name}"
    return Demo(standin, server, gov, page)


def forget_demo(storage: Path = ROOT / ".data") -> bool:
    """The demo's database removed (only that file): the next start stores the demo organisation again."""
    db = storage / "governance.sqlite3"
    found = db.exists()
    for path in (
        db,
        db.with_name(db.name + "-wal"),
        db.with_name(db.name + "-shm"),
        db.with_name(db.name + "-journal"),
    ):
        path.unlink(missing_ok=True)
    return found


async def _serve_demo(port: int, app_port: int) -> None:
    demo = await start_demo(port, app_port)
    sys.stdout.write(
        f"\nGovernance is running with the Nextcloud stand-in and the demo organisation.\n"
        f"Open: {demo.start_url()}\n"
        f"In French: {demo.start_url(lang='fr')}\n"
        "(you are alice, who facilitates Communication; switch user at the top right: claire is in"
        " operations, sophie is on the board; the language follows the user's, set by lang=en|fr)\n"
    )
    sys.stdout.flush()
    while True:
        await asyncio.sleep(3600)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if os.environ.get("NEXTCLOUD_URL"):
        from .main import run

        run()
        return
    if "--fresh" in sys.argv[1:] and forget_demo():
        log.info("the demo starts afresh: its previous database was removed")
    port = int(os.environ.get("STANDIN_PORT", "8080"))
    app_port = int(os.environ.get("APP_PORT", "9035"))
    try:
        asyncio.run(_serve_demo(port, app_port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
