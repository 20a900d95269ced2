"""The per-process cache of organizations' Sipuni accounts (real database, a fake clock)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from shared.db import make_session_factory, session_scope
from shared.models import Organization
from workers.sipuni.accounts import AccountCache, SipuniAccount, UnknownOrganization

TTL_S = 30.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def open_session(engine):  # type: ignore[no-untyped-def]
    factory = make_session_factory(engine)
    return lambda: session_scope(factory)


def _org(db: Session, **fields: str | None) -> Organization:
    organization = Organization(name="acme", **fields)
    db.add(organization)
    db.commit()
    return organization


def test_the_organizations_own_account_wins_and_is_remembered_until_the_ttl(db, settings, open_session):
    organization = _org(db, sipuni_user="007", sipuni_secret="org-secret")
    clock = FakeClock()
    cache = AccountCache(ttl_s=TTL_S, clock=clock)
    assert cache.account(organization.id, settings, open_session) == SipuniAccount("007", "org-secret")

    organization.sipuni_secret = "rotated"
    db.commit()
    clock.now += TTL_S - 1
    assert cache.account(organization.id, settings, open_session).secret == "org-secret"
    clock.now += 2
    assert cache.account(organization.id, settings, open_session).secret == "rotated"


def test_an_organization_without_an_account_falls_back_to_the_deployments(db, settings, open_session):
    organization = _org(db)
    deployment = settings.replace(sipuni_user="0100", sipuni_secret="deploy-secret")
    assert AccountCache().account(organization.id, deployment, open_session) == SipuniAccount("0100", "deploy-secret")


def test_an_unknown_organization_is_an_error(db, settings, open_session):
    with pytest.raises(UnknownOrganization, match="organization 999999 does not exist"):
        AccountCache().account(999999, settings, open_session)
