"""Each metric's edge cases (../shared/KPIS.md): undefined figures, plans, the time zone,
ownership, receivables, expenses, teams; one pass for many people; the rows behind a number."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import User
from customers.models import OwnershipChange
from customers.services import ownership_change_record
from orders.models import Expense, Order, Payment
from orders.services.finance import expense_decide
from performance.figures import (
    figures_for,
    plan_targets,
    target_for,
    team_figures_for,
    team_member_ids,
    team_plan_targets,
)
from performance.metrics import CONTRACT_KEYS, all_metrics, get_metric
from performance.periods import Period
from tests.factories import ContactFactory, CustomerFactory, TeamFactory, UserFactory
from tests.performance.factories import SalesPlanFactory
from tests.performance.metrics.factories import (
    at,
    complaint,
    d,
    expense,
    order,
    pay,
    receivables,
    visit,
)

P = Period.parse("2026-10")
LONG_AGO = "2025-01-05 09:00"


def value(user, key, period=P):
    return figures_for([user.pk], period, [key])[user.pk][key].value


@pytest.fixture
def cust(org):
    return CustomerFactory(name="上海恒泰机械", owner=org.rep, created_at=at(LONG_AGO))


def test_registry_lists_the_contract_keys_first_in_order():
    keys = [m.key for m in all_metrics()]
    assert tuple(keys[: len(CONTRACT_KEYS)]) == CONTRACT_KEYS
    assert set(keys) - set(CONTRACT_KEYS) == {"revenue", "visits"}
    assert not get_metric("revenue").in_contract
    assert get_metric("plan_completion").in_contract
    assert get_metric("new_customers").plan_field == "new_customer_target"
    assert get_metric("visits").plan_field == "visit_target"
    assert str(get_metric("plan_completion").format(None)) == "n/a"


def test_plan_targets_of_scheme_items(org):
    SalesPlanFactory(user=org.rep, month=d("2026-10-01"), revenue_target=Decimal("5000.00"))
    targets = plan_targets([org.rep.pk, org.teammate.pk], P)
    mine = targets[org.rep.pk]
    assert target_for(get_metric("revenue"), mine) == Decimal("5000.00")
    assert target_for(get_metric("visits"), mine) == 20
    assert target_for(get_metric("plan_completion"), mine) == 1
    assert target_for(get_metric("new_customer_rate"), mine) == 1
    assert target_for(get_metric("collection"), mine) is None  # fixed targets only
    assert target_for(get_metric("revenue"), targets[org.teammate.pk]) is None  # no plan


def test_nothing_to_divide_by_is_undefined_not_zero(org, cust):
    rep = org.rep
    expense(rep, "500.00", "2026-10-03")  # expenses but no revenue
    complaint(cust, "2026-10-04 10:00")  # a complaint but no order
    for key in (
        "plan_completion",
        "sales_growth",
        "price_retention",
        "expense_ratio",
        "collection",
        "visit_success",
        "complaint_rate",
        "new_customer_rate",
        "retention",
    ):
        assert value(rep, key) is None, key
    assert value(rep, "new_customers") == 0
    assert value(rep, "revenue") == 0


def test_plan_based_metrics_need_a_plan_row(org, cust):
    order(org.rep, cust, "2026-10-05", [(1, "1000.00", "1000.00")])
    assert value(org.rep, "plan_completion") is None
    assert value(org.rep, "new_customer_rate") is None
    SalesPlanFactory(user=org.rep, month=d("2026-10-01"), revenue_target=Decimal("0"))
    assert value(org.rep, "plan_completion") is None  # a zero target divides nothing
    assert value(org.rep, "new_customer_rate") == Decimal("0.2500")  # 1 new of 4
    assert plan_targets([org.rep.pk, org.teammate.pk], P) == {
        org.rep.pk: {
            "revenue_target": Decimal("0"),
            "new_customer_target": Decimal(4),
            "visit_target": Decimal(20),
        },
        org.teammate.pk: {},
    }


def test_quarter_targets_are_the_sums_of_the_months(org, cust):
    for month, target in (("2026-10-01", "10000"), ("2026-11-01", "30000")):
        SalesPlanFactory(user=org.rep, month=d(month), revenue_target=Decimal(target))
    SalesPlanFactory(user=org.rep, month=d("2027-01-01"), revenue_target=Decimal("99999"))
    order(org.rep, cust, "2026-12-30", [(1, "20000.00", "20000.00")])
    q4 = Period.parse("2026-Q4")
    assert plan_targets([org.rep.pk], q4)[org.rep.pk]["revenue_target"] == Decimal("40000")
    assert value(org.rep, "plan_completion", q4) == Decimal("0.5000")
    assert value(org.rep, "revenue", Period.parse("2026")) == Decimal("20000.00")


def test_period_bounds_are_midnight_in_shanghai(org, cust):
    rep = org.rep
    visit(rep, cust, "2026-09-30 23:59")  # September
    visit(rep, cust, "2026-10-01 00:10")  # October, though 2026-09-30 16:10 UTC
    visit(rep, cust, "2026-10-31 23:30", outcome="no_answer")  # October
    visit(rep, cust, "2026-11-01 00:30")  # November, though 2026-10-31 16:30 UTC
    complaint(cust, "2026-11-01 00:05")  # November
    complaint(cust, "2026-10-01 00:05")  # October
    order(rep, cust, "2026-10-31", [(1, "100.00", "100.00")])
    order(rep, cust, "2026-11-01", [(1, "900.00", "900.00")])
    assert value(rep, "visits") == 2
    assert value(rep, "visit_success") == Decimal("0.5000")
    assert value(rep, "complaint_rate") == Decimal("1.0000")
    assert value(rep, "revenue") == Decimal("100.00")
    assert value(rep, "visits", Period.parse("2026-11")) == 1


def test_orders_belong_to_their_owner_complaints_to_the_customers_owner(org):
    theirs = CustomerFactory(owner=org.teammate, created_at=at(LONG_AGO))
    order(org.rep, theirs, "2026-10-05", [(2, "500.00", "500.00")])
    complaint(theirs, "2026-10-06 11:00")
    figures = figures_for([org.rep.pk, org.teammate.pk], P)
    assert figures[org.rep.pk]["revenue"].value == Decimal("1000.00")
    assert figures[org.teammate.pk]["revenue"].value == 0
    assert figures[org.rep.pk]["new_customers"].value == 1  # first order ever, the rep's
    # The complaint counts against the customer's owner when opened, who has no order.
    assert figures[org.rep.pk]["complaint_rate"].value == 0
    assert figures[org.teammate.pk]["complaint_rate"].numerator == 1
    assert figures[org.teammate.pk]["complaint_rate"].value is None


def test_draft_and_cancelled_orders_are_not_counted(org, cust):
    order(org.rep, cust, "2026-10-05", [(1, "100.00", "120.00")])
    order(org.rep, cust, "2026-10-06", [(1, "700.00", "700.00")], status=Order.Status.DRAFT)
    order(org.rep, cust, "2026-10-07", [(1, "800.00", "800.00")], status=Order.Status.CANCELLED)
    assert value(org.rep, "revenue") == Decimal("100.00")
    assert value(org.rep, "price_retention") == Decimal("0.8333")


def test_collection_counts_a_receivable_at_most_up_to_its_amount(org, cust):
    big = order(org.rep, cust, "2026-08-01", [(1, "10000.00", "10000.00")])
    (r,) = receivables(big, ("100", "2026-10-10"))
    pay(r, "4000.00", "2026-09-30")  # before P: 6,000.00 still due at P's start
    pay(r, "6000.00", "2026-10-20")
    # A payment beyond the amount (written around the service, e.g. bad imported data).
    Payment.objects.create(receivable=r, amount=Decimal("3000.00"), paid_on=d("2026-10-21"))
    done = order(org.rep, cust, "2026-08-02", [(1, "500.00", "500.00")])
    (paid_off,) = receivables(done, ("100", "2026-10-01"))
    pay(paid_off, "500.00", "2026-09-01")  # not open at P's start: left out
    figure = figures_for([org.rep.pk], P, ["collection"])[org.rep.pk]["collection"]
    # KPIS.md: "each receivable counted at most up to its amount": 9,000 collected in P (under
    # the 10,000 amount) against 6,000 collectible.
    assert (figure.numerator, figure.denominator) == (Decimal("9000.00"), Decimal("6000.00"))
    assert figure.value == Decimal("1.5000")
    # Beyond the amount itself, the excess is not counted.
    Payment.objects.create(receivable=r, amount=Decimal("5000.00"), paid_on=d("2026-10-22"))
    figure = figures_for([org.rep.pk], P, ["collection"])[org.rep.pk]["collection"]
    assert figure.numerator == Decimal("10000.00")


def test_rejected_expenses_are_left_out(org, cust):
    order(org.rep, cust, "2026-10-05", [(1, "10000.00", "10000.00")])
    expense(org.rep, "300.00", "2026-10-06")
    rejected = expense(org.rep, "5000.00", "2026-10-07")
    expense_decide(expense=rejected, by=org.manager, approve=False, comment="私人消费")
    approved = expense(org.rep, "200.00", "2026-10-08")
    expense_decide(expense=approved, by=org.manager, approve=True)
    expense(org.rep, "999.00", "2026-11-01")  # next month
    assert Expense.objects.filter(status="rejected").count() == 1
    assert value(org.rep, "expense_ratio") == Decimal("0.0500")


def test_other_reps_rows_are_not_counted(org, cust):
    theirs = CustomerFactory(owner=org.other_team_rep, created_at=at(LONG_AGO))
    order(org.other_team_rep, theirs, "2026-10-05", [(1, "9000.00", "9000.00")])
    visit(org.other_team_rep, theirs, "2026-10-05 10:00")
    expense(org.other_team_rep, "100.00", "2026-10-05")
    complaint(theirs, "2026-10-06 10:00")
    order(org.rep, cust, "2026-10-05", [(1, "1000.00", "1000.00")])
    figures = figures_for([org.rep.pk], P)[org.rep.pk]
    assert figures["revenue"].value == Decimal("1000.00")
    assert figures["visits"].value == 0
    assert figures["expense_ratio"].value == 0
    assert figures["complaint_rate"].value == 0
    assert figures["new_customers"].value == 1


def test_new_customers_first_counted_order_ever_with_anyone(org):
    rep = org.rep
    old = CustomerFactory(owner=rep, created_at=at(LONG_AGO))
    order(org.teammate, old, "2026-05-01", [(1, "10.00", "10.00")])  # bought before, elsewhere
    order(rep, old, "2026-10-02", [(1, "10.00", "10.00")])
    tried = CustomerFactory(owner=rep, created_at=at(LONG_AGO))
    order(rep, tried, "2026-06-01", [(1, "10.00", "10.00")], status=Order.Status.CANCELLED)
    order(rep, tried, "2026-10-03", [(1, "10.00", "10.00")])  # first *counted* order
    order(rep, tried, "2026-10-04", [(1, "10.00", "10.00")])  # counted once
    taken = CustomerFactory(owner=rep, created_at=at(LONG_AGO))
    order(org.teammate, taken, "2026-10-01", [(1, "10.00", "10.00")])  # the teammate's first
    order(rep, taken, "2026-10-09", [(1, "10.00", "10.00")])
    figures = figures_for([rep.pk, org.teammate.pk], P, ["new_customers"])
    assert figures[rep.pk]["new_customers"].value == 1
    assert figures[org.teammate.pk]["new_customers"].value == 1
    records = get_metric("new_customers").records([rep.pk], P)
    assert list(records.queryset) == [tried]


def test_retention_counts_customers_the_rep_kept(org):
    rep = org.rep
    a, b, c = (CustomerFactory(owner=rep, created_at=at(LONG_AGO)) for _ in range(3))
    for customer in (a, b, c):
        order(rep, customer, "2026-09-10", [(1, "10.00", "10.00")])
    order(rep, a, "2026-10-10", [(1, "10.00", "10.00")])
    order(rep, a, "2026-10-11", [(1, "10.00", "10.00")])
    order(org.teammate, b, "2026-10-10", [(1, "10.00", "10.00")])  # bought, but not from rep
    order(rep, c, "2026-10-12", [(1, "10.00", "10.00")], status=Order.Status.CANCELLED)
    figure = figures_for([rep.pk], P, ["retention"])[rep.pk]["retention"]
    assert (figure.numerator, figure.denominator) == (1, 3)
    records = get_metric("retention").records([rep.pk], P)
    assert {(x.pk, x.kept) for x in records.queryset} == {
        (a.pk, True),
        (b.pk, False),
        (c.pk, False),
    }


def test_info_completeness_over_customers_owned_at_the_end_of_the_period(org):
    rep = org.rep
    full = CustomerFactory(
        owner=rep,
        created_at=at(LONG_AGO),
        industry="it",
        scale="small",
        address="上海市浦东新区",
        phone="021-5555",
        website="https://example.cn",
        business_status="稳定",
        competitors="某某",
        source="website",
    )
    ContactFactory(customer=full)
    person = CustomerFactory(
        owner=rep,
        kind="person",
        created_at=at(LONG_AGO),
        phone="13800000000",
        email="wang@example.cn",
        address="   ",  # blank
    )
    # Given away after the end of October: still the rep's at the end of October.
    given = CustomerFactory(owner=rep, created_at=at(LONG_AGO), industry="it")
    ownership_change_record(
        customer=given,
        to_user=org.teammate,
        reason="transferred",
        by=None,
        at=at("2026-11-03 10:00"),
    )
    # Taken from the teammate in October: the rep's at the end of October.
    taken = CustomerFactory(owner=org.teammate, created_at=at(LONG_AGO))
    ownership_change_record(
        customer=taken, to_user=rep, reason="transferred", by=None, at=at("2026-10-03 10:00")
    )
    # Released to the pool in October: nobody's.
    released = CustomerFactory(owner=rep, created_at=at(LONG_AGO))
    ownership_change_record(
        customer=released, to_user=None, reason="released", by=None, at=at("2026-10-30 10:00")
    )
    CustomerFactory(owner=rep, created_at=at("2026-11-02 10:00"))  # not yet a customer
    assert OwnershipChange.objects.count() == 3
    figure = figures_for([rep.pk, org.teammate.pk], P, ["info_completeness"])
    mine = figure[rep.pk]["info_completeness"]
    # full 9/9, person 2/5, given 1/9, taken 0/9 over 4 customers.
    assert mine.denominator == 4
    expected = (1 + Decimal(2) / 5 + Decimal(1) / 9) / 4
    assert mine.value == expected.quantize(Decimal("0.0001"))
    assert figure[org.teammate.pk]["info_completeness"].value is None
    rows = get_metric("info_completeness").records([rep.pk], P).queryset
    assert {c.pk for c in rows} == {full.pk, person.pk, given.pk, taken.pk}


def test_team_figures_are_sums_not_averages(org):
    c1 = CustomerFactory(owner=org.rep, created_at=at(LONG_AGO))
    c2 = CustomerFactory(owner=org.teammate, created_at=at(LONG_AGO))
    c3 = CustomerFactory(owner=org.other_team_rep, created_at=at(LONG_AGO))
    SalesPlanFactory(user=org.rep, month=d("2026-10-01"), revenue_target=Decimal("100000"))
    SalesPlanFactory(user=org.teammate, month=d("2026-10-01"), revenue_target=Decimal("50000"))
    order(org.rep, c1, "2026-10-05", [(1, "90000.00", "90000.00")])
    order(org.teammate, c2, "2026-10-05", [(1, "10000.00", "10000.00")])
    order(org.other_team_rep, c3, "2026-10-05", [(1, "77777.00", "77777.00")])
    assert team_member_ids(org.manager) == sorted(
        team_member_ids(org.manager), key=lambda pk: pk != org.manager.pk
    )
    assert set(team_member_ids(org.manager)) == {org.manager.pk, org.rep.pk, org.teammate.pk}
    assert set(team_member_ids(org.regional_manager)) == {
        org.regional_manager.pk,
        org.manager.pk,
        org.rep.pk,
        org.teammate.pk,
        org.east_rep.pk,
    }
    assert team_member_ids(org.rep) == [org.rep.pk]
    teams = team_figures_for([org.manager, org.regional_manager, org.rep], P)
    # (90,000 + 10,000) / (100,000 + 50,000), not the mean of 0.9 and 0.2.
    assert teams[org.manager.pk]["plan_completion"].value == Decimal("0.6667")
    assert teams[org.regional_manager.pk]["revenue"].value == Decimal("100000.00")
    assert teams[org.rep.pk]["plan_completion"].value == Decimal("0.9000")
    assert team_plan_targets([org.manager], P)[org.manager.pk]["revenue_target"] == Decimal(
        "150000"
    )


def test_an_inactive_member_is_left_out_of_the_team(org):
    org.teammate.is_active = False
    org.teammate.save()
    assert org.teammate.pk not in team_member_ids(org.manager)


def _make_people(org, n):
    team = TeamFactory(name=f"Bench {n}", parent=org.east)
    people = []
    for i in range(n):
        user = UserFactory(username=f"q{n}-{i}", team=team)
        customer = CustomerFactory(owner=user, created_at=at(LONG_AGO))
        first = order(user, customer, "2026-09-03", [(1, "100.00", "120.00")])
        order(user, customer, "2026-10-03", [(2, "100.00", "120.00")])
        (r,) = receivables(first, ("100", "2026-10-01"))
        pay(r, "50.00", "2026-10-02")
        visit(user, customer, "2026-10-04 10:00")
        expense(user, "10.00", "2026-10-05")
        complaint(customer, "2026-10-06 10:00")
        SalesPlanFactory(user=user, month=d("2026-10-01"))
        people.append(user.pk)
    return people


def test_figures_for_many_people_take_the_same_queries_as_for_few(org):
    few, many = _make_people(org, 3), _make_people(org, 30)
    with CaptureQueriesContext(connection) as small:
        small_figures = figures_for(few, P)
    with CaptureQueriesContext(connection) as large:
        large_figures = figures_for(many, P)
    assert len(large) == len(small)
    # Shared aggregates run once: orders and their lines twice (P, P'), plans, expenses, collection,
    # visits, complaints, new customers, retention, completeness and the customers taken from
    # the people since P ended (on PostgreSQL, plus the SET LOCAL jit = off of shared_results
    # and its savepoint).
    selects = [q for q in small.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) == 13
    assert all(large_figures[u]["revenue"].value == Decimal("200.00") for u in many)
    assert all(large_figures[u]["collection"].value == Decimal("0.5000") for u in many)
    assert small_figures[few[0]]["complaint_rate"].value == Decimal("1.0000")


def test_records_are_exactly_the_rows_counted(org, cust):
    rep = org.rep
    prev = order(rep, cust, "2026-09-20", [(1, "400.00", "500.00")])
    order(rep, cust, "2026-10-02", [(2, "300.00", "400.00"), (1, "50.00", "50.00")])
    order(rep, cust, "2026-10-03", [(1, "10.00", "10.00")], status=Order.Status.CANCELLED)
    order(org.teammate, cust, "2026-10-04", [(1, "70.00", "70.00")])
    fresh = CustomerFactory(owner=rep, created_at=at(LONG_AGO))
    order(rep, fresh, "2026-10-09", [(1, "5.00", "5.00")])
    (r,) = receivables(prev, ("100", "2026-10-10"))
    pay(r, "100.00", "2026-10-11")
    expense(rep, "30.00", "2026-10-05")
    visit(rep, cust, "2026-10-06 09:00")
    visit(rep, cust, "2026-10-07 09:00", outcome="rejected")
    complaint(cust, "2026-10-08 12:00")
    figures = figures_for([rep.pk], P)[rep.pk]

    def rows(key):
        return list(get_metric(key).records([rep.pk], P).queryset)

    lines = rows("price_retention")
    assert sum(x.amount for x in lines) == figures["price_retention"].numerator == Decimal("655")
    assert sum(x.list_amount for x in lines) == figures["price_retention"].denominator
    assert sum(o.total for o in rows("revenue")) == figures["revenue"].numerator
    assert len(rows("plan_completion")) == figures["complaint_rate"].denominator == 2
    assert len(rows("sales_growth")) == 3
    assert sum(e.amount for e in rows("expense_ratio")) == figures["expense_ratio"].numerator
    receivables_ = rows("collection")
    assert sum(x.collectible for x in receivables_) == figures["collection"].denominator
    assert sum(x.collected for x in receivables_) == figures["collection"].numerator
    assert len(rows("visit_success")) == figures["visit_success"].denominator == 2
    assert len(rows("visits")) == 2
    assert len(rows("complaint_rate")) == figures["complaint_rate"].numerator == 1
    assert rows("new_customers") == [fresh]
    assert figures["new_customers"].numerator == 1
    assert len(rows("retention")) == figures["retention"].denominator == 1
    assert len(rows("info_completeness")) == figures["info_completeness"].denominator == 2
    records = get_metric("collection").records([rep.pk], P)
    assert records.columns
    assert records.title


def test_figures_for_everyone_match_figures_for_the_people_asked(org):
    _make_people(org, 2)
    asked = figures_for(
        [org.rep.pk, *User.objects.filter(username__startswith="q2-").values_list("pk", flat=True)],
        P,
    )
    for metric in all_metrics():
        everyone = metric.figures(None, P)
        for user_id, figures in asked.items():
            assert metric.figure_of(everyone, user_id) == figures[metric.key], metric.key


def _report(*args) -> str:
    out = io.StringIO()
    call_command("kpi_report", *args, stdout=out)
    return out.getvalue()


def test_kpi_report_teams_by_path_or_unique_name(org):
    header, *lines = _report("--period", "2026-Q4", "--team", "Shanghai").splitlines()
    assert header.startswith("username,plan_completion,sales_growth,")
    assert [line.split(",")[0] for line in lines] == ["manager", "rep", "teammate"]
    east = _report("--period", "2026", "--team", "Hengtai/East").splitlines()[1:]
    assert {line.split(",")[0] for line in east} == {
        "east_rep",
        "manager",
        "regional_manager",
        "rep",
        "teammate",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "no month 13"),
        (["--period", "October"], "not a period"),
        (["--period", "2026-10", "--team", "Hengtai/Nowhere"], "No team"),
        (["--period", "2026-10", "--team", "Atlantis"], "No team"),
    ],
)
def test_kpi_report_refuses_bad_input(org, args, message):
    with pytest.raises(CommandError, match=message):
        _report(*args)


def test_kpi_report_asks_for_the_whole_path_when_a_name_is_ambiguous(org):
    TeamFactory(name="Shanghai", parent=org.north)
    with pytest.raises(CommandError, match="whole path"):
        _report("--period", "2026-10", "--team", "Shanghai")
    assert _report("--period", "2026-10", "--team", "Hengtai/North/Shanghai").count("\n") == 1


def test_order_value_is_the_exact_sum_of_quantity_times_unit_price(org, cust):
    """KPIS.md: order value = Σ quantity x unit price over the lines, exact (the order's stored
    total rounds each line to the cent: 49.98 here)."""
    order(org.rep, cust, "2026-10-05", [("2.5", "19.99", "19.99"), (3, "33.33", "33.34")])
    assert value(org.rep, "revenue") == Decimal("149.965")
    # price retention from the same exact sums: 149.965 / 149.995
    assert value(org.rep, "price_retention") == Decimal("0.9998")
