"""Fixtures of the orders tests, on top of the personas of tests/conftest.py."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory


@pytest.fixture
def pump(db):
    return ProductFactory(
        sku="PUMP-200", name="离心泵 Centrifugal pump", list_price=Decimal("12000.00")
    )


@pytest.fixture
def valve(db):
    return ProductFactory(
        sku="VALVE-50", name="球阀 Ball valve", unit="个", list_price=Decimal("33.33")
    )


@pytest.fixture
def customer(org):
    return CustomerFactory(name="上海恒泰机械有限公司", owner=org.rep)


@pytest.fixture
def other_customer(org):
    return CustomerFactory(name="北京远航贸易有限公司", owner=org.other_team_rep)
