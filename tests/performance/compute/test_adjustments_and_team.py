"""The review's adjustment and the computation keep one rule (performance.compute.services.
scorecard_totals) and a recomputation never loses an adjustment; a manager's scorecard on team
figures with the real metrics: the members' numerators summed over their denominators, the plan
targets summed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from performance.compute import services
from performance.models import Scorecard
from performance.periods import Period
from performance.review import services as review
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory, make_order
from tests.performance.compute.factories import fig, scheme_with
from tests.performance.factories import SalesPlanFactory

P = Period.parse("2026-10")


@pytest.fixture
def rep_scheme(org, fake_metrics):
    return scheme_with([("t_rate", "60", "0.8"), ("t_lower", "40", "0.05")])


def _totals(card):
    return card.computed_total, card.adjustment, card.total, card.grade


def test_review_adjustment_survives_recomputations_with_the_same_rule(
    org, fake_metrics, rep_scheme
):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}  # 0.75 / 0.8 -> 93.75
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 10)}  # 0.05 / 0.1 -> 50.00
    card = services.scorecard_compute(org.rep, P)

    card = review.adjust(card, org.manager, {"t_rate": ("4", "大单晚到账")})
    # computed (60 x 93.75 + 40 x 50) / 100 = 76.25; adjusted (60 x 97.75 + 40 x 50) = 78.65
    assert _totals(card) == (Decimal("76.25"), Decimal("2.40"), Decimal("78.65"), "C")

    # A nightly recomputation with unchanged figures changes nothing.
    card = services.scorecard_compute(org.rep, P)
    card.refresh_from_db()
    assert _totals(card) == (Decimal("76.25"), Decimal("2.40"), Decimal("78.65"), "C")

    # New figures: the adjustment and its comment stay, totals follow the same rule.
    fake_metrics["t_rate"].data = {org.rep.pk: fig(34, 40)}  # 0.85 / 0.8 -> 106.25
    services.scorecard_compute(org.rep, P)
    card = Scorecard.objects.get(pk=card.pk)
    item = card.items.get(metric="t_rate")
    assert (item.score, item.adjustment, item.adjustment_comment) == (
        Decimal("106.25"),
        Decimal("4.00"),
        "大单晚到账",
    )
    # computed (60 x 106.25 + 40 x 50) / 100 = 83.75; adjusted + 60 x 4 / 100 = 86.15 -> B
    assert _totals(card) == (Decimal("83.75"), Decimal("2.40"), Decimal("86.15"), "B")
    assert card.total == card.computed_total + card.adjustment

    # Passed on and sent back to the manager: recomputed again, the adjustment still there.
    review.submit(card, org.manager)
    card = Scorecard.objects.get(pk=card.pk)
    review.send_back(card, org.planner, "请核对回款")
    fake_metrics["t_rate"].data = {org.rep.pk: fig(32, 40)}  # 100.00
    services.scorecard_compute(org.rep, P)
    card = Scorecard.objects.get(pk=card.pk)
    assert card.items.get(metric="t_rate").adjustment == Decimal("4.00")
    assert _totals(card) == (Decimal("80.00"), Decimal("2.40"), Decimal("82.40"), "C")

    # The manager removes it: the review's service recomputes the totals by the same rule.
    card = review.adjust(card, org.manager, {"t_rate": ("0", "")})
    assert _totals(card) == (Decimal("80.00"), Decimal("0.00"), Decimal("80.00"), "C")


def test_an_appealed_scorecard_keeps_its_published_figures_and_adjustments(
    org, fake_metrics, rep_scheme
):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 10)}
    card = services.scorecard_compute(org.rep, P)
    card = review.adjust(card, org.manager, {"t_rate": ("4", "大单晚到账")})
    Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.PUBLISHED)
    card = review.appeal(Scorecard.objects.get(pk=card.pk), org.rep, "回款已到")
    assert card.status == Scorecard.Status.MANAGER

    fake_metrics["t_rate"].data = {org.rep.pk: fig(40, 40)}
    summary = services.scorecards_compute([org.rep], P)

    assert summary.skipped == {services.SKIP_APPEALED: 1}
    card = Scorecard.objects.get(pk=card.pk)
    item = card.items.get(metric="t_rate")
    assert (item.score, item.adjustment) == (Decimal("93.75"), Decimal("4.00"))
    assert _totals(card) == (Decimal("76.25"), Decimal("2.40"), Decimal("78.65"), "C")


def test_manager_scorecard_on_team_figures_with_real_metrics(org):
    """Shanghai = rep + teammate (+ the manager, who sells nothing): plan completion is the
    team's revenue over the members' revenue targets summed, never the mean of their rates;
    the new-customer target from the plan is the members' targets summed."""
    scheme_with(
        [("plan_completion", "50", "1.0"), ("new_customers", "50", "plan")],
        position="regional_manager",
        uses_team_figures=True,
    )
    SalesPlanFactory(user=org.rep, revenue_target=Decimal("100000.00"), new_customer_target=4)
    SalesPlanFactory(user=org.teammate, revenue_target=Decimal("50000.00"), new_customer_target=2)
    SalesPlanFactory(user=org.east_rep, revenue_target=Decimal("100000.00"), new_customer_target=1)
    product = ProductFactory(sku="TEAM-1", list_price=Decimal("50000.00"))
    day = dt.date(2026, 10, 15)

    def sell(user, amount, status="confirmed"):
        make_order(
            customer=CustomerFactory(owner=user),
            owner=user,
            lines=[(product, 1, Decimal(amount))],
            status=status,
            order_date=day,
        )

    sell(org.rep, "40000.00")  # 40 % of the rep's plan
    sell(org.teammate, "15000.00")
    sell(org.teammate, "15000.00")  # 60 % of the teammate's plan
    sell(org.teammate, "90000.00", status="cancelled")  # not counted
    sell(org.east_rep, "100000.00")  # Hangzhou: in East, not in Shanghai
    sell(org.other_team_rep, "500000.00")  # North: nobody's team here

    services.scorecards_compute([org.manager, org.regional_manager], P)

    shanghai = {i.metric: i for i in Scorecard.objects.get(user=org.manager).items.all()}
    completion = shanghai["plan_completion"]
    assert (completion.numerator, completion.denominator) == (
        Decimal("70000.0000"),
        Decimal("150000.0000"),
    )
    assert completion.actual == Decimal("0.4667")  # not (0.4 + 0.6) / 2 = 0.5
    assert completion.score == Decimal("46.67")
    new = shanghai["new_customers"]
    assert (new.actual, new.target, new.score) == (Decimal("3"), Decimal("6"), Decimal("50.00"))
    card = Scorecard.objects.get(user=org.manager)
    assert card.uses_team_figures
    assert card.total == Decimal("48.34")  # (50 x 46.67 + 50 x 50.00) / 100

    east = {i.metric: i for i in Scorecard.objects.get(user=org.regional_manager).items.all()}
    assert (east["plan_completion"].numerator, east["plan_completion"].denominator) == (
        Decimal("170000.0000"),
        Decimal("250000.0000"),
    )
    assert east["plan_completion"].actual == Decimal("0.6800")
    assert (east["new_customers"].actual, east["new_customers"].target) == (
        Decimal("4"),
        Decimal("7"),
    )


def test_an_outlier_achievement_fits_its_column(org, fake_metrics, rep_scheme):
    """A target typed as 1.00 against a real figure: the achievement is stored within the
    column (PostgreSQL would refuse the whole chunk otherwise) and the score is the cap."""
    scheme_with([("t_count", "100", "plan")], position="regional_manager")
    SalesPlanFactory(user=org.manager, new_customer_target=1)
    fake_metrics["t_count"].data = {org.manager.pk: fig(10**12)}

    card = services.scorecard_compute(org.manager, P)

    item = card.items.get()
    assert item.achievement == services.ACHIEVEMENT_LIMIT
    assert item.score == Decimal("120.00")
    assert item.actual == Decimal(10**12)


def test_result_totals_is_what_apply_result_writes(org, fake_metrics, rep_scheme):
    """`result_totals` (for a recomputation's "after") keeps the manager's adjustments like
    `apply_result` does, within the scheme's limit."""
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 10)}
    card = services.scorecard_compute(org.rep, P)
    card = review.adjust(card, org.manager, {"t_rate": ("4", "大单晚到账")})
    Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.PUBLISHED)

    fake_metrics["t_rate"].data = {org.rep.pk: fig(34, 40)}
    result = services.score_user(org.rep, P, scheme=card.scheme)
    expected = services.result_totals(result, card)
    assert result.total == Decimal("83.75")  # before the adjustment
    assert (expected.computed_total, expected.adjustment, expected.total, expected.grade) == (
        Decimal("83.75"),
        Decimal("2.40"),
        Decimal("86.15"),
        "B",
    )
    card = services.apply_result(card, result)
    assert _totals(card) == (
        expected.computed_total,
        expected.adjustment,
        expected.total,
        expected.grade,
    )
    assert services.result_totals(result).total == Decimal("83.75")  # no scorecard: as scored
