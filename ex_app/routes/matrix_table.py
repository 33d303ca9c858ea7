"""The rows and columns of the access matrix, named as a volunteer names them.

Rows are Nextcloud groups, shown by working group and role ("Communication — facilitators"), the
group id only as a detail; columns are folders by name. A small association (up to ``ALL_AT_ONCE``
folders) sees its whole matrix on one page; a large one (the benchmark has 500 folders) filters by
folder or group name and pages ``FOLDERS_PAGE`` folders at a time. Nothing here reads Nextcloud:
everything comes from the organisation and its desired state, so a table can be cached per language
(ex_app/render.py ``Fragments``).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from lib.core.model import ORG_REFS, Organisation, OrgGroup, Role, role_ref
from lib.core.paging import search
from lib.core.state import FolderState, NextcloudState
from lib.core.wording import ORG_GROUP_WORDS, ROLE_WORDS
from lib.services.memo import Memo

from ..deps import Caller
from ..render import Fragments

FOLDERS_PAGE, ALL_AT_ONCE = 25, 30
Cell = tuple[str, int | None, tuple[tuple[str, int | None], ...]]  # mount, bits, (sub-path, bits)


@dataclass(frozen=True)
class Column:
    mount: str
    name: str
    paths: tuple[str, ...]  # sub-paths with ACL rules, folded under the folder


@dataclass(frozen=True)
class Row:
    gid: str
    label: str
    cells: tuple[Cell | None, ...]  # None: no access and no sub-folder rule (most cells of a large page)


def page_size(total: int) -> int:
    """Every folder at once up to ``ALL_AT_ONCE`` (a board reads its whole matrix), else pages."""
    return ALL_AT_ONCE if total <= ALL_AT_ONCE else FOLDERS_PAGE


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


_LABELS: Memo[dict[str, str]] = Memo(4)


def group_labels(org: Organisation, caller: Caller) -> dict[str, str]:
    """Nextcloud group id -> "Communication — facilitators", "The board"... in the caller's language;
    built once per organisation and language (500 working groups make 2,000 names)."""

    def build() -> dict[str, str]:
        gid = org.naming.gid
        labels = {gid(ref): _first_upper(caller._(ORG_GROUP_WORDS.get(ref, ref))) for ref in ORG_REFS}
        roles = {role: caller._(ROLE_WORDS[role]) for role in Role}
        for wg in org.working_groups:
            for role in Role:
                labels.setdefault(
                    gid(role_ref(wg.slug, role)),
                    caller._("%(group)s — %(role)s", group=wg.name, role=roles[role]),
                )
        return labels

    return _LABELS.get((org,), (caller.lang,), build)


def folder_names(org: Organisation, desired: NextcloudState) -> dict[str, str]:
    """Mount point -> the working group's name (the mount point itself for a folder of no group)."""
    names = {wg.folder: wg.name for wg in org.working_groups}
    return {m: names.get(m, m) for m in desired.folders}


_CHOICES: Memo[list[tuple[str, str]]] = Memo(2)


def folder_choices(org: Organisation, desired: NextcloudState) -> list[tuple[str, str]]:
    """Every folder as (mount point, name), by name: what the "explain" forms offer."""
    return _CHOICES.get(
        (org, desired),
        (),
        lambda: sorted(folder_names(org, desired).items(), key=lambda m: (m[1].casefold(), m[0])),
    )


FOLDER_OPTIONS = Fragments("_folder_options.html")


def folder_options(
    caller: Caller, org: Organisation, desired: NextcloudState, chosen: str = "", unknown: bool = False
) -> Markup:
    """The explanation form's list of every folder: 500 options, rendered once per organisation,
    language and folder chosen, not on every view of the matrix."""
    choices = folder_choices(org, desired)
    context = {"_": caller._, "folder_choices": choices, "chosen": chosen, "unknown_folder": unknown}
    return FOLDER_OPTIONS.get((choices,), (caller.lang, chosen, unknown), lambda: context)


def groups_on(folder: FolderState) -> set[str]:
    rules = {r.mapping_id for rs in folder.rules.values() for r in rs if r.mapping_type == "group"}
    return set(folder.groups) | rules


def folders_matching(org: Organisation, desired: NextcloudState, q: str) -> list[str]:
    """Folders whose mount point, working group name or slug hold every word of ``q`` (any case)."""
    if not q.strip():
        return list(desired.folders)
    by_folder = {wg.folder: (wg.name, wg.slug) for wg in org.working_groups}
    return search(desired.folders, q, lambda m: (m, *by_folder.get(m, ())))


def groups_matching(labels: dict[str, str], desired: NextcloudState, q: str) -> frozenset[str]:
    """Groups whose name and role as shown, display name or id hold every word of ``q`` (any case):
    "communication animateurs" finds gt-communication-animateurs in either language."""
    gids = set(desired.groups) | {g for f in desired.folders.values() for g in f.groups}

    def texts(gid: str) -> tuple[str, str, str]:
        return labels.get(gid, ""), desired.display_names.get(gid, ""), gid

    return frozenset(search(sorted(gids), q, texts))


def matrix(
    org: Organisation,
    desired: NextcloudState,
    labels: dict[str, str],
    mounts: list[str],
    wanted: frozenset[str] | None = None,
    marked: frozenset[tuple[str, str]] = frozenset(),
) -> tuple[list[Column], list[Row]]:
    """Columns are the given folders, rows the groups (of ``wanted``, when given) with a right on one;
    a ``marked`` cell (mount point, group) is kept even where the group should have no access."""
    names = folder_names(org, desired)
    columns = [Column(m, names[m], tuple(sorted(desired.folders[m].rules))) for m in mounts]
    shown = {gid for m in mounts for gid in groups_on(desired.folders[m])}
    if wanted is not None:
        shown &= wanted
    refs = org.group_refs
    order = {ref: i for i, ref in enumerate([*(g.value for g in OrgGroup), "app"])}
    rows = []
    for gid in sorted(shown, key=lambda g: (order.get(refs.get(g, ""), 99), refs.get(g, g))):
        label = labels.get(gid) or desired.display_names.get(gid, gid)
        rows.append(Row(gid, label, tuple(_cell_of(desired, col, gid, marked) for col in columns)))
    return columns, rows


def _cell_of(
    desired: NextcloudState, col: Column, gid: str, marked: frozenset[tuple[str, str]]
) -> Cell | None:
    folder = desired.folders[col.mount]
    paths = []
    for path in col.paths:
        rule = next(
            (r for r in folder.rules[path] if r.mapping_type == "group" and r.mapping_id == gid), None
        )
        paths.append((path, rule.permissions if rule else None))
    bits = folder.groups.get(gid)
    if bits is None and all(p is None for _path, p in paths) and (col.mount, gid) not in marked:
        return None
    return col.mount, bits, tuple(paths)
