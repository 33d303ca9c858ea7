"""Per-path ACL rules over WebDAV (NEXTCLOUD.md §5.4, fixtures/groupfolders_admin_visibility.json).

groupfolders serves rules only as ``nc:acl-list`` over WebDAV, and a user's DAV tree only shows
the folders mounted for that user (member of an attached group: GroupFoldersHome uses
getFoldersForUser). Being a Nextcloud admin gives no view of other folders: the admin gets 404.
No groupfolders HTTP route lists rules. A user who can manage the folder's ACL (admin, or listed
in its ``manage``) sees every rule of a path; anyone else only the rules applying to them
(lib/DAV/ACLPlugin.php ``propFind``: getAllRulesForPaths vs getRulesForFilesByPath). So a folder's
rules are read, in one ``Depth: infinity`` PROPFIND of its root (allowed on /remote.php/dav:
nextcloud/server apps/dav/lib/Connector/Sabre/Server.php ``enablePropfindDepthInfinity``;
fixtures/provisioning_bulk_reads.json), as a user who has it mounted *and* manages its ACL, and
the answer's ``acl-can-manage`` must say so, else the view may be partial and is not used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass

from lib.core.state import AclRule

from . import acl_xml
from . import paths as nc_paths
from .client import AppAPIClient, reason_of
from .errors import NextcloudError, NotFound

log = logging.getLogger(__name__)

_XML = {"Content-Type": "application/xml; charset=utf-8"}


@dataclass(frozen=True)
class FolderView:
    """What one user's PROPFIND of a folder showed: the rules by sub-path, and whether that user
    manages the folder's ACL (only then are they all the rules)."""

    rules: dict[str, set[AclRule]]
    complete: bool


class AclReader:
    def __init__(self, client: AppAPIClient, admin_user: str) -> None:
        self._client = client
        self._admin = admin_user

    async def folder_as(self, uid: str, mount: str) -> FolderView | None:
        """Every rule of the folder as ``uid`` sees them (one Depth infinity PROPFIND of its root);
        None when the folder is not mounted for ``uid`` (404).

        Reading as another user than the app's account (AppAPI lets an ExApp act as any existing
        user, NEXTCLOUD.md §1.4) changes nothing in Nextcloud: a PROPFIND only reads. Nextcloud
        records each such request in its ``exapp_impersonation.log`` (app_api
        ``AppAPIService::validateExAppRequestToNC``), so an administrator can see it happened.
        """
        url = nc_paths.dav_file(uid, mount)
        headers = {**_XML, "Depth": "infinity"}
        response = await self._client.dav(
            "PROPFIND", url, user=uid, body=acl_xml.propfind_body(), headers=headers
        )
        if response.status_code == 404:
            return None
        if response.status_code != 207:
            raise NextcloudError(f"PROPFIND {url}", response.status_code, None, reason_of(response))
        prefix = f"/files/{uid}/{nc_paths.norm_path(mount)}/"
        nodes = acl_xml.nodes_by_href(response.content)
        found = {rel: node for href, node in nodes.items() if (rel := _relative(href, prefix)) is not None}
        root = found.get("")
        rules = {path: node.rules for path, node in found.items() if node.rules}
        return FolderView(rules, complete=root is not None and root.can_manage)

    async def rules(self, mount: str, paths: Collection[str] = ()) -> dict[str, set[AclRule]]:
        """Rules of the folder root and its children (one Depth 1 PROPFIND), plus deeper ``paths``,
        as the app's account: {} when the account does not have the folder mounted (it cannot
        tell "no rules" from "not visible"; ``NextcloudGateway.read_state`` uses ``folder_as``).
        """
        found = await self._propfind(mount, "", depth="1")
        if found is None:
            log.warning("Folder %s is not visible to %s over WebDAV: ACL rules not read", mount, self._admin)
            return {}
        for path in {nc_paths.norm_path(p) for p in paths} - set(found):
            deeper = await self._propfind(mount, path, depth="0")
            found.update(deeper or {})
        return {path: rules for path, rules in found.items() if rules}

    async def rules_at(self, mount: str, path: str) -> set[AclRule]:
        found = await self._propfind(mount, path, depth="0")
        if found is None:
            raise NotFound(
                f"PROPFIND {mount}/{path}", 404, None, f"{mount}/{path} is not visible to {self._admin}"
            )
        return found.get(nc_paths.norm_path(path), set())

    async def _propfind(self, mount: str, path: str, depth: str) -> dict[str, set[AclRule]] | None:
        """Rules by sub-path, or None when the path does not exist for the admin."""
        url = nc_paths.dav_file(self._admin, mount, path)
        headers = {**_XML, "Depth": depth}
        response = await self._client.dav(
            "PROPFIND", url, user=self._admin, body=acl_xml.propfind_body(), headers=headers
        )
        if response.status_code == 404:
            return None
        if response.status_code != 207:
            raise NextcloudError(f"PROPFIND {url}", response.status_code, None, reason_of(response))
        prefix = f"/files/{self._admin}/{nc_paths.norm_path(mount)}/"
        found = acl_xml.rules_by_href(response.content).items()
        return {rel: rules for href, rules in found if (rel := _relative(href, prefix)) is not None}


class AclWriter:
    def __init__(self, client: AppAPIClient, admin_user: str) -> None:
        self._client = client
        self._admin = admin_user

    async def ensure_path(
        self, mount: str, path: str, known: Callable[[str], bool] = lambda level: False
    ) -> bool:
        """MKCOL each level of ``path`` not ``known`` to exist; 405 means it already exists
        (Sabre). True when the last level was created by this call (it has no rules yet)."""
        parts = [p for p in path.split("/") if p]
        created = False
        for depth in range(1, len(parts) + 1):
            level = "/".join(parts[:depth])
            if known(level):
                created = False
                continue
            url = nc_paths.dav_file(self._admin, mount, level)
            response = await self._client.dav("MKCOL", url, user=self._admin)
            if response.status_code not in (201, 405):
                raise NextcloudError(f"MKCOL {url}", response.status_code, None, reason_of(response))
            created = response.status_code == 201
        return created

    async def replace(self, mount: str, path: str, rules: set[AclRule]) -> None:
        """PROPPATCH the whole list; success is a 207 whose ``acl-list`` propstat is 200."""
        url = nc_paths.dav_file(self._admin, mount, path)
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
    return nc_paths.norm_path(rest) if found else None
