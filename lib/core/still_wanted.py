"""Whether a change journalled earlier still moves Nextcloud towards what the organisation wants now.

A run interrupted by a crash is resumed later (lib/services/apply.py), and the organisation may have
changed meanwhile: a person's access revoked, a group archived, a right lowered. Replaying the old
change would undo that later decision (issue 13: a resumed journal re-added a person whose access
had been revoked). A change is still wanted when the value it writes on its target is the value the
current desired state (lib/core/compile.py ``compile_org``) gives that target:

* grants (create, add, attach, set a mask, make a manager, write rules) need the target in the
  desired state with exactly that value;
* revocations (remove, detach, stop managing) need the target absent from the desired state;
* the app's own group and its attachments (lib/core/plan.py ``_app_access``) are means to write a
  folder's rules: wanted while the folder is.

Rules differing only by rules of memberless groups are the same: the plan leaves out groups nobody
is in that Nextcloud lacks (plan.py ``_unborn``), and such a rule gives nobody anything.
"""

from __future__ import annotations

from .changes import (
    AddMember,
    AttachGroup,
    Change,
    CreateFolder,
    CreateGroup,
    DetachGroup,
    RemoveMember,
    RenameFolder,
    RenameGroup,
    SetAcl,
    SetAclManager,
    SetAclRules,
    SetGroupPermissions,
)
from .state import AclManager, AclRule, NextcloudState


def still_wanted(change: Change, desired: NextcloudState) -> bool:
    """Whether applying ``change`` now agrees with ``desired`` on the object it changes."""
    folders, groups = desired.folders, desired.groups
    match change:
        case CreateGroup(gid=gid):
            return gid in groups
        case RenameGroup(gid=gid, display_name=name):
            return gid in groups and desired.display_names.get(gid, name) == name
        case AddMember(gid=gid, uid=uid):
            return uid in groups.get(gid, set())
        case RemoveMember(gid=gid, uid=uid):
            return uid not in groups.get(gid, set())
        case CreateFolder(mount_point=mount):
            return mount in folders
        case RenameFolder(mount_point=mount, previous=previous):
            return mount in folders and previous not in folders
        case SetAcl(mount_point=mount, enabled=enabled):
            return mount in folders and bool(folders[mount].rules) == enabled
        case AttachGroup(mount_point=mount, gid=gid, permissions=bits):
            if mount not in folders:
                return False
            return gid == desired.app_group or folders[mount].groups.get(gid) == bits
        case SetGroupPermissions(mount_point=mount, gid=gid, permissions=bits):
            return mount in folders and folders[mount].groups.get(gid) == bits
        case DetachGroup(mount_point=mount, gid=gid):
            return gid != desired.app_group and gid not in (folders[mount].groups if mount in folders else {})
        case SetAclManager(mount_point=mount, mapping_type=kind, mapping_id=who, manage=manage):
            if mount not in folders:
                return not manage
            return (AclManager(kind, who) in folders[mount].managers) == manage
        case SetAclRules(mount_point=mount, path=path, rules=rules):
            if mount not in folders:
                return False
            differing = set(rules) ^ folders[mount].rules.get(path, set())
            return all(_gives_nothing(rule, desired) for rule in differing)
    return True  # a kind this module does not know: keep the journal's word


def _gives_nothing(rule: AclRule, desired: NextcloudState) -> bool:
    """A rule of a group nobody is in (and not the app's own group, which marks the app's rules)."""
    return (
        rule.mapping_type == "group"
        and rule.mapping_id != desired.app_group
        and not desired.groups.get(rule.mapping_id)
    )
