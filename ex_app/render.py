"""Server-side rendering of the pages with jinja2 (autoescaped) in the caller's language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

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
        caller=caller, _=caller._, nav=nav(caller, caller.pending), active=active, **ctx
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
