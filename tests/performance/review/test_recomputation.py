"""Period close: a published scorecard keeps the figures it was scored on; a payment booked
later shows as a difference (drift) and changes the result only through a recomputation
approved by someone other than the requester. Real metrics and the real compute service."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from performance.compute.services import scorecard_compute
from performance.models import Recomputation, ReviewStep, Scorecard
from performance.periods import Period
from performance.review import services
from performance.review.tasks import published_drift_check_task
from tests.factories import CustomerFactory
from tests.performance.factories import KpiSchemeFactory, KpiSchemeItemFactory
from tests.performance.metrics.factories import order, pay, receivables

P = Period.parse("2026-10")
pytestmark = pytest.mark.django_db


@pytest.fixture
def published(org):
    """The rep's October scorecard on collection alone (target 0.9), published with 10,000.00
    of 20,000.00 collected (0.5000 -> score 55.56)."""
    scheme = KpiSchemeFactory(position=org.rep.position)
    KpiSchemeItemFactory(scheme=scheme, metric="collection", weight=Decimal("100"), target="0.9")
    customer = CustomerFactory(owner=org.rep, name="杭州远景贸易有限公司")
    sale = order(org.rep, customer, "2026-09-01", [(1, "20000.00", "20000.00")])
    (receivable,) = receivables(sale, ("100", "2026-10-15"))
    pay(receivable, "10000.00", "2026-10-10")
    card = scorecard_compute(org.rep, P)
    assert card.items.get().actual == Decimal("0.5000")
    Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.PUBLISHED)
    card.refresh_from_db()
    card.receivable = receivable
    return card


def test_a_late_payment_shows_as_drift_and_the_frozen_figures_stay(org, published):
    assert services.drift_check(published) is False
    pay(published.receivable, "8000.00", "2026-10-20")  # booked after publishing, dated in P
    assert services.drift_check(published) is True
    published.refresh_from_db()
    item = published.items.get()
    assert published.has_drift
    assert (item.actual, item.current_actual) == (Decimal("0.5000"), Decimal("0.9000"))
    assert published.total == Decimal("55.56")  # frozen


def test_the_daily_task_checks_published_scorecards_in_batches(org, published):
    other = scorecard_compute(org.teammate, P)
    Scorecard.objects.filter(pk=other.pk).update(status=Scorecard.Status.PUBLISHED)
    scorecard_compute(org.east_rep, P)  # not published: not checked
    pay(published.receivable, "8000.00", "2026-10-20")
    result = published_drift_check_task.apply(kwargs={"batch_size": 1}).get()
    assert result == {"checked": 2, "drifted": 1}
    assert Scorecard.objects.get(pk=published.pk).has_drift
    other.refresh_from_db()
    assert not other.has_drift
    assert other.drift_checked_at is not None


def test_recomputation_needs_a_second_person(org, published):
    pay(published.receivable, "8000.00", "2026-10-20")
    services.drift_check(published)
    with pytest.raises(ValidationError):
        services.request_recomputation(published, org.manager, "")
    with pytest.raises(PermissionDenied):  # the person does not recompute their own
        services.request_recomputation(published, org.rep, "my payment came in")
    rc = services.request_recomputation(published, org.hr, "Payment of 10-20 booked late")
    assert rc.before["total"] == "55.56"
    assert rc.after["total"] == "100.00"
    assert Recomputation.objects.filter(scorecard=published, status="pending").count() == 1
    with pytest.raises(ValidationError):  # one pending request at a time
        services.request_recomputation(published, org.manager, "again")

    for wrong in (org.hr, org.manager, org.vp, org.planner, org.rep):  # hr asked: not hr again
        with pytest.raises(PermissionDenied):
            services.decide_recomputation(rc, wrong, True, "")
    published.refresh_from_db()
    assert published.total == Decimal("55.56")

    services.decide_recomputation(rc, org.admin, True, "Checked the bank statement")
    published.refresh_from_db()
    item = published.items.get()
    assert (item.actual, item.current_actual, item.score) == (
        Decimal("0.9000"),
        None,
        Decimal("100.00"),
    )
    assert (published.total, published.grade, published.has_drift) == (
        Decimal("100.00"),
        "A",
        False,
    )
    assert published.status == Scorecard.Status.PUBLISHED
    step = published.steps.latest("pk")
    assert (step.action, step.actor) == (ReviewStep.Action.RECOMPUTED, org.admin)
    rc.refresh_from_db()
    assert (rc.status, rc.decided_by) == (Recomputation.Status.APPROVED, org.admin)
    assert Notification.objects.filter(user=org.rep, kind="scorecard_recomputation").exists()


def test_a_rejected_recomputation_changes_nothing(org, published):
    pay(published.receivable, "8000.00", "2026-10-20")
    rc = services.request_recomputation(published, org.manager, "late payment")
    with pytest.raises(ValidationError):
        services.decide_recomputation(rc, org.hr, False, "")
    services.decide_recomputation(rc, org.hr, False, "Paid after the cut-off we agreed")
    published.refresh_from_db()
    assert published.total == Decimal("55.56")
    assert published.items.get().actual == Decimal("0.5000")
    assert Recomputation.objects.get(pk=rc.pk).status == Recomputation.Status.REJECTED


def test_the_requested_after_keeps_the_managers_adjustment(org, published):
    """A scorecard the manager raised by 5 points: the request shows the total it will really
    have (adjustment kept), the same as after approval."""
    from performance.compute.services import scorecard_totals

    item = published.items.get()
    item.adjustment, item.adjustment_comment = Decimal("5"), "Big account won late"
    item.save()
    scorecard_totals(published, [item])
    published.save()
    assert published.total == Decimal("60.56")
    pay(published.receivable, "8000.00", "2026-10-20")
    services.drift_check(published)
    rc = services.request_recomputation(published, org.hr, "Payment of 10-20 booked late")
    assert rc.before["total"] == "60.56"
    assert rc.after["total"] == "105.00"  # 100.00 + 5, within the cap of 120
    services.decide_recomputation(rc, org.admin, approve=True, comment="ok")
    published.refresh_from_db()
    assert published.total == Decimal("105.00")
