"""The organization a benchmark's HEMIS runs belong to: its own HEMIS is the one the benchmark's
settings name (`HEMIS_API_URL`, `HEMIS_BEARER_TOKEN`: the simulator), so it syncs whatever other
organizations the benchmark made (the deployment's HEMIS serves a lone organization only)."""

from __future__ import annotations

from sqlalchemy import select

from shared.models import Organization
from shared.services import Services

BENCH_UNIVERSITY = "Bench university"


def bench_university(svc: Services) -> int:
    """The id of the benchmark's university, made on first use in the benchmark's database."""
    settings = svc.settings
    with svc.session() as session:
        found = session.scalar(select(Organization.id).where(Organization.name == BENCH_UNIVERSITY))
        if found is not None:
            return int(found)
        organization = Organization(name=BENCH_UNIVERSITY, hemis_url=settings.hemis_api_url,
                                    hemis_token=settings.hemis_bearer_token)
        session.add(organization)
        session.flush()
        return int(organization.id)
