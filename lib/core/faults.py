"""What the outside systems may answer, as the core names it: the ports' errors.

Adapters raise these (lib/nextcloud for Nextcloud, lib/store for the database); services and routes
catch them without importing an adapter, so the layers read in one direction (issue 17).
"""

from __future__ import annotations


class NextcloudError(Exception):
    """Nextcloud refused a call (4xx, or an OCS status other than success): retrying will not help."""

    def __init__(self, operation: str, http_status: int | None, ocs_status: int | None, message: str) -> None:
        self.operation = operation
        self.http_status = http_status
        self.ocs_status = ocs_status
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        codes = [f"HTTP {self.http_status}"] if self.http_status is not None else []
        if self.ocs_status is not None:
            codes.append(f"OCS {self.ocs_status}")
        reason = self.message or "no reason given"
        suffix = f" ({', '.join(codes)})" if codes else ""
        return f"{self.operation}: {reason}{suffix}"


class NotFound(NextcloudError):
    """The thing asked for does not exist (HTTP 404, OCS 404 or 998)."""


class NextcloudUnavailable(NextcloudError):
    """Network error, timeout or 5xx that outlasted the retries: the call may be tried again later."""


class StaleOrganisation(Exception):
    """Someone else saved the organisation since it was read."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"organisation changed (version {current}, expected {expected})")
        self.expected = expected
        self.current = current


class ConcurrentUpdate(Exception):
    """Someone changed the request since it was read."""
