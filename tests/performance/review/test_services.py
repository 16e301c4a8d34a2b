"""The review chain's services: who may take each step, adjustments, publishing, appeals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from performance.models import EvaluationPeriod, ReviewStep, Scorecard
from performance.review import permissions as perms
from performance.review import services

S = Scorecard.Status


def _state(card):
    card.refresh_from_db()
    return (card.status, card.total, card.grade, card.steps.count())


@pytest.mark.django_db
class TestManagerOf:
    def test_a_rep_is_reviewed_by_the_manager_of_their_team(self, org, make_scorecard):
        assert perms.manager_of(make_scorecard(org.rep)) == org.manager

    def test_a_team_manager_is_reviewed_by_the_manager_above(self, org, make_scorecard):
        assert perms.manager_of(make_scorecard(org.manager)) == org.regional_manager

    def test_a_team_without_manager_walks_up(self, org, make_scorecard):
        assert perms.manager_of(make_scorecard(org.east_rep)) == org.regional_manager
        assert perms.manager_of(make_scorecard(org.other_team_rep)) == org.vp

    def test_a_manager_who_left_is_skipped(self, org, make_scorecard):
        card = make_scorecard(org.rep)
        org.manager.is_active = False
        org.manager.save(update_fields=["is_active"])
        assert perms.manager_of(card) == org.regional_manager
        assert Scorecard.objects.filter(perms.inbox_q(org.regional_manager), pk=card.pk).exists()
        services.submit(card, org.regional_manager, "")
        assert Scorecard.objects.get(pk=card.pk).status == S.PLANNING

    def test_the_inbox_query_walks_the_same_way(self, org, make_scorecard):
        rep, mgr, east = (
            make_scorecard(org.rep),
            make_scorecard(org.manager),
            make_scorecard(org.east_rep),
        )
        inbox = Scorecard.objects.filter(perms.inbox_q(org.regional_manager))
        assert set(inbox) == {mgr, east}
        assert set(Scorecard.objects.filter(perms.inbox_q(org.manager))) == {rep}
        assert rep not in Scorecard.objects.filter(perms.inbox_q(org.vp))


WHO = {
    S.MANAGER: "manager",
    S.PLANNING: "planner",
    S.VP: "vp",
    S.HR: "hr",
}
EVERYONE = [
    "rep",
    "teammate",
    "manager",
    "regional_manager",
    "planner",
    "vp",
    "hr",
    "service",
    "other_team_rep",
    "east_rep",
]


@pytest.mark.django_db
@pytest.mark.parametrize("status", [S.MANAGER, S.PLANNING, S.VP])
def test_only_the_steps_role_passes_it_on(org, make_scorecard, status):
    card = make_scorecard(org.rep, status=status)
    for name in EVERYONE:
        if name == WHO[status]:
            continue
        before = _state(card)
        with pytest.raises(PermissionDenied):
            services.submit(card, getattr(org, name), "ok")
        assert _state(card) == before, name
    services.submit(card, getattr(org, WHO[status]), "ok")
    card.refresh_from_db()
    assert card.status == services.perms.NEXT[status]
    step = card.steps.latest("pk")
    assert (step.action, step.from_status, step.to_status, step.actor, step.comment) == (
        ReviewStep.Action.SUBMITTED,
        status,
        card.status,
        getattr(org, WHO[status]),
        "ok",
    )


@pytest.mark.django_db
def test_passing_on_notifies_the_next_actor_once_a_day(org, make_scorecard):
    card = make_scorecard(org.rep)
    services.submit(card, org.manager, "")
    services.submit(make_scorecard(org.teammate), org.manager, "")
    (note,) = Notification.objects.filter(user=org.planner)
    assert "2026-10" in note.title
    assert "view=inbox" in note.url
    assert not Notification.objects.filter(user=org.vp).exists()


@pytest.mark.django_db
def test_an_admin_may_act_on_any_step_but_nobody_on_their_own(org, make_scorecard):
    card = make_scorecard(org.rep, status=S.VP)
    services.submit(card, org.admin, "")
    assert Scorecard.objects.get(pk=card.pk).status == S.HR
    own = make_scorecard(org.planner, status=S.PLANNING)
    with pytest.raises(PermissionDenied):
        services.submit(own, org.planner, "")


@pytest.mark.django_db
class TestAdjust:
    def test_adjusting_recomputes_total_grade_and_keeps_the_difference(self, org, make_scorecard):
        card = make_scorecard(org.rep)
        services.adjust(
            card,
            org.manager,
            {"review_probe": ("-10", "拜访记录不完整"), "collection": (Decimal("-10"), "回款延迟")},
        )
        card.refresh_from_db()
        # (60 x 80 + 40 x 70) / 100 = 76.00: grade C; the computed total stays 86.00
        assert (card.total, card.computed_total, card.adjustment, card.grade) == (
            Decimal("76.00"),
            Decimal("86.00"),
            Decimal("-10.00"),
            "C",
        )
        item = card.items.get(metric="review_probe")
        assert (item.score, item.adjustment, item.adjustment_comment) == (
            Decimal("90.00"),
            Decimal("-10.00"),
            "拜访记录不完整",
        )
        step = card.steps.latest("pk")
        assert step.action == ReviewStep.Action.ADJUSTED
        assert "拜访记录不完整" in step.comment
        assert step.role == "manager"

    def test_beyond_the_limit_is_refused_and_nothing_changes(self, org, make_scorecard):
        card = make_scorecard(org.rep)
        before = _state(card)
        with pytest.raises(ValidationError) as exc:
            services.adjust(card, org.manager, {"review_probe": ("10.01", "too much")})
        assert "review_probe" in exc.value.error_dict
        assert _state(card) == before
        assert card.items.get(metric="review_probe").adjustment == 0

    def test_a_comment_is_required(self, org, make_scorecard):
        card = make_scorecard(org.rep)
        with pytest.raises(ValidationError):
            services.adjust(card, org.manager, {"review_probe": ("3", "  ")})
        assert card.items.get(metric="review_probe").adjustment == 0

    def test_only_the_manager_at_the_manager_step(self, org, make_scorecard):
        card = make_scorecard(org.rep)
        for user in (org.rep, org.teammate, org.regional_manager, org.planner, org.hr):
            with pytest.raises(PermissionDenied):
                services.adjust(card, user, {"review_probe": ("3", "x")})
        later = make_scorecard(org.teammate, status=S.PLANNING)
        with pytest.raises(PermissionDenied):
            services.adjust(later, org.manager, {"review_probe": ("3", "x")})
        assert card.items.get(metric="review_probe").adjustment == 0


@pytest.mark.django_db
def test_send_back_needs_a_comment_and_goes_one_step_back(org, make_scorecard):
    card = make_scorecard(org.rep, status=S.PLANNING)
    with pytest.raises(ValidationError):
        services.send_back(card, org.planner, " ")
    assert _state(card)[0] == S.PLANNING
    services.send_back(card, org.planner, "请补充回款说明")
    card.refresh_from_db()
    assert card.status == S.MANAGER
    assert Notification.objects.filter(user=org.manager, body="请补充回款说明").exists()
    with pytest.raises(ValidationError):  # the manager's step is the first
        services.send_back(card, org.manager, "no")


@pytest.mark.django_db
def test_hr_publishes_with_the_reviewers_comment(org, make_scorecard):
    card = make_scorecard(org.rep, status=S.HR)
    with pytest.raises(PermissionDenied):
        services.publish(card, org.vp, "")
    with pytest.raises(ValidationError):
        services.submit(card, org.hr, "")  # HR's step publishes
    services.publish(card, org.hr, "Good quarter, keep it up")
    card.refresh_from_db()
    assert card.status == S.PUBLISHED
    assert card.published_at is not None
    assert card.reviewer_comment == "Good quarter, keep it up"
    assert Notification.objects.filter(user=org.rep, kind="scorecard_published").exists()


@pytest.mark.django_db
class TestPublishPeriod:
    def test_refuses_listing_those_not_with_hr(self, org, make_scorecard):
        ready = make_scorecard(org.rep, status=S.HR)
        late = make_scorecard(org.teammate, status=S.VP)
        with pytest.raises(ValidationError) as exc:
            services.publish_period(ready.period, org.hr)
        assert str(org.teammate) in str(exc.value)
        assert str(org.rep) not in str(exc.value)
        assert _state(ready)[0] == S.HR
        assert _state(late)[0] == S.VP
        assert not EvaluationPeriod.objects.get(pk=ready.period_id).is_published

    def test_publishes_everything_at_hr_and_the_period(self, org, make_scorecard):
        a = make_scorecard(org.rep, status=S.HR)
        b = make_scorecard(org.teammate, status=S.HR)
        assert services.publish_period(a.period, org.hr, "Q4 done") == 2
        assert _state(a)[0] == _state(b)[0] == S.PUBLISHED
        period = EvaluationPeriod.objects.get(pk=a.period_id)
        assert period.is_published
        assert period.published_by == org.hr
        with pytest.raises(ValidationError):
            services.publish_period(period, org.hr)

    def test_only_hr_or_an_admin(self, org, make_scorecard):
        card = make_scorecard(org.rep, status=S.HR)
        for user in (org.vp, org.planner, org.manager, org.rep):
            with pytest.raises(PermissionDenied):
                services.publish_period(card.period, user)
        assert _state(card)[0] == S.HR

    def test_an_empty_period_is_refused(self, org):
        from tests.performance.factories import evaluation_period

        with pytest.raises(ValidationError):
            services.publish_period(evaluation_period("2026-09"), org.hr)


@pytest.mark.django_db
class TestAppeal:
    def test_the_person_appeals_once_and_the_manager_step_reopens(self, org, make_scorecard):
        card = make_scorecard(org.rep, status=S.PUBLISHED)
        for user in (org.manager, org.hr, org.teammate):
            with pytest.raises(PermissionDenied):
                services.appeal(card, user, "unfair")
        with pytest.raises(ValidationError):
            services.appeal(card, org.rep, "")
        services.appeal(card, org.rep, "The 回款 of 10-31 was booked late")
        card.refresh_from_db()
        assert card.status == S.MANAGER
        assert card.appealed_at is not None
        assert card.appeal_reason == "The 回款 of 10-31 was booked late"
        assert card.steps.latest("pk").action == ReviewStep.Action.APPEALED
        assert Notification.objects.filter(user=org.manager, kind="scorecard_review").exists()
        # back through the chain and published again: no second appeal
        for actor in (org.manager, org.planner, org.vp):
            services.submit(card, actor, "")
        services.publish(card, org.hr, "Reviewed after appeal")
        with pytest.raises(ValidationError):
            services.appeal(card, org.rep, "again")
        assert Scorecard.objects.get(pk=card.pk).status == S.PUBLISHED

    def test_an_unpublished_result_cannot_be_appealed(self, org, make_scorecard):
        card = make_scorecard(org.rep, status=S.HR)
        with pytest.raises(ValidationError):
            services.appeal(card, org.rep, "unfair")
        assert _state(card)[0] == S.HR
