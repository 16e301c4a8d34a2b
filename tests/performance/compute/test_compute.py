"""Computing scorecards: a rep on their own figures, a manager on the team's, plan-based
targets, undefined items, adjustments kept, later steps and published results untouched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from performance.compute import services
from performance.models import EvaluationPeriod, ReviewStep, Scorecard
from performance.periods import Period
from tests.performance.compute.factories import fig, scheme_with
from tests.performance.factories import SalesPlanFactory

P = Period.parse("2026-10")


@pytest.fixture
def rep_scheme(org, fake_metrics):
    return scheme_with([("t_rate", "60", "0.8"), ("t_lower", "40", "0.05")])


def test_rep_scored_on_own_figures(org, fake_metrics, rep_scheme):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40), org.teammate.pk: fig(1, 1)}
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 10)}

    card = services.scorecard_compute(org.rep, P)

    items = {i.metric: i for i in card.items.all()}
    # 0.75 / 0.8 = 0.9375 -> 93.75; lower is better: 0.05 / 0.1 = 0.5 -> 50.00
    assert items["t_rate"].numerator == 30
    assert items["t_rate"].denominator == 40
    assert items["t_rate"].actual == Decimal("0.7500")
    assert items["t_rate"].achievement == Decimal("0.9375")
    assert items["t_rate"].score == Decimal("93.75")
    assert items["t_lower"].score == Decimal("50.00")
    # (60 x 93.75 + 40 x 50) / 100 = 76.25 -> C
    assert card.computed_total == card.total == Decimal("76.25")
    assert card.grade == "C"
    assert card.scheme == rep_scheme
    assert card.team == org.shanghai
    assert card.status == Scorecard.Status.MANAGER
    assert list(card.steps.values_list("action", flat=True)) == [ReviewStep.Action.COMPUTED]


def test_manager_scored_on_team_figures(org, fake_metrics, rep_scheme):
    scheme_with(
        [("t_rate", "100", "0.5", "150")], position="regional_manager", uses_team_figures=True
    )
    fake_metrics["t_rate"].data = {
        org.rep.pk: fig(30, 40),
        org.teammate.pk: fig(10, 20),
        org.east_rep.pk: fig(20, 40),
        org.other_team_rep.pk: fig(100, 100),  # another region: not counted
    }

    summary = services.scorecards_compute([org.manager, org.regional_manager], P)

    assert summary.computed == 2
    shanghai = Scorecard.objects.get(user=org.manager)
    item = shanghai.items.get()
    # Shanghai: (30 + 10) / (40 + 20) = 0.6667; / 0.5 = 1.3333 -> 133.33 (cap 150)
    assert (item.numerator, item.denominator) == (40, 60)
    assert item.actual == Decimal("0.6667")
    assert item.score == Decimal("133.33")
    assert shanghai.uses_team_figures
    assert shanghai.grade == "S"
    # East (Shanghai + Hangzhou): 60 / 100 = 0.6 -> 120.00
    east = Scorecard.objects.get(user=org.regional_manager).items.get()
    assert (east.numerator, east.denominator, east.score) == (60, 100, Decimal("120.00"))


def test_target_from_the_sales_plan(org, fake_metrics):
    scheme_with([("t_count", "100", "plan")])
    scheme_with([("t_count", "100", "plan")], position="regional_manager", uses_team_figures=True)
    SalesPlanFactory(user=org.rep, new_customer_target=4)
    SalesPlanFactory(user=org.teammate, new_customer_target=2)
    fake_metrics["t_count"].data = {org.rep.pk: fig(3), org.teammate.pk: fig(3)}

    rep = services.score_user(org.rep, P)
    manager = services.score_user(org.manager, P)

    assert rep.items[0].target == 4
    assert rep.items[0].score == Decimal("75.00")
    # The team's plan is its members' plans: 4 + 2 = 6 for 3 + 3 = 6 new customers.
    assert manager.items[0].target == 6
    assert manager.items[0].score == Decimal("100.00")
    # No plan row: the target is missing, the item undefined.
    assert services.score_user(org.east_rep, P).undefined == ["t_count"]


def test_undefined_items_are_left_out_and_weights_renormalised(org, fake_metrics, rep_scheme):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(0, 0)}  # no denominator: undefined
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 20)}  # 0.05 on target 0.05 -> 100

    result = services.score_user(org.rep, P)

    assert result.undefined == ["t_rate"]
    assert result.total == Decimal("100.00")  # 40 x 100 / 40, not / 100
    card = services.scorecard_compute(org.rep, P)
    undefined = card.items.get(metric="t_rate")
    assert undefined.score is None
    assert undefined.actual is None
    assert card.total == Decimal("100.00")
    assert card.grade == "A"


def test_no_active_scheme_is_skipped_with_a_reason(org, fake_metrics):
    assert services.score_user(org.rep, P).skipped == services.SKIP_NO_SCHEME
    summary = services.scorecards_compute([org.rep], P)
    assert summary.skipped == {services.SKIP_NO_SCHEME: 1}
    assert not Scorecard.objects.exists()


def test_adjustments_are_kept_within_the_limit_on_recompute(org, fake_metrics, rep_scheme):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 10)}
    card = services.scorecard_compute(org.rep, P)
    card.items.filter(metric="t_rate").update(adjustment=5, adjustment_comment="Big deal late")
    card.items.filter(metric="t_lower").update(adjustment=-30, adjustment_comment="Too much")

    fake_metrics["t_rate"].data = {org.rep.pk: fig(32, 40)}  # 0.8 -> 100.00
    card = services.scorecard_compute(org.rep, P)

    rate, lower = card.items.get(metric="t_rate"), card.items.get(metric="t_lower")
    assert rate.score == Decimal("100.00")
    assert rate.adjustment == 5
    assert rate.adjustment_comment == "Big deal late"
    assert lower.adjustment == -10  # re-applied within the scheme's limit of 10
    # computed (60 x 100 + 40 x 50) / 100 = 80.00; adjusted (60 x 105 + 40 x 40) / 100 = 79.00
    assert card.computed_total == Decimal("80.00")
    assert card.total == Decimal("79.00")
    assert card.adjustment == Decimal("-1.00")
    # A step for the first computation and one for the figures that changed (with the totals)...
    first, refreshed = card.steps.order_by("pk")
    assert (first.action, first.from_status) == ("computed", "")
    assert refreshed.action == "computed"
    assert refreshed.comment.endswith("→ 79.00")
    # ...but none for a nightly run that changes nothing.
    services.scorecard_compute(org.rep, P)
    assert card.steps.count() == 2


def test_later_steps_and_published_scorecards_are_untouched(org, fake_metrics, rep_scheme):
    fake_metrics["t_rate"].data = {u.pk: fig(30, 40) for u in (org.rep, org.teammate)}
    first = services.scorecards_compute([org.rep, org.teammate], P)
    assert first.computed == 2
    Scorecard.objects.filter(user=org.rep).update(status=Scorecard.Status.PLANNING)
    Scorecard.objects.filter(user=org.teammate).update(status=Scorecard.Status.PUBLISHED)

    fake_metrics["t_rate"].data = {u.pk: fig(40, 40) for u in (org.rep, org.teammate)}
    second = services.scorecards_compute([org.rep, org.teammate], P)

    assert second.computed == 0
    assert second.skipped == {services.SKIP_UNDER_REVIEW: 1, services.SKIP_PUBLISHED: 1}
    for card in Scorecard.objects.all():
        assert card.items.get(metric="t_rate").actual == Decimal("0.7500")


def test_nothing_of_a_published_period_is_recomputed(org, fake_metrics, rep_scheme):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}
    services.scorecard_compute(org.rep, P)
    EvaluationPeriod.objects.filter(key=P.key).update(status="published")
    fake_metrics["t_rate"].data = {org.rep.pk: fig(40, 40)}

    summary = services.scorecards_compute([org.rep, org.teammate], P)

    assert summary.skipped == {services.SKIP_PUBLISHED: 2}
    assert Scorecard.objects.count() == 1
    assert Scorecard.objects.get().items.get(metric="t_rate").actual == Decimal("0.7500")


def test_apply_result_rewrites_a_published_scorecard_and_keeps_adjustments(
    org, fake_metrics, rep_scheme
):
    fake_metrics["t_rate"].data = {org.rep.pk: fig(30, 40)}
    fake_metrics["t_lower"].data = {org.rep.pk: fig(1, 20)}
    card = services.scorecard_compute(org.rep, P)
    card.items.filter(metric="t_rate").update(adjustment=2, adjustment_comment="ok")
    Scorecard.objects.filter(pk=card.pk).update(status="published", has_drift=True)

    fake_metrics["t_rate"].data = {org.rep.pk: fig(32, 40)}
    result = services.score_user(org.rep, P, scheme=card.scheme)
    card = services.apply_result(card, result)

    assert card.status == "published"
    assert not card.has_drift
    rate = card.items.get(metric="t_rate")
    assert rate.score == Decimal("100.00")
    assert rate.adjustment == 2
    # (60 x 102 + 40 x 100) / 100 = 101.20
    assert card.total == Decimal("101.20")
    assert card.grade == "A"
