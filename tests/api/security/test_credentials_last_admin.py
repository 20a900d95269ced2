"""An organization keeps an active ADMIN (issue #18, point 3): its last one cannot be deactivated,
demoted or moved away (409), also when two requests race for it."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select, text

from shared.models import Organization, User

LOCK_WAIT_DEADLINE_S = 10.0
POLL_S = 0.05


def test_the_last_active_admin_cannot_be_deactivated_demoted_or_moved(client, make_user, auth_headers, db):
    admin = make_user("ADMIN")
    root = auth_headers("SUPERADMIN")
    elsewhere = Organization(name="Elsewhere")
    db.add(elsewhere)
    db.commit()
    for method, body in (("delete", None), ("patch", {"isActive": False}), ("patch", {"role": "MANAGER"}),
                         ("patch", {"role": "SUPERADMIN"}), ("patch", {"organizationId": elsewhere.id})):
        response = getattr(client, method)(f"/users/{admin.id}", json=body, headers=root)
        assert response.status_code == 409, (method, body, response.get_json())
        assert "last active ADMIN" in response.get_json()["message"]
    db.expire_all()
    stored = db.get(User, admin.id)
    assert (stored.is_active, stored.role, stored.organization_id, stored.credential_version) == \
        (True, "ADMIN", admin.organization_id, 0)


def test_with_another_active_admin_one_can_go(client, make_user, auth_headers, db):
    admin = make_user("ADMIN")
    peer = make_user("ADMIN", organization=admin.organization)
    inactive = make_user("ADMIN", organization=admin.organization)
    inactive.is_active = False
    db.commit()
    headers = auth_headers(user=admin)
    assert client.patch(f"/users/{peer.id}", json={"role": "MANAGER"}, headers=headers).status_code == 200
    # Now the admin is the last active one (an inactive ADMIN does not count): a SUPERADMIN cannot remove them.
    assert client.delete(f"/users/{admin.id}", headers=auth_headers("SUPERADMIN")).status_code == 409
    # Demoting or deactivating a user who is not an active ADMIN needs no other ADMIN.
    assert client.patch(f"/users/{inactive.id}", json={"role": "EMPLOYEE"}, headers=headers).status_code == 200
    assert client.delete(f"/users/{peer.id}", headers=headers).status_code == 200


def test_two_admins_deactivating_each_other_at_once_leave_one(app, make_user, auth_headers, db, engine):
    """Both requests are in flight together: the organization's row is held by the test while they
    arrive, so each passes every check it can make before the other commits. Released, one
    succeeds and the other answers 409."""
    first = make_user("ADMIN")
    second = make_user("ADMIN", organization=first.organization)
    organization_id = first.organization_id
    headers = {first.id: auth_headers(user=first), second.id: auth_headers(user=second)}
    statuses: dict[int, int] = {}

    def deactivate(caller: User, target: User) -> None:
        response = app.test_client().delete(f"/users/{target.id}", headers=headers[caller.id])
        statuses[caller.id] = response.status_code

    with engine.connect() as holder:
        holder.execute(text("SELECT id FROM organizations WHERE id = :id FOR UPDATE"), {"id": organization_id})
        threads = [threading.Thread(target=deactivate, args=(first, second)),
                   threading.Thread(target=deactivate, args=(second, first))]
        for thread in threads:
            thread.start()
        waiting = _wait_for_lock_waiters(engine, 2)
        holder.rollback()
    for thread in threads:
        thread.join(timeout=30)
    assert waiting == 2, "both requests should have waited for the organization's lock"
    assert sorted(statuses.values()) == [200, 409], statuses
    db.expire_all()
    active_admins = db.scalar(select(func.count()).select_from(User).where(
        User.organization_id == organization_id, User.role == "ADMIN", User.is_active.is_(True)))
    assert active_admins == 1


def _wait_for_lock_waiters(engine, expected: int) -> int:  # type: ignore[no-untyped-def]
    """How many sessions of this database wait for a lock, once `expected` do (or at the deadline)."""
    deadline = time.monotonic() + LOCK_WAIT_DEADLINE_S
    waiting = 0
    with engine.connect() as watcher:
        while time.monotonic() < deadline:
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar_one()
            watcher.rollback()
            if waiting >= expected:
                break
            time.sleep(POLL_S)
    return waiting
