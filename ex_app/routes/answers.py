"""How a route answers besides its page: an error flash, a Nextcloud that could not be read,
rights in words, the address htmx pushes, a download's headers."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse

from lib.core.explain import BITS
from lib.core.faults import NextcloudError
from lib.core.model import Right

from ..deps import Caller

log = logging.getLogger(__name__)


def error(message: str) -> dict[str, str]:
    """The flash of a page shown again after a refusal or a failure."""
    return {"flash": message, "flash_kind": "error"}


def unread(caller: Caller, exc: NextcloudError) -> dict[str, str]:
    log.warning("reading Nextcloud failed: %s", exc)
    return error(caller._("Nextcloud could not be read: %(error)s", error=str(exc)))


RIGHT_NAMES = {
    int(Right.NONE): "none",
    int(Right.CONSULT): "consult",
    int(Right.MODIFY): "modify",
    int(Right.MANAGE): "manage",
}


def right_text(caller: Caller, bits: int | None) -> str:
    """``15`` -> "modify"; bits that are no named right -> "read, share"; None -> not attached."""
    if bits is None:
        return caller._("not attached")
    if bits in RIGHT_NAMES:
        return caller._(RIGHT_NAMES[bits])
    return ", ".join(caller._(name) for name, bit in BITS if bits & bit)


def pushed(response: HTMLResponse, caller: Caller, page: str, query: dict[str, str]) -> HTMLResponse:
    """Let htmx put the page's own address (not the proxy's) in the browser history."""
    kept = {k: v for k, v in query.items() if v}
    response.headers["HX-Push-Url"] = f"{caller.page_base}{page}" + (f"?{urlencode(kept)}" if kept else "")
    return response


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
