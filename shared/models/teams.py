"""Branches and departments of an organization: its teams (issue 19 point 2).

A department belongs to one branch of the same organization; a user may belong to one department
(`users.department_id`) and a MANAGER may be limited to one (`users.managed_department_id`, see
`api.teams.scope`). Names are unique where people look for them: a branch's within its
organization, a department's within its branch. Deleting a branch that has departments, or a
department that has users, is refused (the API answers 409; the foreign keys, NO ACTION, hold it
too, while an organization's deletion still cascades to both in one statement).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, utcnow

TEAM_NAME_LENGTH = 200


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The unique (organization_id, name) index serves the organization's lookups too.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(TEAM_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("branch_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Kept beside branch_id (always the branch's organization) so that scoping a department to the
    # caller's organization needs no join.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str] = mapped_column(String(TEAM_NAME_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
