"""Extra fault for the stand-in: Nextcloud does the work, then the answer is lost.

The stand-in's own faults ("500", "503", "timeout", "drop") fail *before* the request is handled.
A lost answer after the change was made is the case that tempts a client into applying a change
twice, so the apply tests need it too. Added by the gateway helper; it wraps ``StandIn.app``
without editing the stand-in's files.
"""

from __future__ import annotations

import re
from typing import Any

from tests.standin import StandIn


class _LoseAnswers:
    """ASGI wrapper: handle matching requests fully, then close the connection without answering."""

    def __init__(self, app: Any, method: str, pattern: str, times: int, after: int) -> None:
        self.app, self.method, self.pattern = app, method.upper(), re.compile(pattern)
        self.times, self.after = times, after

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "http" and self._take(scope["method"], scope["path"]):
            await self.app(scope, receive, _swallow)
            cycle = getattr(send, "__self__", None)  # uvicorn's request cycle owns the transport
            cycle.transport.close()  # type: ignore[union-attr]
            cycle.disconnected = True  # type: ignore[union-attr]
            return None
        return await self.app(scope, receive, send)

    def _take(self, method: str, path: str) -> bool:
        if self.times <= 0 or self.method != method or not self.pattern.search(path):
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.times -= 1
        return True


async def _swallow(message: dict[str, Any]) -> None:
    return None


def lose_answer(standin: StandIn, method: str, path_regex: str, times: int = 1, after: int = 0) -> None:
    """Let the stand-in handle the next ``times`` matching requests (skipping the first ``after``)
    and answer them with a dropped connection."""
    standin.app = _LoseAnswers(standin.app, method, path_regex, times, after)  # type: ignore[assignment]
