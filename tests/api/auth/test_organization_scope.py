"""`?organizationId=N`: a SUPERADMIN acting for an organization.

`current_organization_id()` reads the parameter only from the route's validated query, so a route
that acts for an organization must declare it (`OrganizationScope`); one that forgot would tell a
SUPERADMIN "your user belongs to no organization". Anyone else always acts for their own.
"""

from __future__ import annotations

import re

from flask_jwt_extended import create_access_token

from api.auth.roles import NO_ORGANIZATION
from tests.api.openapi.declarations import routes


def _concrete(rule: str) -> str:
    """A path for a rule: every <converter:name> becomes a plausible value."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "students" if m.group(1) == "kind" else "1", rule)


def test_no_route_ignores_the_organization_a_superadmin_names(app_without_workers, make_user):
    organization_id = make_user("ADMIN").organization_id
    superadmin = make_user("SUPERADMIN")
    client = app_without_workers.test_client()
    refused = []
    for rule, method in routes(app_without_workers):
        with app_without_workers.app_context():  # a fresh token each time: POST /auth/logout revokes its own
            headers = {"Authorization": f"Bearer {create_access_token(identity=str(superadmin.id))}"}
        response = client.open(f"{_concrete(rule.rule)}?organizationId={organization_id}", method=method, json={},
                               headers=headers)
        assert response.status_code != 500, (method, rule.rule, response.data[:300])
        if response.is_json and response.get_json().get("message") == NO_ORGANIZATION:
            refused.append(f"{method} {rule.rule}")
    assert refused == []


def test_a_superadmin_without_an_organization_is_told_to_name_one(client, auth_headers):
    response = client.get("/criteria", headers=auth_headers("SUPERADMIN"))
    assert response.status_code == 400 and response.get_json()["message"] == NO_ORGANIZATION


def test_anyone_else_acts_for_their_own_organization_whatever_they_pass(client, auth_headers, make_user):
    admin, stranger = make_user("ADMIN"), make_user("ADMIN")
    headers = auth_headers(user=admin)
    body = client.get(f"/settings?organizationId={stranger.organization_id}", headers=headers).get_json()
    assert body["organizationId"] == admin.organization_id
