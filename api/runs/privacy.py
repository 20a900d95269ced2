"""What an organization's users must not learn from the runs they see (issue #18, point 9).

A non-SUPERADMIN sees their organization's runs only (`api.runs.routes`; HEMIS runs included, each
organization syncing its own HEMIS). Those may still have been started or cancelled by someone of
no organization of theirs (a SUPERADMIN acting for it): a single-record sync keeps the ID number it
searched for in `stats` (and names it in its errors), and every run triggered over HTTP names its
user in `triggeredBy` (`user:<id>`). So, for anyone but a SUPERADMIN:

- `triggeredBy` of a user of another organization (or of none: a SUPERADMIN) is `null`, and so is
  `stats.cancelledBy` (who cancelled the run, `shared.runs.cancel`);
- a single-record sync not triggered by a user of the caller's organization shows no `stats`, no
  errors and no message (its status and counts stay).

Works on run records as `shared.runs.record.run_as_dict` (and `api.runs.view.run_view`) make them.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.http.input_guards import MAX_DB_INT
from shared.hemis.names import SINGLE_RUN_KINDS
from shared.models import Role, User

USER_TRIGGER_PREFIX = "user:"
Record = MutableMapping[str, Any]


@dataclass(frozen=True)
class Viewer:
    role: str
    organization_id: int | None

    @property
    def sees_everything(self) -> bool:
        return self.role == Role.SUPERADMIN.value


def hide_other_organizations(session: Session, records: Iterable[Record], viewer: Viewer) -> None:
    """Blank, in place, what `viewer` may not see of each record (nothing for a SUPERADMIN)."""
    if viewer.sees_everything:
        return
    records = list(records)
    mentioned = {_user_id(r.get("triggeredBy")) for r in records} | {_user_id(_cancelled_by(r)) for r in records}
    organization_of = _organizations_of(session, mentioned - {None})
    for record in records:
        _hide_canceller(record, organization_of, viewer)
        user_id = _user_id(record.get("triggeredBy"))
        own = (user_id is not None and viewer.organization_id is not None
               and organization_of.get(user_id) == viewer.organization_id)
        if user_id is not None and not own:
            record["triggeredBy"] = None
        if record.get("kind") in SINGLE_RUN_KINDS and not own:
            _hide_lookup(record)


def _cancelled_by(record: Record) -> object:
    stats = record.get("stats")
    return stats.get("cancelledBy") if isinstance(stats, MutableMapping) else None


def _hide_canceller(record: Record, organization_of: dict[int, int | None], viewer: Viewer) -> None:
    user_id = _user_id(_cancelled_by(record))
    if user_id is not None and (viewer.organization_id is None
                                or organization_of.get(user_id) != viewer.organization_id):
        record["stats"]["cancelledBy"] = None


def _hide_lookup(record: Record) -> None:
    """The ID number looked up is in `stats`, and named by the errors and the message."""
    record["stats"] = {}
    record["errors"] = []
    if "live" in record:
        record["live"] = None
    progress = record.get("progress")
    if isinstance(progress, MutableMapping):
        progress["latestErrors"] = []
        progress["message"] = ""


def _user_id(triggered_by: object) -> int | None:
    if not isinstance(triggered_by, str) or not triggered_by.startswith(USER_TRIGGER_PREFIX):
        return None
    number = triggered_by[len(USER_TRIGGER_PREFIX):]
    if not (number.isascii() and number.isdigit()) or int(number) > MAX_DB_INT:
        return None
    return int(number)


def _organizations_of(session: Session, user_ids: set[int | None]) -> dict[int, int | None]:
    """Each user's organization, in one query (a deleted user is absent: never "own")."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.organization_id).where(User.id.in_(user_ids)))
    return {int(user_id): organization_id for user_id, organization_id in rows}
