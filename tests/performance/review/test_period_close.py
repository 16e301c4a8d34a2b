"""End to end with real orders, receivables and payments and the real compute service, through
the pages: computed > manager (adjusts) > planning (sends back) > manager > planning > VP > HR,
HR publishes the period (frozen), a late payment shows as a difference, a recomputation is
approved by someone other than the requester; the rep appeals and the chain runs again. The rep
sees nothing before publication: list, detail, drill-down, exports, PDF, notifications."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from performance.compute.services import SKIP_PUBLISHED, scorecards_compute
from performance.models import EvaluationPeriod, Recomputation, Scorecard
from performance.periods import Period
from performance.review.tasks import published_drift_check_task
from tests.factories import CustomerFactory
from tests.performance.factories import KpiSchemeFactory, KpiSchemeItemFactory
from tests.performance.metrics.factories import order, pay, receivables

S = Scorecard.Status
P = Period.parse("2026-10")
pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"performance:{name}", args=args)


def rep_sees_nothing(client, card) -> None:
    """The rep's view of a scorecard under review: as if it did not exist."""
    assert client.get(url("scorecard-detail", card.pk)).status_code == 404
    assert client.get(url("scorecard-records", card.pk, "collection")).status_code == 404
    for view in ("all", "inbox"):
        listed = client.get(url("scorecard-list") + f"?view={view}&period={P.key}")
        assert card not in listed.context["page"].object_list
    export = client.get(url("scorecard-export") + f"?format=csv&period={P.key}")
    assert export.status_code == 200
    assert card.user.username not in export.content.decode("utf-8-sig")
    assert client.get(url("scorecard-pdf", card.pk)).status_code == 404
    assert not Notification.objects.filter(user=card.user, kind__startswith="scorecard").exists()


def act(client, name, card, data, expect=302):
    response = client.post(url(name, card.pk), {"status": card.status, **data})
    assert response.status_code == expect, response.content.decode()[:2000]
    card.refresh_from_db()
    return response


@pytest.fixture
def computed(org):
    """October scorecards of the rep (collection 10,000.00 of 20,000.00 -> 0.5000, score
    55.56) and the teammate (nothing to collect: undefined), computed by the compute service."""
    scheme = KpiSchemeFactory(position=org.rep.position, adjustment_limit=Decimal("5"))
    KpiSchemeItemFactory(scheme=scheme, metric="collection", weight=Decimal("100"), target="0.9")
    customer = CustomerFactory(owner=org.rep, name="上海明达机电有限公司")
    sale = order(org.rep, customer, "2026-09-01", [(1, "20000.00", "20000.00")])
    (receivable,) = receivables(sale, ("100", "2026-10-15"))
    pay(receivable, "10000.00", "2026-10-10")
    summary = scorecards_compute([org.rep, org.teammate], P)
    assert summary.created == 2
    card = Scorecard.objects.get(user=org.rep, period__key=P.key)
    assert (card.status, card.total) == (S.MANAGER, Decimal("55.56"))
    card.receivable = receivable
    return card


def test_the_chain_publication_drift_recomputation_and_appeal(org, computed, client_for):
    card = computed
    rep = client_for(org.rep)
    manager, planner, vp, hr = (client_for(u) for u in (org.manager, org.planner, org.vp, org.hr))
    teammate = Scorecard.objects.get(user=org.teammate, period__key=P.key)

    # --- the chain, with a send-back; the rep sees nothing all along
    rep_sees_nothing(rep, card)
    act(manager, "scorecard-adjust", card, {"points_collection": "2", "comment_collection": "大单"})
    assert (card.total, card.adjustment) == (Decimal("57.56"), Decimal("2.00"))
    act(manager, "scorecard-submit", card, {"submit-comment": ""})
    rep_sees_nothing(rep, card)
    act(planner, "scorecard-send-back", card, {"back-comment": "请核对回款"})
    assert card.status == S.MANAGER
    for client in (manager, planner, vp):
        act(client, "scorecard-submit", card, {"submit-comment": "ok"})
        rep_sees_nothing(rep, card)
    for client in (manager, planner, vp):
        act(client, "scorecard-submit", teammate, {"submit-comment": ""})
    assert (card.status, teammate.status) == (S.HR, S.HR)

    # --- HR publishes the period: everything at once, frozen
    response = hr.post(url("period-publish", P.key), {"comment": "十月考核结果"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.status == S.PUBLISHED
    assert EvaluationPeriod.objects.get(key=P.key).is_published
    assert Notification.objects.filter(user=org.rep, kind="scorecard_published").count() == 1
    page = rep.get(url("scorecard-detail", card.pk)).content.decode()
    assert "十月考核结果" in page
    assert "57.56" in page
    assert url("scorecard-pdf", card.pk) in page
    assert rep.get(url("scorecard-pdf", card.pk)).status_code == 200
    period_page = hr.get(url("period-detail", P.key)).content.decode()
    assert 'id="period-export-xlsx"' in period_page
    assert 'id="period-publish-form"' not in period_page  # published: no second publication

    # --- a payment booked after publication, dated in October: frozen, shown as a difference
    pay(card.receivable, "8000.00", "2026-10-20")
    again = scorecards_compute([org.rep, org.teammate], P)
    assert (again.computed, again.skipped[SKIP_PUBLISHED]) == (0, 2)
    card.refresh_from_db()
    assert card.total == Decimal("57.56")
    assert published_drift_check_task.apply().get() == {"checked": 2, "drifted": 1}
    card.refresh_from_db()
    item = card.items.get()
    assert (card.has_drift, item.actual, item.current_actual) == (
        True,
        Decimal("0.5000"),
        Decimal("0.9000"),
    )
    page = hr.get(url("scorecard-detail", card.pk)).content.decode()
    assert 'id="drift-warning"' in page
    assert "+40.00 %" in page

    # --- the manager asks, the rep cannot, HR approves: today's figures, adjustment kept
    act(rep, "scorecard-recompute", card, {"reason": "我的回款到了"}, expect=403)
    act(manager, "scorecard-recompute", card, {"reason": "10-20 回款晚录入"})
    rc = Recomputation.objects.get(scorecard=card)
    assert 'id="pending-totals"' not in rep.get(url("scorecard-detail", card.pk)).content.decode()
    assert card.total == Decimal("57.56")  # not before approval
    decided = hr.post(url("recomputation-decide", rc.pk), {"decision": "approve", "comment": ""})
    assert decided.status_code == 302
    card.refresh_from_db()
    item = card.items.get()
    assert (item.actual, item.score, item.adjustment, item.current_actual) == (
        Decimal("0.9000"),
        Decimal("100.00"),
        Decimal("2.00"),
        None,
    )
    assert (card.total, card.grade, card.has_drift, card.status) == (
        Decimal("102.00"),
        "A",
        False,
        S.PUBLISHED,
    )

    # --- the rep appeals once: back to the manager, invisible to the rep, the chain again
    act(rep, "scorecard-appeal", card, {"reason": "大单应计入九月"})
    assert card.status == S.MANAGER
    Notification.objects.filter(user=org.rep).delete()
    rep_sees_nothing(rep, card)
    for client in (manager, planner, vp):
        act(client, "scorecard-submit", card, {"submit-comment": "复核"})
        rep_sees_nothing(rep, card)
    act(hr, "scorecard-publish", card, {"publish-comment": "申诉已复核"})
    assert card.status == S.PUBLISHED
    page = rep.get(url("scorecard-detail", card.pk)).content.decode()
    assert "申诉已复核" in page
    assert 'id="appeal-form"' not in page
    assert "请核对回款" not in page  # planning's note to the manager stays among reviewers
    assert "请核对回款" in hr.get(url("scorecard-detail", card.pk)).content.decode()
    act(rep, "scorecard-appeal", card, {"reason": "again"})  # refused: once only
    assert card.status == S.PUBLISHED

    # --- every move is a ReviewStep row, in order
    steps = list(card.steps.order_by("created_at", "pk").values_list("action", "to_status"))
    assert steps == [
        ("computed", S.MANAGER),
        ("adjusted", S.MANAGER),
        ("submitted", S.PLANNING),
        ("sent_back", S.MANAGER),
        ("submitted", S.PLANNING),
        ("submitted", S.VP),
        ("submitted", S.HR),
        ("published", S.PUBLISHED),
        ("recomputed", S.PUBLISHED),
        ("appealed", S.MANAGER),
        ("submitted", S.PLANNING),
        ("submitted", S.VP),
        ("submitted", S.HR),
        ("published", S.PUBLISHED),
    ]


def test_an_approval_after_an_appeal_does_not_tell_the_rep_the_unpublished_total(org, computed):
    from performance.review import services

    card = computed
    teammate = Scorecard.objects.get(user=org.teammate, period__key=P.key)
    for actor in (org.manager, org.planner, org.vp):
        services.submit(card, actor)
        services.submit(teammate, actor)
    services.publish_period(card.period, org.hr)
    card.refresh_from_db()
    pay(card.receivable, "8000.00", "2026-10-20")
    rc = services.request_recomputation(card, org.manager, "late payment")
    services.appeal(card, org.rep, "unfair")
    Notification.objects.filter(user=org.rep).delete()
    services.decide_recomputation(rc, org.hr, True, "")
    card.refresh_from_db()
    assert card.status == S.MANAGER
    assert not Notification.objects.filter(user=org.rep).exists()
