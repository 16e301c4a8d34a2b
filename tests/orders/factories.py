"""Factories of the orders app's tests."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from orders.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("sku",)

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"产品 Product {n}")
    unit = "台"
    list_price = Decimal("100.00")
    active = True


def make_order(*, customer, owner, lines, status="draft", order_date=None, by=None):
    """An order through the service: `lines` as (product, quantity, unit_price or None)."""
    from orders.services import LineInput, order_create

    return order_create(
        by=by or owner,
        customer=customer,
        owner=owner,
        order_date=order_date or timezone.localdate(),
        lines=[
            LineInput(
                product=p,
                quantity=Decimal(str(q)),
                unit_price=None if u is None else Decimal(str(u)),
            )
            for p, q, u in lines
        ],
        status=status,
    )
