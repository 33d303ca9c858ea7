"""The ``Gateway`` port over Nextcloud: read the actual state, apply one change idempotently.

Every write is safe to replay after a crash or a lost answer: "already done" answers count as
success. A write costs one call per fact: Nextcloud is re-checked only when the outcome of a
call is unknown (``in_doubt``: the journal had the change running when its process died; or a
timeout, reset or 5xx on that very call), never before every write. Granting ACL management,
which Nextcloud would duplicate (NEXTCLOUD.md §5.1: no duplicate check upstream), is always a
revoke then a grant, which leaves exactly one row whatever happened before.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import secrets
import string
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from lib.core.changes import (
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
from lib.core.ports import UserInfo
from lib.core.state import AclManager, AclRule, FolderState, NextcloudState

from . import paths
from .acl import AclReader, AclWriter
from .client import AppAPIClient
from .errors import NextcloudError, NextcloudUnavailable, NotFound

log = logging.getLogger(__name__)

_ID_CHARS = string.ascii_letters + string.digits
# Whether the change being applied (in this task) may have reached Nextcloud already (``apply``).
_IN_DOUBT: contextvars.ContextVar[bool] = contextvars.ContextVar("in_doubt", default=False)
USERS_PAGE = 500  # users per /cloud/users/details page: 5,000 users in 10 calls
PAGES_AT_ONCE = 4  # pages asked together (at most this many asked past the last)
# Seconds a reading's rules stand for the rules in place when writing (a plan applied right after
# its reading); older, a write reads the path's rules again.
RULES_FRESH = 60.0
T = TypeVar("T")


class NextcloudGateway:
    """Nextcloud through AppAPI, acting as ``admin_user`` for administration (NEXTCLOUD.md §9.4)."""

    def __init__(
        self, client: AppAPIClient, admin_user: str, managed: Callable[[str], bool] | None = None
    ) -> None:
        """``managed`` tells the app's groups apart (their ACL rules are ours to replace); the last
        ``read_state`` call updates it."""
        self._client = client
        self._admin = admin_user
        self._ids: dict[str, int] = {}  # mount point -> folder id, from the last read
        self._existing: set[str] = set()  # groups known to exist: last read, or created here
        self._dirs: set[tuple[str, str]] = set()  # (mount, path) known to exist since the last read
        self._rules_seen: dict[str, tuple[float, dict[str, set[AclRule]]]] = {}  # mount -> (when, rules)
        self._managed: Callable[[str], bool] = managed or (lambda gid: False)
        self._acl_read = AclReader(client, admin_user)
        self._acl_write = AclWriter(client, admin_user)
        self._handlers: dict[type[Change], Callable[[Any], Awaitable[str]]] = {
            CreateGroup: self._create_group,
            AddMember: self._add_member,
            RemoveMember: self._remove_member,
            CreateFolder: self._create_folder,
            RenameFolder: self._rename_folder,
            RenameGroup: self._rename_group,
            AttachGroup: self._attach_group,
            SetGroupPermissions: self._set_group_permissions,
            SetAcl: self._set_acl,
            SetAclManager: self._set_acl_manager,
            SetAclRules: self._set_acl_rules,
            DetachGroup: self._detach_group,
        }

    # ---- reading -------------------------------------------------------------------------------

    async def read_state(
        self,
        managed: Callable[[str], bool],
        mount_points: Sequence[str],
        *,
        rule_paths: Mapping[str, Collection[str]] | None = None,
    ) -> NextcloudState:
        """Managed groups with members, the given folders, and their ACL rules.

        Rules are read for folders with ACL on, and for those ``rule_paths`` gives paths (the
        organisation rules them: enabling ACL there would bring stored rules into force), each
        by someone who sees all of them (:meth:`_read_rules`); a folder nobody suitable can read
        is marked ``rules_readable = False``, never taken for a folder without rules.

        Memberships come from pages of users, each with its groups (:meth:`_memberships`), so
        every group's members are known, managing groups' included.

        Calls: 1 group list + 1 per ``USERS_PAGE`` users (+ fewer than ``PAGES_AT_ONCE`` past
        the last) + 1 folder list + 1 for the app account's groups + 1 Depth infinity PROPFIND per
        such folder: never per group, never folders x users.
        """
        self._managed = managed
        every = await self._group_names()
        self._existing, self._dirs = set(every), set()
        members = await self._memberships(every)
        names = {gid: name for gid, name in every.items() if managed(gid)}
        state = NextcloudState(groups={gid: members[gid] for gid in names}, display_names=names)
        folders = await self._list_folders()
        state.folders = {mount: folders[mount] for mount in mount_points if mount in folders}
        paths = rule_paths or {}
        await self._read_rules(
            state, [f for f in state.folders.values() if f.acl or paths.get(f.mount_point)], known=members
        )
        self._remember_rules(state.folders.values())
        state.folders.update(_others(folders, state.folders, managed))
        return state

    async def _read_rules(
        self, state: NextcloudState, folders: list[FolderState], known: Mapping[str, set[str]] | None = None
    ) -> None:
        """Fill ``folders``' rules, each read by a user who has it mounted and manages its ACL.

        The app's account when it has the folder mounted (a Nextcloud admin manages every folder
        it sees); else one of the folder's ACL managers (a user in ``manage``, or a member of a
        managing group) who is in a group attached to it, found from ``manage`` and group
        members (known ones from ``state``, others asked once). Reading as that user changes
        nothing and Nextcloud logs it (lib/nextcloud/acl.py ``AclReader.folder_as``). Nobody
        suitable, or every read refused: the folder's rules are unreadable, and say why.
        ``known``: groups whose whole membership is known (default ``state.groups``; pass ``{}``
        when ``state`` holds only some members of its groups).
        """
        account_groups = await self._groups_of(self._admin)
        for folder in state.folders.values():
            folder.mounted_for_app = bool(account_groups & folder.groups.keys())
        members = _GroupMembers(self._members, state.groups if known is None else known)
        await _bounded([self._read_folder_rules(folder, members) for folder in folders])

    async def _read_folder_rules(self, folder: FolderState, members: _GroupMembers) -> None:
        problem = "no_reader"
        for uid in await self._rule_readers(folder, members):
            try:
                view = await self._acl_read.folder_as(uid, folder.mount_point)
            except NextcloudUnavailable:
                raise
            except NextcloudError as exc:  # refused for this user: another may do
                log.warning("Reading the ACL rules of %s as %s failed: %s", folder.mount_point, uid, exc)
                problem = "read_failed"
                continue
            if view is None or not view.complete:
                log.info("%s does not see every ACL rule of %s", uid, folder.mount_point)
                continue
            if uid != self._admin:
                log.info("ACL rules of %s read as %s, who manages it", folder.mount_point, uid)
            folder.rules, folder.rules_reader = view.rules, uid
            return
        log.warning(
            "ACL rules of %s could not be read (%s): its ACL is left alone", folder.mount_point, problem
        )
        folder.rules, folder.rules_readable, folder.rules_problem = {}, False, problem

    async def _rule_readers(self, folder: FolderState, members: _GroupMembers) -> list[str]:
        """Who may read all the folder's rules, the app's account first; at most three are tried."""
        if folder.mounted_for_app:
            return [self._admin]
        managers = {m.mapping_id for m in folder.managers if m.mapping_type == "user"}
        for manager in folder.managers:
            if manager.mapping_type == "group":
                managers |= await members.of(manager.mapping_id)
        if not managers:
            return []
        mounted: set[str] = set()
        for gid in folder.groups:
            mounted |= await members.of(gid) & managers
        return sorted(mounted)[:3]

    async def read_objects(
        self,
        managed: Callable[[str], bool],
        *,
        users: Collection[str] = (),
        groups: Collection[str] = (),
        mount_points: Collection[str] = (),
        rule_paths: Mapping[str, Collection[str]] | None = None,
    ) -> NextcloudState:
        """Only what one request touches (lib/core/effect.py): each person's groups, whether each
        touched group exists, and the touched folders with their rules.

        Calls: 1 per person, at most 1 for the groups none of them is in, 1 folder list when a
        folder is touched, then as ``read_state`` for the touched folders' rules (the account's
        groups, 1 PROPFIND per folder with ACLs, members of managing groups where the account does
        not see the folder). Group members not named are
        not read: ``groups`` holds each existing touched group with the touched people in it.
        """
        self._managed = managed
        users = list(users)
        of_user = await _bounded([self._groups_of(uid) for uid in users])
        state = NextcloudState()
        seen = {gid for found in of_user for gid in found}
        unknown = [gid for gid in groups if gid not in seen]
        existing = seen | (await self._existing_groups(unknown) if unknown else set())
        self._existing |= existing
        for gid in groups:
            if gid in existing:
                state.groups[gid] = {u for u, found in zip(users, of_user, strict=True) if gid in found}
        if mount_points:
            folders = await self._list_folders()
            state.folders = {m: folders[m] for m in mount_points if m in folders}
            paths = rule_paths or {}
            # as read_state: by someone who sees every rule; ``known={}``: only some members are known
            ruled = [f for f in state.folders.values() if f.acl or paths.get(f.mount_point)]
            await self._read_rules(state, ruled, known={})
            self._remember_rules(state.folders.values())
        return state

    async def _groups_of(self, uid: str) -> set[str]:
        try:
            return set((await self._ocs("GET", paths.user_groups(uid))).get("groups", []))
        except NotFound:  # an account deleted meanwhile: adding it will fail and say so
            return set()

    async def _existing_groups(self, gids: Collection[str]) -> set[str]:
        """One call: a search for a single group, else the whole list."""
        search = next(iter(gids)) if len(gids) == 1 else ""
        data = await self._ocs("GET", f"{paths.CLOUD}/groups", params={"search": search})
        return set(gids) & set(data.get("groups", []))

    async def mount_points(self) -> list[str]:
        return list(await self._list_folders())

    async def _group_names(self) -> dict[str, str]:
        data = await self._ocs("GET", f"{paths.CLOUD}/groups/details", params={"search": ""})
        return {g["id"]: str(g.get("displayname") or g["id"]) for g in data.get("groups", [])}

    async def _memberships(self, groups: Collection[str]) -> dict[str, set[str]]:
        """Members of every group in ``groups`` (and of any other a user is in), from pages of
        ``GET /cloud/users/details``: every entry carries its ``groups``, and ``limit``/``offset``
        page over users in the user backend's order, display name then uid
        (fixtures/provisioning_bulk_reads.json ``users_details_limit2_app_api``,
        ``users_details_all_app_api``; server lib/private/User/Database.php ``getDisplayNames``).

        The first page alone (a small Nextcloud: one call), then ``PAGES_AT_ONCE`` together; a
        page shorter than asked is the last (a page merges every user backend's ``limit`` users
        from ``offset``: short means all ran out). A user created, deleted or renamed between two
        pages shifts the others by one: a member read twice is harmless, one missed is added
        again by the plan (adding is idempotent) or seen by the next reading.
        """
        members: dict[str, set[str]] = {gid: set() for gid in groups}
        for uid, raw in (await self._users_details()).items():
            for gid in raw.get("groups") or []:
                members.setdefault(str(gid), set()).add(uid)
        return members

    async def everyone(self) -> list[UserInfo]:
        """Every account with its name, e-mail and language, in pages (as ``_memberships``): a page
        naming 45 people costs one or a few calls instead of one per person."""
        return [user_info(uid, raw) for uid, raw in (await self._users_details()).items()]

    async def _users_details(self) -> dict[str, dict[str, Any]]:
        """uid -> its ``/cloud/users/details`` entry, every page read (see ``_memberships``)."""
        found: dict[str, dict[str, Any]] = {}
        offsets, last = [0], False
        while not last:
            pages = await _bounded([self._users_page(at) for at in offsets])
            for page in pages:
                found.update(page)
            last = any(len(page) < USERS_PAGE for page in pages)
            offsets = [offsets[-1] + i * USERS_PAGE for i in range(1, PAGES_AT_ONCE + 1)]
        return found

    async def _users_page(self, offset: int) -> dict[str, dict[str, Any]]:
        """uid -> entry for one page; PHP sends ``[]`` for an empty page."""
        params = {"limit": USERS_PAGE, "offset": offset}
        users = (await self._ocs("GET", f"{paths.CLOUD}/users/details", params=params)).get("users")
        if not isinstance(users, dict):
            return {}
        return {str(raw.get("id") or uid): raw for uid, raw in users.items() if isinstance(raw, dict)}

    async def _members(self, gid: str) -> set[str]:
        return set((await self._ocs("GET", paths.group_members(gid))).get("users", []))

    async def _list_folders(self) -> dict[str, FolderState]:
        """All folders in one call; refreshes the mount point -> id cache."""
        data = await self._ocs("GET", paths.FOLDERS)
        folders = [folder_state(raw) for raw in (data.values() if isinstance(data, dict) else data)]
        self._ids = {f.mount_point: f.folder_id for f in folders if f.folder_id is not None}
        return {f.mount_point: f for f in folders}

    async def _folder(self, folder_id: int) -> FolderState:
        return folder_state(await self._ocs("GET", paths.folder(folder_id)))

    async def _folder_id(self, mount: str) -> int:
        if mount not in self._ids:
            await self._list_folders()
        if mount not in self._ids:
            raise NotFound(f"find folder {mount}", None, None, f"no team folder is mounted at {mount!r}")
        return self._ids[mount]

    # ---- applying ------------------------------------------------------------------------------

    async def apply(self, change: Change, *, in_doubt: bool = False) -> str:
        """Apply one change; ``in_doubt``: it may have reached Nextcloud already (the journal had it
        running when its process died), so calls Nextcloud would not refuse twice check first."""
        handler = self._handlers.get(type(change))
        if handler is None:
            raise TypeError(f"no way to apply {change.kind}")
        token = _IN_DOUBT.set(in_doubt)
        try:
            answer = await handler(change)
        finally:
            _IN_DOUBT.reset(token)
        log.info("Applied %s: %s", change, answer)
        return answer

    async def _create_group(self, c: CreateGroup) -> str:
        data = {"groupid": c.gid, **({"displayname": c.display_name} if c.display_name else {})}
        try:
            await self._ocs("POST", f"{paths.CLOUD}/groups", data=data)
        except NextcloudError as e:
            if e.ocs_status == 102:  # "group exists" (GroupsController::addGroup; create_group_existing_json)
                self._existing.add(c.gid)
                return "group already exists"
            raise
        self._existing.add(c.gid)
        return "group created"

    async def _add_member(self, c: AddMember) -> str:
        # Already a member answers 200 (fixtures: add_user_to_group_again_json).
        await self._membership("POST", c.gid, c.uid, data={"groupid": c.gid})
        return "member added"

    async def _remove_member(self, c: RemoveMember) -> str:
        # Not a member answers 200 (remove_user_from_group_not_member_json).
        await self._membership("DELETE", c.gid, c.uid, params={"groupid": c.gid})
        return "member removed"

    async def _membership(self, method: str, gid: str, uid: str, **kwargs: Any) -> None:
        try:
            await self._ocs(method, paths.user_groups(uid), **kwargs)
        except NextcloudError as e:  # 102 / 103: UsersController::addToGroup, removeFromGroup
            reasons = {102: f"group {gid} does not exist", 103: f"user {uid} does not exist"}
            if e.ocs_status in reasons:
                raise NextcloudError(e.operation, e.http_status, e.ocs_status, reasons[e.ocs_status]) from e
            raise

    async def _create_folder(self, c: CreateFolder) -> str:
        try:
            raw = await self._ocs("POST", paths.FOLDERS, data={"mountpoint": c.mount_point})
        except NextcloudError as e:
            if e.http_status == 400 and "already exists" in e.message.lower():
                await self._folder_id(c.mount_point)  # remember its id; raises if it is not ours to see
                return "folder already exists"
            raise
        created = folder_state(raw)
        if created.folder_id is not None:
            self._ids[created.mount_point] = created.folder_id
        return f"folder created (id {created.folder_id})"

    async def _rename_folder(self, c: RenameFolder) -> str:
        """``POST /folders/{id}/mountpoint`` (rename_folder_json). Replayed after a lost answer, the
        folder is found at its new mount point already; a mount point another folder holds is
        refused by Nextcloud (rename_folder_existing_json: 400 "Mount point already exists")."""
        await self._list_folders()
        if c.previous not in self._ids and c.mount_point in self._ids:
            return "folder already renamed"
        fid = await self._folder_id(c.previous)
        await self._ocs("POST", paths.folder(fid, "mountpoint"), data={"mountpoint": c.mount_point})
        self._ids.pop(c.previous, None)
        self._ids[c.mount_point] = fid
        return f"folder {fid} renamed"

    async def _rename_group(self, c: RenameGroup) -> str:
        """``PUT /cloud/groups/{gid}`` key=displayname (NEXTCLOUD.md §4.2; setting it twice is harmless)."""
        path = f"{paths.CLOUD}/groups/{paths.seg(c.gid)}"
        await self._ocs("PUT", path, data={"key": "displayname", "value": c.display_name})
        return "group renamed"

    async def _attach_group(self, c: AttachGroup) -> str:
        """``POST /folders/{id}/groups`` attaches with permissions 31 and refuses a group already
        attached (NEXTCLOUD.md §5.1), so one call when 31 is wanted, a second to set others.

        groupfolders accepts unknown ids (fixtures: add_group_unknown_group), so a group is
        checked first unless this gateway knows it exists (read, or created by the plan just
        before). A group deleted since the reading leaves a mapping the next plan heals by
        creating the group again (it is wanted: the plan attaches only wanted groups).
        """
        if c.gid not in self._existing:
            await self._require_group(c.gid)
        fid = await self._folder_id(c.mount_point)
        now: dict[str, int | None] = {}  # the group's permissions as the last answer showed them

        async def attached() -> bool:
            now["permissions"] = (await self._folder(fid)).groups.get(c.gid)
            return now["permissions"] is not None

        async def attach() -> None:
            path = paths.folder(fid, "groups")
            try:
                raw = await self._ocs("POST", path, data={"group": c.gid}, retry=False)
            except NextcloudError as e:
                if not (e.http_status == 400 and "already assigned" in e.message.lower()):
                    raise
                now["permissions"], now["before"] = None, 1  # attached before: permissions unknown
                return
            answer = raw.get("folder", {}) if isinstance(raw, dict) else {}
            now["permissions"] = folder_state(answer).groups.get(c.gid)

        outcome = await self._once(attached, attach)
        answer = "already set" if "before" in now else outcome
        if now.get("permissions") != c.permissions:
            await self._permissions(fid, c.gid, c.permissions)
        return f"group {answer}, permissions {c.permissions}"

    async def _set_group_permissions(self, c: SetGroupPermissions) -> str:
        await self._permissions(await self._folder_id(c.mount_point), c.gid, c.permissions)
        return f"permissions {c.permissions}"

    async def _permissions(self, fid: int, gid: str, permissions: int) -> None:
        path = paths.folder(fid, "groups", gid)
        raw = await self._ocs("POST", path, data={"permissions": str(permissions)})
        # Nextcloud answers success even when the group is not attached (an SQL UPDATE of nothing).
        if folder_state(raw.get("folder", {})).groups.get(gid) != permissions:
            raise NextcloudError(f"POST {path}", 200, None, f"group {gid} is not attached to folder {fid}")

    async def _set_acl(self, c: SetAcl) -> str:
        fid = await self._folder_id(c.mount_point)
        await self._ocs("POST", paths.folder(fid, "acl"), data={"acl": "1" if c.enabled else "0"})
        return "ACL enabled" if c.enabled else "ACL disabled"

    async def _set_acl_manager(self, c: SetAclManager) -> str:
        """Revoking deletes every matching row: one call, safe to repeat. Granting inserts without
        checking (setManageACL), and a check cannot see managers while ACL is off
        (disable_acl_json), so a grant is a revoke then the grant: exactly one row whatever
        happened before, two calls and no read. When the outcome is unknown (in doubt, or no
        answer), the folder is read first: a grant seen in place is not sent again."""
        fid = await self._folder_id(c.mount_point)
        path = paths.folder(fid, "manageACL")
        manager = AclManager(c.mapping_type, c.mapping_id)

        async def switch(manage: bool, retry: bool) -> None:
            data = {"mappingType": c.mapping_type, "mappingId": c.mapping_id, "manageAcl": str(int(manage))}
            await self._ocs("POST", path, data=data, retry=retry)

        if not c.manage:
            await switch(False, retry=True)
            return "manager revoked"

        async def granted() -> bool:
            folder = await self._folder(fid)  # managers are hidden while ACL is off
            return folder.acl and manager in folder.managers

        async def grant() -> None:
            await switch(False, retry=True)
            await switch(True, retry=False)

        return f"manager {await self._once(granted, grant)}"

    async def _set_acl_rules(self, c: SetAclRules) -> str:
        """The whole rule list of the path in one PROPPATCH, keeping the rules the app does not own.

        Levels of the path not known to exist are made first (MKCOL). The rules in place are
        those of a path created just now (none: groupfolders keys rules by file id), else those
        of a reading of the folder less than ``RULES_FRESH`` seconds old, else read (PROPFIND);
        always read when the change is in doubt. A path gone since it was seen is made again.
        """
        path = paths.norm_path(c.path)
        mount = c.mount_point
        levels = _levels(path)
        assumed = any((mount, level) in self._dirs for level in levels)
        created = await self._acl_write.ensure_path(mount, path, lambda level: (mount, level) in self._dirs)
        self._dirs |= {(mount, level) for level in levels}
        seen = None if _IN_DOUBT.get() else self._fresh_rules(mount)
        if created:
            current: set[AclRule] = set()
        elif seen is not None:
            current = seen.get(path, set())
        else:
            current = await self._acl_read.rules_at(mount, path)
        ours = {(r.mapping_type, r.mapping_id) for r in c.rules}
        kept = {r for r in current if (r.mapping_type, r.mapping_id) not in ours and not self._owned(r)}
        wanted = kept | set(c.rules)
        if wanted == current:
            return "rules already set"
        try:
            await self._acl_write.replace(mount, path, wanted)
        except NextcloudError as e:
            if e.http_status != 404 or not (assumed or seen is not None):
                raise
            self._forget_paths(mount)  # deleted since it was seen: make it again, read it
            return await self._set_acl_rules(c)
        if seen is not None:
            seen[path] = wanted
        return f"{len(c.rules)} rule(s) set, {len(kept)} kept"

    def _remember_rules(self, folders: Iterable[FolderState]) -> None:
        """Paths and rules of folders whose every rule was just read: the writes that follow soon
        need not read them again (:meth:`_set_acl_rules`)."""
        now = time.monotonic()
        for f in folders:
            if f.rules_readable and f.rules_reader:
                self._rules_seen[f.mount_point] = (now, {p: set(rules) for p, rules in f.rules.items()})
                self._dirs |= {(f.mount_point, level) for p in f.rules for level in _levels(p)}

    def _fresh_rules(self, mount: str) -> dict[str, set[AclRule]] | None:
        read_at, rules = self._rules_seen.get(mount, (0.0, None))
        return rules if rules is not None and time.monotonic() - read_at < RULES_FRESH else None

    def _forget_paths(self, mount: str) -> None:
        self._dirs = {d for d in self._dirs if d[0] != mount}
        self._rules_seen.pop(mount, None)

    def _owned(self, rule: AclRule) -> bool:
        return rule.mapping_type == "group" and self._managed(rule.mapping_id)

    async def _detach_group(self, c: DetachGroup) -> str:
        fid = await self._folder_id(c.mount_point)
        await self._ocs("DELETE", paths.folder(fid, "groups", c.gid))  # absent group answers success
        return "group detached"

    async def _require_group(self, gid: str) -> None:
        data = await self._ocs("GET", f"{paths.CLOUD}/groups", params={"search": gid})
        if gid not in data.get("groups", []):
            raise NextcloudError(f"check group {gid}", None, None, f"group {gid} does not exist")

    async def _once(self, done: Callable[[], Awaitable[bool]], act: Callable[[], Awaitable[None]]) -> str:
        """Send a call; check first only when its outcome is unknown: the change was in doubt
        (``apply``), or an earlier attempt got no answer (timeout, reset, 5xx)."""
        unknown = _IN_DOUBT.get()
        async for attempt in self._client.retrying(NextcloudUnavailable):
            with attempt:
                if unknown and await done():
                    return "already set"
                unknown = True  # from here on, a failure leaves the outcome unknown
                await act()
                return "set"
        raise AssertionError("unreachable")  # pragma: no cover

    # ---- people and notifications ----------------------------------------------------------------

    async def search_users(self, query: str, limit: int = 10) -> list[UserInfo]:
        data = await self._ocs(
            "GET", f"{paths.CLOUD}/users/details", params={"search": query, "limit": limit}
        )
        users = data.get("users") or {}
        return [user_info(uid, raw) for uid, raw in users.items()] if isinstance(users, dict) else []

    async def path_exists(self, mount: str, path: str) -> bool | None:
        """Whether ``path`` exists in the folder ``mount``, as the app's account sees it (a PROPFIND
        Depth 0); None when the account does not see the folder at all: it cannot tell."""
        try:
            await self._acl_read.rules_at(mount, path)
            return True
        except NotFound:
            pass
        try:
            await self._acl_read.rules_at(mount, "")
            return False
        except NotFound:
            return None

    async def get_user(self, uid: str) -> UserInfo | None:
        try:
            return user_info(uid, await self._ocs("GET", paths.user(uid)))
        except NotFound:
            return None

    async def is_admin(self, uid: str) -> bool:
        try:
            return "admin" in (await self._ocs("GET", paths.user_groups(uid))).get("groups", [])
        except NotFound:
            return False

    async def group_members(self, gid: str) -> set[str]:
        """The members of ``gid`` (none when the group does not exist)."""
        try:
            return await self._members(gid)
        except NotFound:
            return set()

    async def capabilities(self) -> dict[str, Any]:
        """Nextcloud's capabilities, one key per enabled app that declares some (``notifications``...).

        A public route (server core/Controller/OCSController.php ``getCapabilities``), asked with no
        user as nc_py_api does at start-up, so it answers even when the admin account is wrong.
        """
        data = await self._client.ocs("GET", paths.CAPABILITIES, user="")
        found = data.get("capabilities") if isinstance(data, dict) else None
        return dict(found) if isinstance(found, dict) else {}

    async def has_team_folders(self) -> bool:
        """False when the groupfolders app is missing: Nextcloud then has no route for it (404)."""
        try:
            await self._list_folders()
        except NotFound:
            return False
        return True

    async def notify(
        self, user: str, subject: str, subject_params: dict[str, Any], message: str, link: str
    ) -> str:
        """Body as nc_py_api/notifications.py ``_create``; the recipient is the impersonated user."""
        object_id = "".join(secrets.choice(_ID_CHARS) for _ in range(56))
        params: dict[str, Any] = {
            "rich_subject": subject,
            "rich_subject_params": subject_params,
            "rich_message": message,
            "rich_message_params": {},
        }
        if link:
            params["link"] = link
        body = {"object": "app_api", "object_id": object_id, "subject_type": "app_api_ex_app"}
        await self._client.ocs(
            "POST", paths.NOTIFY, user=user, json={"params": {**body, "subject_params": params}}
        )
        return object_id

    async def delete_notification(self, user: str, object_id: str) -> None:
        """Find by object id as ``user`` and dismiss every match (a retried create may have made two)."""
        listed = await self._client.ocs("GET", paths.NOTIFICATIONS, user=user) or []
        for item in listed:
            if item.get("object_id") == object_id:
                try:
                    await self._client.ocs(
                        "DELETE", f"{paths.NOTIFICATIONS}/{item['notification_id']}", user=user
                    )
                except NotFound:
                    pass

    async def _ocs(self, method: str, path: str, **kwargs: Any) -> Any:
        return await self._client.ocs(method, path, user=self._admin, **kwargs)


class _GroupMembers:
    """Members of groups during one reading: those already read, others asked once (a team id or a
    vanished group has none)."""

    def __init__(self, fetch: Callable[[str], Awaitable[set[str]]], known: Mapping[str, set[str]]) -> None:
        self._fetch = fetch
        self._known = known
        self._asked: dict[str, asyncio.Task[set[str]]] = {}

    async def of(self, gid: str) -> set[str]:
        if gid in self._known:
            return self._known[gid]
        if gid not in self._asked:
            self._asked[gid] = asyncio.ensure_future(self._ask(gid))
        return await self._asked[gid]

    async def _ask(self, gid: str) -> set[str]:
        try:
            return await self._fetch(gid)
        except NotFound:
            return set()


async def _bounded(calls: list[Coroutine[Any, Any, T]], limit: int = 8) -> list[T]:
    """Run reads concurrently, a few at a time, keeping their order."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Coroutine[Any, Any, T]) -> T:
        async with gate:
            return await call

    return list(await asyncio.gather(*(one(c) for c in calls)))


def _levels(path: str) -> list[str]:
    """``a/b/c`` -> ``a``, ``a/b``, ``a/b/c``."""
    parts = [p for p in path.split("/") if p]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def _others(
    folders: Mapping[str, FolderState], read: Mapping[str, FolderState], managed: Callable[[str], bool]
) -> dict[str, FolderState]:
    """Folders not asked for that hold one of the app's groups: a renamed or archived working
    group's folder. Drift shows them, and a plan renames the one a renamed group had; their rules
    are not read (``rules_readable`` false: nothing writes rules it has not seen)."""
    others = {m: f for m, f in folders.items() if m not in read and any(managed(g) for g in f.groups)}
    for folder in others.values():
        folder.rules_readable, folder.rules_problem = False, "not_read"
    return others


def folder_state(raw: dict[str, Any]) -> FolderState:
    """A groupfolders Folder (lib/ResponseDefinitions.php); PHP sends ``[]`` for an empty map."""
    groups = raw.get("groups") or {}
    return FolderState(
        mount_point=str(raw.get("mount_point", "")),
        groups={str(g): int(p) for g, p in groups.items()} if isinstance(groups, dict) else {},
        acl=bool(raw.get("acl")),
        managers={AclManager(str(m["type"]), str(m["id"])) for m in raw.get("manage") or []},
        folder_id=int(raw["id"]) if "id" in raw else None,
    )


def user_info(uid: str, raw: dict[str, Any]) -> UserInfo:
    name = raw.get("displayname") or raw.get("display-name") or uid
    return UserInfo(
        uid=str(raw.get("id") or uid),
        display_name=str(name),
        email=str(raw.get("email") or ""),
        language=str(raw.get("language") or ""),
        groups=tuple(str(g) for g in raw.get("groups") or ()),
    )
