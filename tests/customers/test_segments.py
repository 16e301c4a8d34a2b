"""RFM segmentation (customers/segments.py, docs/segmentation.md) against hand-computed values.

Facts are fed through settings.CRM_RFM_FACTS_SOURCE (tests/customers/rfm_facts.py); the
real-orders aggregate runs over a stand-in Order/OrderLine table shaped like the planned one.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from customers import segments
from customers.models import Customer
from customers.segments import monetary_cut_points, segments_recompute
from customers.tasks import segments_recompute_task
from tests.customers import rfm_facts
from tests.factories import CustomerFactory

TODAY = date(2026, 11, 30)
S = Customer.Segment


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


@pytest.fixture
def facts(db, settings):
    """The in-test facts list, served as the facts source."""
    settings.CRM_RFM_FACTS_SOURCE = "tests.customers.rfm_facts.from_list"
    rfm_facts.FACTS.clear()
    yield rfm_facts.FACTS
    rfm_facts.FACTS.clear()


def add_fact(facts, customer, *, days_ago: int, orders: int, revenue: str) -> None:
    facts.append(
        {
            "customer_id": customer.pk,
            "last_order_on": ago(days_ago),
            "orders_12m": orders,
            "revenue_12m": Decimal(revenue),
        }
    )


# name: (days since the last counted order, orders in 12 months, value in 12 months,
#        expected RFM score, expected segment)
# Ten customers ordered in the window; sorted by value, the M cut points fall at 0-based ranks
# ⌈10·k/5⌉ = 2, 4, 6, 8, i.e. at 300, 500, 700 and 900: two customers per score.
SCENARIO = {
    "new": (10, 1, "100.00", "511", S.NEW),
    "hibernating_r3": (150, 2, "200.00", "321", S.HIBERNATING),
    "promising": (60, 3, "300.00", "432", S.PROMISING),
    "hibernating_r2": (300, 1, "400.00", "212", S.HIBERNATING),
    "at_risk_by_frequency": (200, 4, "500.00", "233", S.AT_RISK),
    "at_risk_by_money": (365, 1, "600.00", "213", S.AT_RISK),
    "big_spender": (100, 2, "700.00", "324", S.BIG_SPENDER),
    "loyal": (180, 6, "800.00", "344", S.LOYAL),
    "champion": (30, 12, "900.00", "555", S.CHAMPION),
    # Bought often and much, but not for over six months: at risk, not loyal.
    "at_risk_was_loyal": (200, 8, "1000.00", "245", S.AT_RISK),
}


@pytest.fixture
def scenario(db, facts):
    people = {name: CustomerFactory(name=name) for name in SCENARIO}
    for name, (days, orders, revenue, _score, _segment) in SCENARIO.items():
        add_fact(facts, people[name], days_ago=days, orders=orders, revenue=revenue)
    # Ordered, but not in the last 12 months.
    people["lost"] = CustomerFactory(name="lost")
    add_fact(facts, people["lost"], days_ago=400, orders=0, revenue="0")
    # Never ordered; the second still carries facts from an order since cancelled.
    people["prospect"] = CustomerFactory(name="prospect")
    people["prospect_stale"] = CustomerFactory(
        name="prospect_stale",
        last_order_on=ago(5),
        orders_12m=1,
        revenue_12m=Decimal("50.00"),
        segment=S.NEW,
        rfm_score="511",
    )
    # A customer deleted since the facts were read is skipped.
    facts.append({"customer_id": 10**9, "last_order_on": ago(1), "orders_12m": 1, "revenue_12m": 1})
    return people


def test_each_segment_from_hand_computed_scores(scenario):
    result = segments_recompute(today=TODAY)

    for name, (days, orders, revenue, score, segment) in SCENARIO.items():
        customer = Customer.objects.get(pk=scenario[name].pk)
        assert (customer.rfm_score, customer.segment) == (score, segment), name
        assert customer.last_order_on == ago(days)
        assert customer.orders_12m == orders
        assert customer.revenue_12m == Decimal(revenue)
        assert customer.segment_updated_at is not None

    lost = Customer.objects.get(pk=scenario["lost"].pk)
    assert (lost.segment, lost.rfm_score) == (S.LOST, "111")
    assert (lost.last_order_on, lost.orders_12m, lost.revenue_12m) == (ago(400), 0, 0)

    for name in ("prospect", "prospect_stale"):
        prospect = Customer.objects.get(pk=scenario[name].pk)
        assert (prospect.segment, prospect.rfm_score) == (S.PROSPECT, ""), name
        assert (prospect.last_order_on, prospect.orders_12m, prospect.revenue_12m) == (None, 0, 0)
        assert prospect.segment_updated_at is not None

    assert result["monetary_cut_points"] == {
        "2": "300.00",
        "3": "500.00",
        "4": "700.00",
        "5": "900.00",
    }
    assert result["customers_with_orders"] == 12  # 11 customers + the deleted one
    assert result["facts_cleared"] == 1
    assert result["segments"] == {
        "champion": 1,
        "loyal": 1,
        "big_spender": 1,
        "new": 1,
        "promising": 1,
        "at_risk": 3,
        "hibernating": 2,
        "lost": 1,
        "prospect": 2,
    }


def test_second_run_writes_nothing(scenario):
    segments_recompute(today=TODAY)
    stamps = dict(Customer.objects.values_list("pk", "segment_updated_at"))

    again = segments_recompute(today=TODAY)

    assert again["facts_written"] == 0
    assert again["facts_cleared"] == 0
    assert again["segments_changed"] == 0
    assert dict(Customer.objects.values_list("pk", "segment_updated_at")) == stamps


def test_only_customers_whose_segment_or_score_changed_are_stamped(scenario, facts):
    segments_recompute(today=TODAY)
    stamps = dict(Customer.objects.values_list("pk", "segment_updated_at"))
    lost = scenario["lost"]
    facts[:] = [fact for fact in facts if fact["customer_id"] != lost.pk]
    add_fact(facts, lost, days_ago=3, orders=1, revenue="50.00")  # back, with a small order

    result = segments_recompute(today=TODAY)

    # 11 in the window now: the cuts move to ranks ⌈11·k/5⌉ = 3, 5, 7, 9, which hold the same
    # values as ranks 2, 4, 6, 8 did (50.00 came in below them): nobody else's score moves.
    assert result["monetary_cut_points"] == {
        "2": "300.00",
        "3": "500.00",
        "4": "700.00",
        "5": "900.00",
    }
    assert (result["facts_written"], result["segments_changed"]) == (1, 1)
    back = Customer.objects.get(pk=lost.pk)
    assert (back.segment, back.rfm_score, back.revenue_12m) == (S.NEW, "511", Decimal("50.00"))
    changed = {
        pk
        for pk, stamp in Customer.objects.values_list("pk", "segment_updated_at")
        if stamp != stamps[pk]
    }
    assert changed == {lost.pk}


def test_a_later_day_moves_recency(scenario, facts):
    segments_recompute(today=TODAY)
    # Same facts, 50 days later: the new buyer's last order is 60 days old (R 4, still new), the
    # champion's 80 days (R 4, still a champion), the promising one's 110 days (R 3: hibernating).
    result = segments_recompute(today=TODAY + timedelta(days=50))
    score = dict(Customer.objects.values_list("name", "rfm_score"))
    segment = dict(Customer.objects.values_list("name", "segment"))
    assert (score["new"], segment["new"]) == ("411", S.NEW)
    assert (score["champion"], segment["champion"]) == ("455", S.CHAMPION)
    assert (score["promising"], segment["promising"]) == ("332", S.HIBERNATING)
    assert result["facts_written"] == 0


@pytest.mark.parametrize(
    ("days", "recency"),
    [(0, "5"), (30, "5"), (31, "4"), (90, "4"), (91, "3"), (180, "3"), (181, "2"), (365, "2")],
)
def test_recency_bands(facts, days, recency):
    customer = CustomerFactory()
    add_fact(facts, customer, days_ago=days, orders=1, revenue="10.00")
    segments_recompute(today=TODAY)
    assert Customer.objects.get(pk=customer.pk).rfm_score[0] == recency


@pytest.mark.parametrize(
    ("orders", "frequency"),
    [(1, "1"), (2, "2"), (3, "3"), (5, "3"), (6, "4"), (11, "4"), (12, "5"), (40, "5")],
)
def test_frequency_bands(facts, orders, frequency):
    customer = CustomerFactory()
    add_fact(facts, customer, days_ago=10, orders=orders, revenue="10.00")
    segments_recompute(today=TODAY)
    assert Customer.objects.get(pk=customer.pk).rfm_score[1] == frequency


def monetary_scores(facts, revenues: list[str]) -> list[str]:
    people = []
    for revenue in revenues:
        customer = CustomerFactory()
        add_fact(facts, customer, days_ago=10, orders=1, revenue=revenue)
        people.append(customer.pk)
    segments_recompute(today=TODAY)
    score = dict(Customer.objects.values_list("pk", "rfm_score"))
    return [score[pk][2] for pk in people]


@pytest.mark.parametrize(
    ("revenues", "expected"),
    [
        # One customer in the window: nobody to compare with, the lowest score.
        (["500.00"], ["1"]),
        # Rank i of n scores ⌊5·i / n⌋ + 1.
        (["1.00", "2.00"], ["1", "3"]),
        (["1.00", "2.00", "3.00", "4.00", "5.00"], ["1", "2", "3", "4", "5"]),
        (["10", "20", "30", "40", "50", "60", "70"], ["1", "1", "2", "3", "3", "4", "5"]),
        # Equal values score alike, the higher score of their ranks.
        (["1.00", "7.00", "7.00", "7.00", "9.00"], ["1", "4", "4", "4", "5"]),
        (["3.00", "3.00", "3.00", "3.00", "3.00"], ["5", "5", "5", "5", "5"]),
    ],
)
def test_monetary_quintiles(facts, revenues, expected):
    assert monetary_scores(facts, revenues) == expected


def test_monetary_ignores_customers_without_orders_in_the_window(facts):
    # Lost customers do not dilute the ranking: only the two in the window are ranked.
    for _ in range(8):
        add_fact(facts, CustomerFactory(), days_ago=500, orders=0, revenue="0")
    assert monetary_scores(facts, ["1.00", "2.00"]) == ["1", "3"]
    assert monetary_cut_points() == {2: Decimal("2.00"), 3: Decimal("2.00")}


def test_new_versus_promising_versus_big_spender(facts):
    people = {
        "new": ("1", "10.00"),
        "promising": ("2", "20.00"),
        # A first order that big is a big spender first.
        "big_first_order": ("1", "1000.00"),
        "champion_needs_frequency": ("5", "900.00"),
        "padding": ("1", "30.00"),
    }
    ids = {}
    for name, (orders, revenue) in people.items():
        customer = CustomerFactory(name=name)
        add_fact(facts, customer, days_ago=5, orders=int(orders), revenue=revenue)
        ids[name] = customer.pk
    segments_recompute(today=TODAY)
    got = {name: Customer.objects.get(pk=pk).segment for name, pk in ids.items()}
    assert got == {
        "new": S.NEW,
        "promising": S.PROMISING,
        "big_first_order": S.BIG_SPENDER,  # 515
        "champion_needs_frequency": S.BIG_SPENDER,  # 534: F 3 is not enough
        "padding": S.NEW,
    }


def test_no_facts_means_prospect_for_everyone(facts):
    customers = CustomerFactory.create_batch(3)
    result = segments_recompute(today=TODAY)
    assert result["segments"]["prospect"] == 3
    assert result["monetary_cut_points"] == {}
    assert {c.segment for c in Customer.objects.filter(pk__in=[c.pk for c in customers])} == {
        S.PROSPECT
    }


def test_task_runs_the_service(facts):
    today = timezone.localdate()
    customer = CustomerFactory()
    facts.append(
        {
            "customer_id": customer.pk,
            "last_order_on": today - timedelta(days=3),
            "orders_12m": 12,
            "revenue_12m": Decimal("99.00"),
        }
    )
    result = segments_recompute_task.run()
    customer.refresh_from_db()
    assert result["today"] == today.isoformat()
    # Twelve orders, three days ago; alone in the window, so M 1.
    assert (customer.segment, customer.rfm_score) == (S.LOYAL, "551")
    assert result["segments"]["loyal"] == 1


def test_queries_grow_with_batches_not_customers(facts, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(segments, "BATCH_SIZE", 10)
    for i in range(30):
        add_fact(facts, CustomerFactory(), days_ago=i * 12, orders=1 + i % 13, revenue=f"{i}.50")
    CustomerFactory.create_batch(5)  # prospects
    # Per batch of 10: read the current facts, write the changed ones. Then: clear the others,
    # count, cut points, the id range, one UPDATE for scores and segments, the summary.
    with django_assert_max_num_queries(3 * 2 + 6):
        result = segments_recompute(today=TODAY)
    assert result["segments_changed"] == 35
    with django_assert_max_num_queries(3 * 1 + 6):
        segments_recompute(today=TODAY)


def test_segments_are_written_by_ranges_of_ids(scenario, monkeypatch):
    monkeypatch.setattr(segments, "ASSIGN_RANGE", 3)
    result = segments_recompute(today=TODAY)
    assert result["segments_changed"] == Customer.objects.count() == 13
    champion = Customer.objects.get(pk=scenario["champion"].pk)
    assert (champion.segment, champion.rfm_score) == (S.CHAMPION, "555")
    assert segments_recompute(today=TODAY)["segments_changed"] == 0
