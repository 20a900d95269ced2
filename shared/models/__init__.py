"""SQLAlchemy 2.0 models, one module per domain; importing this package registers them all."""

from shared.models.base import Base, JSONType, UTCDateTime, utcnow
from shared.models.calls import Call
from shared.models.hemis import Employee, Student
from shared.models.platform import (
    ADMIN_ROLES,
    FINISHED_STATUSES,
    Organization,
    Role,
    RunStatus,
    SyncRun,
    User,
)

__all__ = [
    "ADMIN_ROLES", "FINISHED_STATUSES", "Base", "Call", "Employee", "JSONType", "Organization", "Role",
    "RunStatus", "Student", "SyncRun", "UTCDateTime", "User", "utcnow",
]
