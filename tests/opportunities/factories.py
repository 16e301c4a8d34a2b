"""Opportunities for tests, created through the service (so each has its first StageChange)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from opportunities import services
from opportunities.models import Opportunity, Pipeline, Stage
from tests.factories import CustomerFactory


def tob() -> Pipeline:
    """The seeded "ToB project sale" pipeline (data migration 0002)."""
    return Pipeline.objects.get(name="ToB project sale")


def stage(name: str, pipeline: Pipeline | None = None) -> Stage:
    return (pipeline or tob()).stages.get(name=name)


def make_opportunity(
    *,
    owner,
    customer=None,
    name: str = "Deal",
    amount: str | Decimal = "1000.00",
    stage_name: str = "Initial contact",
    pipeline: Pipeline | None = None,
    created_at: dt.datetime | None = None,
    expected_close_on: dt.date | None = None,
    by=None,
) -> Opportunity:
    customer = customer or CustomerFactory(owner=owner)
    return services.opportunity_create(
        by=by or owner,
        customer=customer,
        name=name,
        owner=owner,
        stage=stage(stage_name, pipeline),
        amount=Decimal(amount),
        created_at=created_at,
        expected_close_on=expected_close_on,
    )
