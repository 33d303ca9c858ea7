"""Per-path ACL rules over WebDAV, as the admin user (NEXTCLOUD.md §5.4).

The admin's DAV tree only shows folders mounted for the admin, i.e. where the admin is in an
attached group (GroupFoldersHome uses getFoldersForUser); a 404 on the folder root says so.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from lib.core.state import AclRule

from . import acl_xml, routes
from .client import AppAPIClient, reason_of
from .errors import NextcloudError, NotFound

log = logging.getLogger(__name__)

_XML = {"Content-Type": "application/xml; charset=utf-8"}


class AclReader:
    def __init__(self, client: AppAPIClient, admin_user: str) -> None:
        self._client = client
        self._admin = admin_user

    async def rules(self, mount: str, paths: Collection[str] = ()) -> dict[str, set[AclRule]]:
        """Rules of the folder root and its children (one Depth 1 PROPFIND), plus deeper ``paths``.

        Only paths carrying rules appear in the answer.
        """
        found = await self._propfind(mount, "", depth="1")
        if found is None:
            log.warning("Folder %s is not visible to %s over WebDAV: ACL rules not read", mount, self._admin)
            return {}
        for path in {routes.norm_path(p) for p in paths} - set(found):
            deeper = await self._propfind(mount, path, depth="0")
            found.update(deeper or {})
        return {path: rules for path, rules in found.items() if rules}

    async def rules_at(self, mount: str, path: str) -> set[AclRule]:
        found = await self._propfind(mount, path, depth="0")
        if found is None:
            raise NotFound(
                f"PROPFIND {mount}/{path}", 404, None, f"{mount}/{path} is not visible to {self._admin}"
            )
        return found.get(routes.norm_path(path), set())

    async def _propfind(self, mount: str, path: str, depth: str) -> dict[str, set[AclRule]] | None:
        """Rules by sub-path, or None when the path does not exist for the admin."""
        url = routes.dav_file(self._admin, mount, path)
        headers = {**_XML, "Depth": depth}
        response = await self._client.dav(
            "PROPFIND", url, user=self._admin, body=acl_xml.propfind_body(), headers=headers
        )
        if response.status_code == 404:
            return None
        if response.status_code != 207:
            raise NextcloudError(f"PROPFIND {url}", response.status_code, None, reason_of(response))
        prefix = f"/files/{self._admin}/{routes.norm_path(mount)}/"
        found = acl_xml.rules_by_href(response.content).items()
        return {rel: rules for href, rules in found if (rel := _relative(href, prefix)) is not None}


class AclWriter:
    def __init__(self, client: AppAPIClient, admin_user: str) -> None:
        self._client = client
        self._admin = admin_user

    async def ensure_path(self, mount: str, path: str) -> None:
        """MKCOL each missing level of ``path``; 405 means it already exists (Sabre)."""
        parts = [p for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            url = routes.dav_file(self._admin, mount, "/".join(parts[:depth]))
            response = await self._client.dav("MKCOL", url, user=self._admin)
            if response.status_code not in (201, 405):
                raise NextcloudError(f"MKCOL {url}", response.status_code, None, reason_of(response))

    async def replace(self, mount: str, path: str, rules: set[AclRule]) -> None:
        """PROPPATCH the whole list; success is a 207 whose ``acl-list`` propstat is 200."""
        url = routes.dav_file(self._admin, mount, path)
        body = acl_xml.proppatch_body(rules)
        response = await self._client.dav("PROPPATCH", url, user=self._admin, body=body, headers=_XML)
        operation = f"PROPPATCH {url}"
        if response.status_code != 207:
            raise NextcloudError(operation, response.status_code, None, reason_of(response))
        refused = acl_xml.acl_list_status(response.content)
        if refused:
            raise NextcloudError(operation, 207, None, f"acl-list refused: {refused}")


def _relative(href: str, prefix: str) -> str | None:
    """``/remote.php/dav/files/admin/Mount/Sub/`` -> ``Sub`` (the href is already unquoted)."""
    _, found, rest = f"{href.rstrip('/')}/".partition(prefix)
    return routes.norm_path(rest) if found else None
