"""Server-side rendering of the pages with jinja2 (autoescaped) in the caller's language."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from lib.services.memo import Memo

from .deps import Caller

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the app: no stat() of every template on every request
)


def nav(caller: Caller, pending: int = 0) -> list[dict[str, Any]]:
    """Navigation entries the caller's role allows (the policy decides, the page only hides)."""
    a = caller.actor
    items = [
        ("groups", "/groups", caller._("Working groups"), 0),
        ("mine", "/requests", caller._("My requests"), 0),
    ]
    if a.operates:
        items.append(("decide", "/decide", caller._("To decide"), pending))
    if a.reads_all:
        items += [
            ("matrix", "/matrix", caller._("Access matrix"), 0),
            ("audit", "/audit", caller._("Audit log"), 0),
            ("stats", "/stats", caller._("Statistics"), 0),
        ]
    if a.operates:
        items.append(("org", "/organisation", caller._("Organisation"), 0))
    return [{"key": k, "path": p, "label": label, "badge": b} for k, p, label, b in items]


def render(caller: Caller, template: str, active: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    html = env.get_template(template).render(
        caller=caller, _=caller._, ngettext=caller.ngettext, nav=nav(caller, caller.pending), active=active,
        **ctx,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


class Fragments:
    """A part of a page rendered once and kept while what it shows is unchanged.

    Big tables (the matrix, the statistics, the audit log) are the same for every reader in one
    language until the organisation, the reading or the entries change: the ``objects`` (by
    identity) and ``values`` (by equality) given must say everything the part depends on.
    """

    def __init__(self, template: str, size: int = 64) -> None:
        self._template = env.get_template(template)
        self._kept: Memo[Markup] = Memo(size)

    def get(
        self, objects: tuple[object, ...], values: tuple[Hashable, ...], context: Callable[[], dict[str, Any]]
    ) -> Markup:
        return self._kept.get(objects, values, lambda: self.render(context()))

    def render(self, context: dict[str, Any]) -> Markup:
        """Rendered now, not kept (a part showing what one person typed)."""
        return Markup(self._template.render(**context))  # noqa: S704 - an autoescaping environment
