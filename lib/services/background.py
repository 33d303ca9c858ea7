"""Periodic work inside the ExApp process (AppAPI offers no cron to ExApps: NEXTCLOUD.md §7)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .governance import Governance

log = logging.getLogger(__name__)


def start(gov: Governance) -> list[asyncio.Task[None]]:
    """Tasks this process runs; each is safe when several processes share one database."""
    return []
