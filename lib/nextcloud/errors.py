"""One error family for everything Nextcloud answers (STYLE.md: typed errors, one base per layer)."""

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
