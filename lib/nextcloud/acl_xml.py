"""WebDAV XML for groupfolders' per-path ACLs (nextcloud/groupfolders:lib/DAV/ACLPlugin.php).

Bodies are built as ElementTree elements (user data never goes into a string template) and answers
are parsed with defusedxml's hardened ElementTree: one XML library. Shapes:
fixtures/groupfolders_acl_webdav.json (propfind_acl_depth1, proppatch_set_acl_public),
fixtures/provisioning_bulk_reads.json (Depth infinity).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote
from xml.etree import ElementTree as etree
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring

from lib.core.state import AclRule

DAV = "DAV:"
NC = "http://nextcloud.org/ns"
etree.register_namespace("d", DAV)  # the prefixes Nextcloud's own client writes (acl.ts)
etree.register_namespace("nc", NC)


def _d(tag: str) -> str:
    return f"{{{DAV}}}{tag}"


def _nc(tag: str) -> str:
    return f"{{{NC}}}{tag}"


def propfind_body() -> bytes:
    """Ask for the rules set on each path (acl.ts ACL_PROPFIND, reduced to what the app reads)."""
    root = etree.Element(_d("propfind"))
    prop = etree.SubElement(root, _d("prop"))
    for name in ("acl-enabled", "acl-can-manage", "acl-list"):
        etree.SubElement(prop, _nc(name))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def proppatch_body(rules: set[AclRule]) -> bytes:
    """The full rule list of one path: PROPPATCH replaces every rule of that path (ACLPlugin::propPatch)."""
    root = etree.Element(_d("propertyupdate"))
    prop = etree.SubElement(etree.SubElement(root, _d("set")), _d("prop"))
    acl_list = etree.SubElement(prop, _nc("acl-list"))
    for rule in sorted(rules):
        acl = etree.SubElement(acl_list, _nc("acl"))
        etree.SubElement(acl, _nc("acl-mapping-type")).text = rule.mapping_type
        etree.SubElement(acl, _nc("acl-mapping-id")).text = rule.mapping_id
        etree.SubElement(acl, _nc("acl-mask")).text = str(rule.mask)
        etree.SubElement(acl, _nc("acl-permissions")).text = str(rule.permissions)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@dataclass(frozen=True)
class NodeAcl:
    """One node of a PROPFIND answer: the rules set on it, and whether the reader manages its ACL."""

    rules: set[AclRule]
    can_manage: bool


def nodes_by_href(xml: bytes) -> dict[str, NodeAcl]:
    """Each response's (unquoted) href with its ``acl-list`` and ``acl-can-manage`` ("1" or empty).

    An ``acl-list`` in a 404 propstat (a manager's view of a path without rules) or empty (anyone
    else's) is no rules (lib/DAV/ACLPlugin.php ``propFind``).
    """
    found: dict[str, NodeAcl] = {}
    for response in fromstring(xml).iter(_d("response")):
        href = unquote(response.findtext(_d("href"), default=""))
        manage = any(
            (propstat.findtext(f"{_d('prop')}/{_nc('acl-can-manage')}") or "").strip() == "1"
            for propstat in response.iter(_d("propstat"))
            if _is_ok(propstat)
        )
        found[href] = NodeAcl(_rules_of(response), manage)
    return found


def rules_by_href(xml: bytes) -> dict[str, set[AclRule]]:
    """Map each response's (unquoted) href to the rules of its ``acl-list`` (empty when not returned)."""
    return {
        unquote(response.findtext(_d("href"), default="")): _rules_of(response)
        for response in fromstring(xml).iter(_d("response"))
    }


def _rules_of(response: Element) -> set[AclRule]:
    for propstat in response.iter(_d("propstat")):
        acl_list = propstat.find(f"{_d('prop')}/{_nc('acl-list')}")
        if acl_list is not None and _is_ok(propstat):
            return {_rule(acl) for acl in acl_list.iter(_nc("acl"))}
    return set()


def acl_list_status(xml: bytes) -> str | None:
    """Status line of the ``acl-list`` propstat in a PROPPATCH multistatus; None when it succeeded."""
    for propstat in fromstring(xml).iter(_d("propstat")):
        if propstat.find(f"{_d('prop')}/{_nc('acl-list')}") is not None and not _is_ok(propstat):
            return str(propstat.findtext(_d("status"), default="no status"))
    return None if b"acl-list" in xml else "acl-list missing from the answer"


def _is_ok(propstat: Element) -> bool:
    status = propstat.findtext(_d("status"), default="")
    return " 200 " in f"{status} "


def _rule(acl: Element) -> AclRule:
    return AclRule(
        mapping_type=acl.findtext(_nc("acl-mapping-type"), default=""),
        mapping_id=acl.findtext(_nc("acl-mapping-id"), default=""),
        mask=int(acl.findtext(_nc("acl-mask"), default="0")),
        permissions=int(acl.findtext(_nc("acl-permissions"), default="0")),
    )
