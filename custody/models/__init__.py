"""SQLAlchemy 2.x typed models, one module per aggregate. Importing this registers them all."""

from .agency import Agency, CustodyCentre, StorageLocation
from .audit import AuditEvent
from .user import ApiToken, LoginSession, User, UserRole

__all__ = [
    "Agency",
    "ApiToken",
    "AuditEvent",
    "CustodyCentre",
    "LoginSession",
    "StorageLocation",
    "User",
    "UserRole",
]
