"""Nextcloud's answers as errors: the family is the core's (lib/core/faults.py), raised here."""

from __future__ import annotations

from lib.core.faults import NextcloudError, NextcloudUnavailable, NotFound

__all__ = ["NextcloudError", "NextcloudUnavailable", "NotFound"]
