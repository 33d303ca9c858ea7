"""WebDAV under /remote.php/dav/files/<uid>/...: PROPFIND/PROPPATCH of the groupfolders ACL properties, MKCOL;
PROPFIND of the groupfolders home /remote.php/dav/groupfolders/<uid>/.

Shapes from fixtures/groupfolders_acl_webdav.json, groupfolders_admin_visibility.json (per-user visibility:
a folder is only in the tree of a member of an attached group, admins included; its rules are listed
while ACL is off) and provisioning_bulk_reads.json (``Depth: infinity`` descends the whole tree:
nextcloud/server apps/dav/lib/Connector/Sabre/Server.php ``enablePropfindDepthInfinity = true``);
upstream nextcloud/groupfolders v20.1.18
lib/DAV/ACLPlugin.php (props, propPatch, "cannot remove your own read"; ``acl-list`` of a manager comes
from getAllRulesForPaths, absent (404) on a path without rules, of anyone else from getRulesForFilesByPath,
an empty list there), lib/DAV/GroupFoldersHome.php (getFoldersForUser), lib/ACL/Rule.php (mask/permissions,
mergeRules), lib/ACL/ACLManager.php (parent-first paths);
nextcloud/server apps/dav/lib/Connector/Sabre/Node.php (getDavPermissions letters);
sabre/dav lib/DAV/Server.php createCollection (MKCOL 201/405/409).
Request XML is parsed with defusedxml; responses are built with lxml.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote

from defusedxml import ElementTree as SafeET
from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.standin.ocs import caller
from tests.standin.state import Folder, Rule, State

D, S, OC, NC = "DAV:", "http://sabredav.org/ns", "http://owncloud.org/ns", "http://nextcloud.org/ns"
NSMAP = {"d": D, "s": S, "oc": OC, "nc": NC}
ACL_LIST = f"{{{NC}}}acl-list"
XML = "application/xml; charset=utf-8"
DEFAULT_PROPS = [f"{{{D}}}resourcetype", f"{{{OC}}}fileid", f"{{{OC}}}permissions"]


class DavError(Exception):
    def __init__(self, status: int, exception: str, message: str) -> None:
        super().__init__(message)
        self.status, self.exception, self.message = status, exception, message


def dav_error(err: DavError) -> Response:
    """Sabre's error body (Server::exceptionHandler)."""
    root = etree.Element(f"{{{D}}}error", nsmap={"d": D, "s": S})
    etree.SubElement(root, f"{{{S}}}exception").text = f"Sabre\\DAV\\Exception{err.exception}"
    etree.SubElement(root, f"{{{S}}}message").text = err.message
    etree.indent(root, space="  ")
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + etree.tostring(root) + b"\n"
    return Response(body, err.status, media_type=XML)


@dataclass(frozen=True)
class Node:
    """A resolved DAV node: the user's home root (folder None) or a path inside a team folder."""

    owner: str
    folder: Folder | None
    path: str  # sub-path inside the folder, "" = the folder root
    tree: str = "files"  # or "groupfolders" (lib/DAV/GroupFoldersHome.php)

    @property
    def is_dir(self) -> bool:
        return self.folder is None or self.path not in self.folder.files

    def href(self) -> str:
        parts = [self.owner] + ([self.folder.mount_point] if self.folder else [])
        parts += self.path.split("/") if self.path else []
        href = f"/remote.php/dav/{self.tree}/" + "/".join(quote(p, safe="") for p in parts)
        return href + "/" if self.is_dir else href


def visible(s: State, folder: Folder, uid: str) -> bool:
    """GroupFoldersHome / getFoldersForUser: mounted only for members of an attached group."""
    return any(uid in s.groups.get(gid, ()) for gid in folder.groups)


def resolve(s: State, uid: str, owner: str, rest: str, tree: str = "files") -> Node:
    """Sabre's tree walk: a folder not mounted for ``uid`` is missing from their home ("//<name>", as
    for the admin on a folder whose groups do not include it); else the first missing segment."""
    parts = [p for p in unquote(rest).split("/") if p]
    if owner != uid:
        raise DavError(404, "\\NotFound", f"File not found: {parts[0] if parts else ''} in '{owner}'")
    if not parts:
        return Node(owner, None, "", tree)
    folder = s.folder_by_mount(parts[0])
    if folder is None or not visible(s, folder, uid):
        raise DavError(404, "\\NotFound", f"File with name //{parts[0]} could not be located")
    for depth in range(2, len(parts) + 1):
        if "/".join(parts[1:depth]) not in folder.paths:
            raise DavError(
                404, "\\NotFound", f"File with name /{'/'.join(parts[:depth])} could not be located"
            )
    return Node(owner, folder, "/".join(parts[1:]), tree)


def ancestors(path: str) -> list[str]:
    parts = path.split("/") if path else []
    return [""] + ["/".join(parts[: i + 1]) for i in range(len(parts))]


def applies(s: State, rule: Rule, uid: str) -> bool:
    kind, mid = rule[0], rule[1]
    return (kind == "user" and mid == uid) or (kind == "group" and uid in s.groups.get(mid, ()))


def acl_permissions(s: State, node: Node, uid: str, override: list[Rule] | None = None) -> int:
    """ACLManager: parent-first; per path, applicable rules merge with allow winning (Rule::mergeRules)."""
    assert node.folder is not None
    perms = 31
    for path in ancestors(node.path):
        rules = override if override is not None and path == node.path else node.folder.rules.get(path, [])
        mine = [r for r in rules if applies(s, r, uid)]
        if mine:
            mask = 0
            allow = 0
            for rule in mine:
                mask |= rule[2]
                allow |= rule[3] & rule[2]
            perms = (perms & ~mask) | allow
    return perms


def permissions(s: State, node: Node, uid: str) -> int:
    """Folder-level permission (OR over the user's groups), narrowed by ACL; no read ⇒ nothing."""
    if node.folder is None:
        return 31
    base = 0
    for gid, perm in node.folder.groups.items():
        if uid in s.groups.get(gid, ()):
            base |= perm
    result = base & acl_permissions(s, node, uid) if node.folder.acl else base
    return result if result & 1 else 0


def dav_permissions(s: State, node: Node, uid: str) -> str:
    perm = permissions(s, node, uid)
    letters = ("R" if perm & 16 else "") + ("M" if node.folder else "") + ("G" if perm & 1 else "")
    letters += ("D" if perm & 8 else "") + ("NV" if perm & 2 else "")
    if node.is_dir:
        return letters + ("CK" if perm & 4 else "")
    return letters + ("W" if perm & 2 else "")


def can_manage(s: State, folder: Folder, uid: str) -> bool:
    """FolderManager::canManageACL: admins, listed users, members of listed groups."""
    if s.is_admin(uid):
        return True
    return any(
        (kind == "user" and mid == uid) or (kind == "group" and uid in s.groups.get(mid, ()))
        for kind, mid in folder.manage
    )


def rule_element(parent: etree._Element, s: State, rule: Rule) -> None:
    acl = etree.SubElement(parent, f"{{{NC}}}acl")
    values = (rule[0], rule[1], s.display_name(rule[0], rule[1]), str(rule[2]), str(rule[3]))
    names = ("acl-mapping-type", "acl-mapping-id", "acl-mapping-display-name", "acl-mask", "acl-permissions")
    for name, value in zip(names, values, strict=True):
        etree.SubElement(acl, f"{{{NC}}}{name}").text = value


def visible_rules(s: State, node: Node, uid: str) -> list[Rule] | None:
    """Managers see every rule of the path, and nothing (None: a 404 propstat) where it has none;
    others the ones applying to them, user rules first, an empty list where none does."""
    assert node.folder is not None
    rules = node.folder.rules.get(node.path, [])
    if can_manage(s, node.folder, uid):
        return list(rules) or None
    mine = [r for r in rules if applies(s, r, uid)]
    return sorted(mine, key=lambda r: r[0] != "user")


def inherited_rules(s: State, node: Node, uid: str) -> list[Rule]:
    """Per mapping, the parents' rules combined: masks ORed, permissions applied parent-first."""
    assert node.folder is not None
    manager = can_manage(s, node.folder, uid)
    merged: dict[tuple[str, str], tuple[int, int]] = {}
    for path in ancestors(node.path)[:-1]:
        for rule in node.folder.rules.get(path, []):
            if manager or applies(s, rule, uid):
                mask, perms = merged.get((rule[0], rule[1]), (0, 0))
                perms = (perms & ~rule[2]) | (rule[3] & rule[2])
                merged[(rule[0], rule[1])] = (mask | rule[2], perms)
    return [(kind, mid, mask, perms) for (kind, mid), (mask, perms) in merged.items()]


def prop_value(s: State, node: Node, uid: str, name: str) -> etree._Element | None:
    """The property element, or None when the node has no such property (a 404 propstat)."""
    elem = etree.Element(name)
    folder = node.folder
    if name == f"{{{OC}}}fileid":
        elem.text = str(s.fileid(folder.id if folder else 0, node.path if folder else f"home:{node.owner}"))
    elif name == f"{{{OC}}}permissions":
        elem.text = dav_permissions(s, node, uid)
    elif name == f"{{{D}}}resourcetype":
        if node.is_dir:
            etree.SubElement(elem, f"{{{D}}}collection")
    elif folder is None or not name.startswith(f"{{{NC}}}"):
        return None
    elif name == f"{{{NC}}}acl-enabled":
        elem.text = "1" if folder.acl else ""
    elif name == f"{{{NC}}}acl-can-manage":
        elem.text = "1" if can_manage(s, folder, uid) else ""
    elif name == f"{{{NC}}}group-folder-id":
        elem.text = str(folder.id)
    elif name in (ACL_LIST, f"{{{NC}}}inherited-acl-list"):
        rules = visible_rules(s, node, uid) if name == ACL_LIST else inherited_rules(s, node, uid)
        if rules is None:
            return None
        for rule in rules:
            rule_element(elem, s, rule)
    else:
        return None
    return elem


def multistatus(responses: list[tuple[str, list[tuple[str, list[etree._Element]]]]]) -> Response:
    """``<d:multistatus>``: per href, propstats of (status line, props)."""
    root = etree.Element(f"{{{D}}}multistatus", nsmap=NSMAP)
    for href, propstats in responses:
        resp = etree.SubElement(root, f"{{{D}}}response")
        etree.SubElement(resp, f"{{{D}}}href").text = href
        for status, props in propstats:
            if not props:
                continue
            propstat = etree.SubElement(resp, f"{{{D}}}propstat")
            prop = etree.SubElement(propstat, f"{{{D}}}prop")
            prop.extend(props)
            etree.SubElement(propstat, f"{{{D}}}status").text = status
    body = b'<?xml version="1.0"?>\n' + etree.tostring(root) + b"\n"
    return Response(body, 207, media_type=XML)


def requested_props(body: bytes) -> list[str]:
    if not body.strip():
        return DEFAULT_PROPS
    root = SafeET.fromstring(body)
    prop = root.find(f"{{{D}}}prop")
    return [child.tag for child in prop] if prop is not None else DEFAULT_PROPS


def children(node: Node) -> list[Node]:
    if node.folder is None or not node.is_dir:
        return []
    prefix = node.path + "/" if node.path else ""
    subs = sorted(p for p in node.folder.paths if p.startswith(prefix) and "/" not in p[len(prefix) :])
    return [Node(node.owner, node.folder, p, node.tree) for p in subs]


def descendants(node: Node) -> list[Node]:
    """Depth infinity: every node below, each directory followed by its own children (Sabre's order)."""
    found = []
    for child in children(node):
        found += [child, *descendants(child)]
    return found


def home_children(s: State, node: Node, uid: str) -> list[Node]:
    folders = sorted((f for f in s.folders.values() if visible(s, f, uid)), key=lambda f: f.mount_point)
    return [Node(node.owner, f, "", node.tree) for f in folders]


async def propfind(request: Request, s: State, uid: str, node: Node) -> Response:
    """PROPFIND Depth 0, 1 or infinity (propfind_acl_*, propfind_depth_infinity_*)."""
    names = requested_props(await request.body())
    nodes = [node]
    depth = request.headers.get("depth", "1").lower()
    if depth != "0":
        nodes += home_children(s, node, uid) if node.folder is None else children(node)
    if depth == "infinity":
        nodes = [node, *(n for child in nodes[1:] for n in (child, *descendants(child)))]
    responses = []
    for item in nodes:
        found, missing = [], []
        for name in names:
            value = (
                None
                if item.folder is None and item.tree == "groupfolders"
                else prop_value(s, item, uid, name)
            )
            if value is None:
                missing.append(etree.Element(name))
            else:
                found.append(value)
        responses.append((item.href(), [("HTTP/1.1 200 OK", found), ("HTTP/1.1 404 Not Found", missing)]))
    return multistatus(responses)


def parse_rules(acl_list: object) -> list[Rule]:
    rules = []
    for acl in acl_list.findall(f"{{{NC}}}acl"):  # type: ignore[attr-defined]
        kind = (acl.findtext(f"{{{NC}}}acl-mapping-type") or "").strip()
        if kind not in ("user", "group", "circle"):
            raise DavError(500, "", f"Invalid mapping type: {kind}")
        mid = (acl.findtext(f"{{{NC}}}acl-mapping-id") or "").strip()
        mask = int(acl.findtext(f"{{{NC}}}acl-mask") or 0)
        perms = int(acl.findtext(f"{{{NC}}}acl-permissions") or 0)
        rules.append((kind, mid, mask, perms))
    return rules


async def proppatch(request: Request, s: State, uid: str, node: Node) -> Response:
    """PROPPATCH of nc:acl-list: replaces the path's rules (proppatch_*)."""
    root = SafeET.fromstring(await request.body())
    acl_list = root.find(f"{{{D}}}set/{{{D}}}prop/{ACL_LIST}")
    others = [p.tag for p in root.iterfind(f"*/{{{D}}}prop/*") if p.tag != ACL_LIST]
    if acl_list is not None:
        if node.folder is None or not can_manage(s, node.folder, uid):
            raise DavError(500, "", f'Property "{ACL_LIST}" has an invalid value of array containing object')
        rules = parse_rules(acl_list)
        if not acl_permissions(s, node, uid, rules) & 1:
            raise DavError(400, "\\BadRequest", "You cannot remove your own read permission.")
        if rules:
            node.folder.rules[node.path] = rules
        else:
            node.folder.rules.pop(node.path, None)
    done = [etree.Element(ACL_LIST)] if acl_list is not None else []
    refused = [etree.Element(tag) for tag in others]
    return multistatus([(request.url.path, [("HTTP/1.1 200 OK", done), ("HTTP/1.1 403 Forbidden", refused)])])


async def mkcol(request: Request, s: State, uid: str, owner: str, rest: str) -> Response:
    """MKCOL: 201; existing → 405; missing parent → 409 (sabre/dav Server::createCollection)."""
    parts = [p for p in unquote(rest).split("/") if p]
    try:
        resolve(s, uid, owner, "/".join(parts))
        raise DavError(405, "\\MethodNotAllowed", "The resource you tried to create already exists")
    except DavError as err:
        if err.status != 404 or owner != uid:
            raise
    try:
        parent = resolve(s, uid, owner, "/".join(parts[:-1]))
    except DavError:
        raise DavError(409, "\\Conflict", "Parent node does not exist") from None
    if not parent.is_dir:
        raise DavError(409, "\\Conflict", "Parent node is not a collection")
    if parent.folder is None:  # a home-level folder: the stand-in only models team folders
        raise DavError(403, "\\Forbidden", "The stand-in only creates folders inside team folders")
    if not permissions(s, parent, uid) & 4:
        raise DavError(403, "\\Forbidden", "Could not create directory")
    parent.folder.paths.add("/".join(parts[1:]))
    return Response(status_code=201)


async def files_endpoint(request: Request) -> Response:
    """/remote.php/dav/files/{owner}/…: authenticates like app_api lib/DavPlugin.php, basic or session."""
    s = request.app.state.standin
    who = caller(request, s, s.app_id, s.app_secret)
    try:
        if who.user is None:
            raise DavError(401, "\\NotAuthenticated", "No public access to this resource.")
        owner, rest = request.path_params["owner"], request.path_params.get("rest", "")
        if request.method == "MKCOL":
            return await mkcol(request, s, who.user, owner, rest)
        node = resolve(s, who.user, owner, rest)
        if request.method == "PROPFIND":
            return await propfind(request, s, who.user, node)
        return await proppatch(request, s, who.user, node)
    except DavError as err:
        return dav_error(err)
    except (SafeET.ParseError, ValueError):
        return dav_error(DavError(400, "\\BadRequest", "The request body is not valid XML"))


async def groupfolders_endpoint(request: Request) -> Response:
    """/remote.php/dav/groupfolders/{owner}/…: PROPFIND of the folders mounted for the user; the home
    itself has none of the asked properties (propfind_groupfolders_home_admin_app_api)."""
    s = request.app.state.standin
    who = caller(request, s, s.app_id, s.app_secret)
    try:
        if who.user is None:
            raise DavError(401, "\\NotAuthenticated", "No public access to this resource.")
        owner, rest = request.path_params["owner"], request.path_params.get("rest", "")
        return await propfind(request, s, who.user, resolve(s, who.user, owner, rest, "groupfolders"))
    except DavError as err:
        return dav_error(err)
    except (SafeET.ParseError, ValueError):
        return dav_error(DavError(400, "\\BadRequest", "The request body is not valid XML"))


def routes() -> list[Route]:
    methods = ["PROPFIND", "PROPPATCH", "MKCOL"]
    return [
        Route("/remote.php/dav/files/{owner}", files_endpoint, methods=methods),
        Route("/remote.php/dav/files/{owner}/{rest:path}", files_endpoint, methods=methods),
        Route("/remote.php/dav/groupfolders/{owner}", groupfolders_endpoint, methods=["PROPFIND"]),
        Route(
            "/remote.php/dav/groupfolders/{owner}/{rest:path}", groupfolders_endpoint, methods=["PROPFIND"]
        ),
    ]
