"""A Nextcloud stand-in: the HTTP routes the Governance app uses, answered as Nextcloud 32.0.1 does.

See tests/standin/README.md for what it covers and its sources.
"""

from tests.standin.server import StandIn, StandInError
from tests.standin.state import Folder, Notification, User

__all__ = ["Folder", "Notification", "StandIn", "StandInError", "User"]
