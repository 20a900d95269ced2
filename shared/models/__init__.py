"""SQLAlchemy 2.0 models, one module per domain; importing this package registers them all."""

from shared.models.ai import (
    AI_STATUSES,
    MAX_SCORE_BY_MODE,
    AiStatus,
    CallScore,
    Criterion,
    ScoringMode,
    TranscriptSegment,
    Violation,
)
from shared.models.analytics import CallLogEntry
from shared.models.base import Base, JSONType, UTCDateTime, utcnow
from shared.models.calls import Call
from shared.models.hemis import Employee, HemisDepartment, HemisGroup, HemisSemester, HemisSpecialty, Student
from shared.models.platform import (
    ADMIN_ROLES,
    DEFAULT_TIME_ZONE,
    FINISHED_STATUSES,
    READER_ROLES,
    Organization,
    Role,
    RunStatus,
    SyncRun,
    User,
)
from shared.models.teams import Branch, Department

__all__ = [
    "AI_STATUSES", "MAX_SCORE_BY_MODE", "AiStatus", "CallScore", "Criterion", "ScoringMode",
    "TranscriptSegment", "Violation", "Employee", "Student",
    "HemisDepartment", "HemisGroup", "HemisSemester", "HemisSpecialty",
    "Branch", "Department",
    "ADMIN_ROLES", "DEFAULT_TIME_ZONE", "FINISHED_STATUSES", "READER_ROLES", "Base", "Call", "CallLogEntry", "JSONType", "Organization", "Role",
    "RunStatus", "SyncRun", "UTCDateTime", "User", "utcnow",
]
