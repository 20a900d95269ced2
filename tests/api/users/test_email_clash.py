"""An email taken in another organization (issue #18, point 7): an ADMIN gets the same 409 as for
one taken in their own, which says nothing about where the email is used."""

from __future__ import annotations

PASSWORD = "a-long-enough-password"


def _create(client, headers, email: str):  # type: ignore[no-untyped-def]
    return client.post("/users", json={"email": email, "password": PASSWORD, "role": "EMPLOYEE"}, headers=headers)


def test_a_clash_answers_the_same_wherever_the_email_is_taken(client, make_user, auth_headers):
    admin = make_user("ADMIN")
    colleague = make_user("EMPLOYEE", organization=admin.organization)
    stranger = make_user("EMPLOYEE")  # another organization
    headers = auth_headers(user=admin)
    own, foreign = _create(client, headers, colleague.email), _create(client, headers, stranger.email)
    assert own.status_code == foreign.status_code == 409
    assert own.get_json() == foreign.get_json() == {
        "success": False, "message": "This email cannot be used; choose another", "errors": {"email": "cannot be used"}}
    mine = _create(client, headers, "fresh@example.test").get_json()["user"]
    moved = client.patch(f"/users/{mine['id']}", json={"email": stranger.email.upper()}, headers=headers)
    assert moved.status_code == 409 and moved.get_json() == foreign.get_json()
    text = foreign.get_data(as_text=True).lower()
    assert "organization" not in text and "exists" not in text and str(stranger.organization_id) not in text
