"""AppAPI lifecycle: what enabling and disabling the app does in Nextcloud (NEXTCLOUD.md §1.2, §2.1)."""

from __future__ import annotations

import asyncio
import logging

from nc_py_api import AsyncNextcloudApp, NextcloudException

from lib.services.governance import Governance

log = logging.getLogger(__name__)


def make_enabled_handler(gov: Governance):  # type: ignore[no-untyped-def]
    """The ``/enabled`` handler: an empty string means success, any text makes AppAPI disable the app."""

    async def enabled_handler(enabled: bool, nc: AsyncNextcloudApp) -> str:
        s = gov.settings
        menu = s.governance_menu_name
        try:
            if enabled:
                problem = await gov.check_admin_account()
                if problem:
                    return problem
                await nc.ui.top_menu.register(menu, s.app_display_name, "img/app.svg")
                # Nextcloud loads these sorted by path, not in this order (NEXTCLOUD.md §2.2):
                # js/governance-main.js waits for htmx itself.
                await nc.ui.resources.set_script("top_menu", menu, "js/htmx.min")
                await nc.ui.resources.set_script("top_menu", menu, "js/governance-main")
                await nc.ui.resources.set_style("top_menu", menu, "css/governance")
                await asyncio.to_thread(gov.audit_log.record, "app.enabled", s.app_id, {"menu": menu})
            else:
                await nc.ui.resources.delete_script("top_menu", menu, "js/governance-main")
                await nc.ui.resources.delete_script("top_menu", menu, "js/htmx.min")
                await nc.ui.resources.delete_style("top_menu", menu, "css/governance")
                await nc.ui.top_menu.unregister(menu)
                await asyncio.to_thread(gov.audit_log.record, "app.disabled", s.app_id, {"menu": menu})
        except NextcloudException as exc:
            log.warning("lifecycle call failed: %s", exc)
            return f"Governance could not {'register' if enabled else 'remove'} its page in Nextcloud: {exc}"
        return ""

    return enabled_handler
