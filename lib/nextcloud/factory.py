"""Builds the Nextcloud gateway from Settings (the composition root's one entry into this adapter)."""

from __future__ import annotations

from lib.settings import Settings

from .client import AppAPIClient
from .gateway import NextcloudGateway


def gateway_from_settings(settings: Settings, **client_options: object) -> NextcloudGateway:
    return NextcloudGateway(
        AppAPIClient.from_settings(settings, **client_options), settings.governance_admin_user
    )
