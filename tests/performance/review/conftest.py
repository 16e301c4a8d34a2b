"""Fixtures of the review-chain tests: a probe metric with drill-down records (customers owned),
scorecards made from factories at any step, logged-in clients for each persona."""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from django.test import Client
from django.utils.translation import gettext_lazy as _

from crm.models import Position, Team
from customers.models import Customer
from performance.metrics import registry
from performance.metrics.base import COUNT, Figure, Metric, Records
from performance.models import ReviewStep, Scorecard
from tests.factories import UserFactory
from tests.performance.factories import (
    KpiSchemeFactory,
    KpiSchemeItemFactory,
    ScorecardFactory,
    ScorecardItemFactory,
    evaluation_period,
)

PROBE = "review_probe"


class ReviewProbe(Metric):
    """Customers owned: a tiny metric whose records the drill-down page lists."""

    key = PROBE
    name = _("Customers owned")
    unit = COUNT
    in_contract = False

    def figures(self, user_ids, period):
        qs = Customer.objects.all()
        if user_ids is not None:
            qs = qs.filter(owner_id__in=user_ids)
        out: dict[int, Figure] = {}
        for owner_id in qs.values_list("owner_id", flat=True):
            out[owner_id] = Figure(out.get(owner_id, Figure(Decimal(0))).numerator + 1)
        return out

    def records(self, user_ids, period):
        return Records(
            queryset=Customer.objects.filter(owner_id__in=user_ids)
            .select_related("owner")
            .order_by("name", "pk"),
            columns=(("Customer", "name"), ("Owner", "owner")),
            title="Customers owned",
        )


@pytest.fixture(autouse=True)
def _positions(request):
    """The seven positions of crm's data migration (the performance tests run --nomigrations)."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    defaults = import_module("crm.migrations.0002_default_positions").DEFAULTS
    for kind, (view_scope, edit_scope) in defaults.items():
        Position.objects.get_or_create(
            kind=kind, defaults={"view_scope": view_scope, "edit_scope": edit_scope}
        )


@pytest.fixture
def probe_metric():
    """Registers the probe metric for one test (the registry is process-wide)."""
    previous = registry._METRICS.get(PROBE)
    registry._METRICS[PROBE] = ReviewProbe()
    yield registry._METRICS[PROBE]
    if previous is None:
        registry._METRICS.pop(PROBE, None)
    else:
        registry._METRICS[PROBE] = previous


@pytest.fixture
def make_scorecard(db, probe_metric):
    """make_scorecard(user, status="manager", period="2026-10") -> a scorecard with two items:
    review_probe (weight 60, actual 9 / target 10, score 90) and collection (weight 40,
    score 80), total 86.00, grade B; limit 10 points."""
    schemes = {}

    def make(user, status=Scorecard.Status.MANAGER, period="2026-10", **kwargs):
        key = user.position.kind if user.position else ""
        if key not in schemes:
            scheme = KpiSchemeFactory(position=user.position, adjustment_limit=Decimal("10"))
            KpiSchemeItemFactory(scheme=scheme, metric=PROBE, weight=Decimal("60"), sort_order=0)
            KpiSchemeItemFactory(
                scheme=scheme, metric="collection", weight=Decimal("40"), sort_order=1
            )
            schemes[key] = scheme
        scheme = schemes[key]
        fields = {
            "computed_total": Decimal("86.00"),
            "total": Decimal("86.00"),
            "grade": "B",
            **kwargs,
        }
        card = ScorecardFactory(
            user=user, scheme=scheme, status=status, period=evaluation_period(period), **fields
        )
        probe_item, collection_item = scheme.items.order_by("sort_order")
        ScorecardItemFactory(
            scorecard=card,
            scheme_item=probe_item,
            numerator=Decimal("9"),
            actual=Decimal("9"),
            target=Decimal("10"),
            achievement=Decimal("0.9"),
            score=Decimal("90.00"),
            sort_order=0,
        )
        ScorecardItemFactory(
            scorecard=card,
            scheme_item=collection_item,
            actual=Decimal("0.72"),
            target=Decimal("0.9"),
            achievement=Decimal("0.8"),
            score=Decimal("80.00"),
            sort_order=1,
        )
        ReviewStep.objects.create(
            scorecard=card, action=ReviewStep.Action.COMPUTED, to_status=card.status
        )
        return card

    return make


@pytest.fixture
def beijing_manager(org):
    """Another team's manager (Beijing, in the North region)."""
    user = UserFactory(username="beijing_manager", team=org.beijing, position="regional_manager")
    Team.objects.filter(pk=org.beijing.pk).update(manager=user)
    org.beijing.refresh_from_db()
    return user


@pytest.fixture
def client_for(org):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
