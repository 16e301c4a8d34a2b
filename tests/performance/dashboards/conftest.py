"""Fixtures of the dashboards' tests: the seeded rows the data migrations would create (the
performance tests run with --nomigrations), logged-in clients for every persona, and two small
metrics over orders registered for the duration of a test."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Count, Q
from django.test import Client
from django.utils.translation import gettext_lazy as _

from orders.models import Order
from performance.metrics import COUNT, RATE, Figure, Metric, Records
from performance.metrics import registry as metric_registry


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clients(org):
    """A logged-in client per persona: clients.rep, clients.vp, ..."""

    class Clients:
        def __getattr__(self, name):
            client = client_for(getattr(org, name))
            setattr(self, name, client)
            return client

    return Clients()


class _OrdersIn:
    def _orders(self, user_ids, period):
        qs = Order.objects.counted().filter(order_date__gte=period.start, order_date__lt=period.end)
        if user_ids is not None:
            qs = qs.filter(owner_id__in=list(user_ids))
        return qs.order_by().values("owner_id")

    def records(self, user_ids, period) -> Records:
        return Records(self._orders(user_ids, period), (("number", "number"),))


class OrderCount(_OrdersIn, Metric):
    """Counted orders in the period (a count; higher is better)."""

    key = "dash_orders"
    name = _("Orders (test)")
    unit = COUNT
    in_contract = False

    def figures(self, user_ids, period):
        rows = self._orders(user_ids, period).annotate(n=Count("pk"))
        return {r["owner_id"]: Figure(Decimal(r["n"])) for r in rows}


class BigOrderRate(_OrdersIn, Metric):
    """Share of the counted orders of 10,000.00 or more (a rate; higher is better)."""

    key = "dash_big_rate"
    name = _("Big orders (test)")
    unit = RATE
    in_contract = False

    def figures(self, user_ids, period):
        rows = self._orders(user_ids, period).annotate(
            big=Count("pk", filter=Q(total__gte=Decimal("10000"))), n=Count("pk")
        )
        return {r["owner_id"]: Figure(Decimal(r["big"]), Decimal(r["n"])) for r in rows}


@pytest.fixture
def test_metrics():
    """Register the two test metrics for one test, then remove them again."""
    added = []
    for cls in (OrderCount, BigOrderRate):
        if cls.key not in metric_registry._METRICS:
            metric_registry.register(cls)
            added.append(cls.key)
    yield
    for key in added:
        metric_registry._METRICS.pop(key, None)


@pytest.fixture
def sell(db):
    """sell(user, "20000.00", date): a confirmed order of one line for a customer of `user`."""
    from tests.factories import CustomerFactory
    from tests.orders.factories import ProductFactory, make_order

    product = ProductFactory(sku="DASH-1", list_price=Decimal("100.00"))

    def _sell(user, amount, day, *, status="confirmed"):
        customer = CustomerFactory(owner=user)
        return make_order(
            customer=customer,
            owner=user,
            lines=[(product, 1, Decimal(amount))],
            status=status,
            order_date=day,
        )

    return _sell


@pytest.fixture
def rep_scheme(test_metrics):
    """The sales reps' active scheme: orders (target 2) and big-order rate (target 0.5)."""
    from tests.performance.factories import KpiSchemeFactory, KpiSchemeItemFactory

    scheme = KpiSchemeFactory(name="销售代表考核")
    KpiSchemeItemFactory(
        scheme=scheme, metric="dash_orders", weight=Decimal("50"), target=Decimal("2"), sort_order=0
    )
    KpiSchemeItemFactory(
        scheme=scheme,
        metric="dash_big_rate",
        weight=Decimal("50"),
        target=Decimal("0.5"),
        sort_order=1,
    )
    return scheme
