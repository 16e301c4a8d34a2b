"""The review pages over HTTP: who sees what (404 outside the scope, 403 for the wrong role),
what each page shows, forms that refuse bad input and change nothing, pinned query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from performance.models import ReviewStep, Scorecard
from tests.factories import CustomerFactory, UserFactory

S = Scorecard.Status
pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"performance:{name}", args=args)


ACTIONS = [
    ("scorecard-submit", {"submit-comment": "ok"}),
    ("scorecard-send-back", {"back-comment": "no"}),
    ("scorecard-publish", {"publish-comment": "ok"}),
    ("scorecard-adjust", {"points_review_probe": "3", "comment_review_probe": "x"}),
    ("scorecard-appeal", {"reason": "unfair"}),
    ("scorecard-recompute", {"reason": "late payment"}),
]


def test_anonymous_is_sent_to_login(client, org, make_scorecard):
    card = make_scorecard(org.rep)
    for name in ("scorecard-list",):
        assert client.get(url(name)).status_code == 302
    response = client.get(url("scorecard-detail", card.pk))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("status", [S.MANAGER, S.HR, S.PUBLISHED])
def test_another_team_gets_404_everywhere_and_nothing_changes(
    org, make_scorecard, client_for, beijing_manager, status
):
    card = make_scorecard(org.rep, status=status)
    before = (card.status, card.total, card.steps.count())
    for user in (org.other_team_rep, beijing_manager, org.east_rep, org.teammate):
        client = client_for(user)
        assert client.get(url("scorecard-detail", card.pk)).status_code == 404
        assert client.get(url("scorecard-records", card.pk, "review_probe")).status_code == 404
        for name, data in ACTIONS:
            assert client.post(url(name, card.pk), data).status_code == 404, (user, name)
        listed = client.get(url("scorecard-list") + "?view=all")
        assert card not in listed.context["page"].object_list
    card.refresh_from_db()
    assert (card.status, card.total, card.steps.count()) == before


def test_a_pending_recomputation_is_404_for_another_team(
    org, make_scorecard, client_for, beijing_manager
):
    from performance.models import Recomputation

    card = make_scorecard(org.rep, status=S.PUBLISHED)
    rc = Recomputation.objects.create(scorecard=card, reason="late", requested_by=org.manager)
    for user in (org.other_team_rep, beijing_manager, org.teammate):
        response = client_for(user).post(
            url("recomputation-decide", rc.pk), {"decision": "approve"}
        )
        assert response.status_code == 404
    # seen, but only HR or an admin (not the requester) decides
    for user in (org.manager, org.vp, org.service):
        response = client_for(user).post(
            url("recomputation-decide", rc.pk), {"decision": "approve"}
        )
        assert response.status_code == 403
    assert Recomputation.objects.get(pk=rc.pk).status == Recomputation.Status.PENDING


def test_a_manager_does_not_see_their_own_unpublished_scorecard(org, make_scorecard, client_for):
    own = make_scorecard(org.manager)
    client = client_for(org.manager)
    assert client.get(url("scorecard-detail", own.pk)).status_code == 404
    assert client_for(org.regional_manager).get(url("scorecard-detail", own.pk)).status_code == 200


def test_the_rep_sees_their_scorecard_only_once_published(org, make_scorecard, client_for):
    card = make_scorecard(org.rep, status=S.HR)
    client = client_for(org.rep)
    assert client.get(url("scorecard-detail", card.pk)).status_code == 404
    assert card not in client.get(url("scorecard-list")).context["page"].object_list
    Scorecard.objects.filter(pk=card.pk).update(
        status=S.PUBLISHED, reviewer_comment="回款表现突出，继续保持"
    )
    response = client.get(url("scorecard-detail", card.pk))
    assert response.status_code == 200
    assert "回款表现突出，继续保持" in response.content.decode()
    assert 'id="appeal-form"' in response.content.decode()
    assert card in client.get(url("scorecard-list")).context["page"].object_list


@pytest.mark.parametrize("name", ["manager", "regional_manager", "planner", "vp", "hr", "admin"])
def test_reviewers_and_hr_see_it_at_any_step(org, make_scorecard, client_for, name):
    card = make_scorecard(org.rep, status=S.PLANNING)
    assert client_for(getattr(org, name)).get(url("scorecard-detail", card.pk)).status_code == 200


@pytest.mark.parametrize("status", [S.MANAGER, S.PLANNING, S.VP, S.HR])
def test_customer_service_sees_no_scorecard_under_review(org, make_scorecard, client_for, status):
    """Customer service keeps the results, read-only: nothing before publication (issue 8)."""
    card = make_scorecard(org.rep, status=status)
    client = client_for(org.service)
    assert client.get(url("scorecard-detail", card.pk)).status_code == 404
    assert client.get(url("scorecard-records", card.pk, "review_probe")).status_code == 404
    for name, data in ACTIONS:
        assert client.post(url(name, card.pk), data).status_code == 404, name
    for view in ("all", "inbox"):
        listed = client.get(url("scorecard-list") + f"?view={view}")
        assert card not in listed.context["page"].object_list
    period = client.get(url("period-detail", card.period.key))
    assert period.context["summary"]["total"] == 0
    assert list(period.context["waiting"]) == []
    card.refresh_from_db()
    assert (card.status, card.steps.count()) == (status, 1)


def test_customer_service_keeps_every_published_result_read_only(
    org, make_scorecard, client_for, beijing_manager
):
    cards = [
        make_scorecard(user, status=S.PUBLISHED)
        for user in (org.rep, org.east_rep, org.other_team_rep, beijing_manager)
    ]
    make_scorecard(org.teammate, status=S.HR)
    client = client_for(org.service)
    listed = client.get(url("scorecard-list") + "?view=all").context["page"].object_list
    assert sorted(c.pk for c in listed) == sorted(c.pk for c in cards)
    card = cards[0]
    page = client.get(url("scorecard-detail", card.pk))
    assert page.status_code == 200
    html = page.content.decode()
    for form_id in ("submit-form", "appeal-form", "recompute-form", "adjust-form"):
        assert f'id="{form_id}"' not in html
    assert client.get(url("scorecard-records", card.pk, "review_probe")).status_code == 200
    for name, data in ACTIONS:
        assert client.post(url(name, card.pk), data).status_code == 403, name
    card.refresh_from_db()
    assert (card.status, card.steps.count(), card.recomputations.count()) == (S.PUBLISHED, 1, 0)


@pytest.mark.parametrize("name", ["hr", "vp", "regional_manager"])
def test_seeing_is_not_acting_403_and_nothing_changes(org, make_scorecard, client_for, name):
    card = make_scorecard(org.rep, status=S.PLANNING)
    client = client_for(getattr(org, name))
    page = client.get(url("scorecard-detail", card.pk)).content.decode()
    assert 'id="submit-form"' not in page
    for action, data in ACTIONS[:4]:
        assert client.post(url(action, card.pk), data).status_code == 403, action
    card.refresh_from_db()
    assert (card.status, card.steps.count()) == (S.PLANNING, 1)


def test_wrong_method_is_405(org, make_scorecard, client_for):
    card = make_scorecard(org.rep)
    client = client_for(org.manager)
    assert client.get(url("scorecard-submit", card.pk)).status_code == 405
    assert client.post(url("scorecard-detail", card.pk)).status_code == 405


class TestDetail:
    def test_items_numbers_and_links_to_the_records(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep)
        response = client_for(org.manager).get(url("scorecard-detail", card.pk))
        page = response.content.decode()
        assert url("scorecard-records", card.pk, "review_probe") in page
        assert "Customers owned" in page
        assert "90.00 %" in page  # achievement
        assert "86.00" in page
        assert 'id="adjust-form"' in page
        assert 'id="submit-form"' in page
        assert 'id="send-back-form"' not in page  # the manager's step is the first

    def test_undefined_items_are_explained(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep)
        card.items.filter(metric="collection").update(actual=None, score=None, achievement=None)
        page = client_for(org.manager).get(url("scorecard-detail", card.pk)).content.decode()
        assert "left out, and the weights of the other items renormalised" in page

    def test_drift_is_shown_as_a_difference(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep, status=S.PUBLISHED, has_drift=True)
        card.items.filter(metric="review_probe").update(current_actual=Decimal("11"))
        page = client_for(org.hr).get(url("scorecard-detail", card.pk)).content.decode()
        assert 'id="drift-warning"' in page
        assert "now 11 (+2)" in page
        assert 'id="recompute-form"' in page


class TestForms:
    def test_adjust_beyond_the_limit_shows_an_error_and_changes_nothing(
        self, org, make_scorecard, client_for
    ):
        card = make_scorecard(org.rep)
        client = client_for(org.manager)
        response = client.post(
            url("scorecard-adjust", card.pk),
            {"points_review_probe": "12", "comment_review_probe": "great month"},
        )
        assert response.status_code == 400
        assert response.context["adjust_form"].errors
        response = client.post(url("scorecard-adjust", card.pk), {"points_review_probe": "5"})
        assert "comment_review_probe" in response.context["adjust_form"].errors
        card.refresh_from_db()
        assert (card.total, card.steps.count()) == (Decimal("86.00"), 1)

    def test_adjust_and_submit(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep)
        client = client_for(org.manager)
        response = client.post(
            url("scorecard-adjust", card.pk),
            {"points_review_probe": "5", "comment_review_probe": "大客户签约"},
        )
        assert response.status_code == 302
        card.refresh_from_db()
        assert (card.total, card.adjustment) == (Decimal("89.00"), Decimal("3.00"))
        response = client.post(url("scorecard-submit", card.pk), {"submit-comment": "OK"})
        assert response.status_code == 302
        assert Scorecard.objects.get(pk=card.pk).status == S.PLANNING

    def test_send_back_without_a_comment_is_refused(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep, status=S.VP)
        response = client_for(org.vp).post(url("scorecard-send-back", card.pk), {})
        assert response.status_code == 400
        assert "back-comment" not in response.context["send_back_form"].cleaned_data
        assert Scorecard.objects.get(pk=card.pk).status == S.VP

    def test_appeal_once_through_the_page(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep, status=S.PUBLISHED)
        client = client_for(org.rep)
        assert client.post(url("scorecard-appeal", card.pk), {"reason": ""}).status_code == 400
        assert (
            client.post(url("scorecard-appeal", card.pk), {"reason": "不公平"}).status_code == 302
        )
        card.refresh_from_db()
        assert card.status == S.MANAGER
        assert card.steps.filter(action=ReviewStep.Action.APPEALED).count() == 1


class TestRecords:
    def test_the_drill_down_lists_the_persons_records_paginated(
        self, org, make_scorecard, client_for
    ):
        card = make_scorecard(org.rep)
        for i in range(55):
            CustomerFactory(owner=org.rep, name=f"上海客户{i:02d}")
        CustomerFactory(owner=org.teammate, name="同事的客户")
        response = client_for(org.manager).get(url("scorecard-records", card.pk, "review_probe"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "上海客户00" in page
        assert "同事的客户" not in page
        assert response.context["page"].paginator.count == 55
        assert len(response.context["rows"]) == 50

    def test_a_team_figure_scorecard_lists_the_members_records(
        self, org, make_scorecard, client_for
    ):
        card = make_scorecard(org.manager, uses_team_figures=True)
        CustomerFactory(owner=org.rep, name="组员客户")
        CustomerFactory(owner=org.other_team_rep, name="北京客户")
        response = client_for(org.regional_manager).get(
            url("scorecard-records", card.pk, "review_probe")
        )
        page = response.content.decode()
        assert "组员客户" in page
        assert "北京客户" not in page

    def test_an_item_not_on_the_scorecard_is_404(self, org, make_scorecard, client_for):
        card = make_scorecard(org.rep)
        client = client_for(org.manager)
        assert client.get(url("scorecard-records", card.pk, "visits")).status_code == 404


class TestList:
    def test_inbox_shows_what_waits_for_me(self, org, make_scorecard, client_for):
        mine = make_scorecard(org.rep)
        at_planning = make_scorecard(org.teammate, status=S.PLANNING)
        response = client_for(org.manager).get(url("scorecard-list"))
        assert response.context["view"] == "inbox"
        assert list(response.context["page"].object_list) == [mine]
        planner = client_for(org.planner).get(url("scorecard-list"))
        assert list(planner.context["page"].object_list) == [at_planning]

    def test_filters(self, org, make_scorecard, client_for):
        a = make_scorecard(org.rep, status=S.PUBLISHED, grade="A")
        make_scorecard(org.east_rep, status=S.HR)
        make_scorecard(org.teammate, period="2026-09")
        client = client_for(org.hr)
        got = client.get(
            url("scorecard-list"),
            {"view": "all", "period": "2026-10", "team": org.shanghai.pk, "grade": "A"},
        )
        assert list(got.context["page"].object_list) == [a]
        got = client.get(url("scorecard-list"), {"view": "all", "status": "hr"})
        assert [c.user for c in got.context["page"].object_list] == [org.east_rep]

    def test_a_fixed_number_of_queries_whatever_the_length(
        self, org, make_scorecard, client_for, django_assert_max_num_queries
    ):
        client = client_for(org.hr)
        make_scorecard(org.rep, status=S.HR)
        with django_assert_max_num_queries(20) as few:
            client.get(url("scorecard-list"), {"view": "all"})
        for i in range(40):
            user = UserFactory(username=f"bulk{i}", team=org.hangzhou, position="sales_rep")
            make_scorecard(user, status=S.HR)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get(url("scorecard-list"), {"view": "all"})
        assert len(response.context["page"].object_list) == 41


class TestPeriodPage:
    def test_hr_sees_the_steps_and_publishes(self, org, make_scorecard, client_for):
        a = make_scorecard(org.rep, status=S.HR)
        b = make_scorecard(org.teammate, status=S.VP)
        client = client_for(org.hr)
        page = client.get(url("period-detail", "2026-10"))
        assert 'id="period-publish-form"' in page.content.decode()
        assert {v: n for v, _label, n in page.context["summary"]["steps"]}["hr"] == 1
        response = client.post(url("period-publish", "2026-10"), follow=True)
        assert str(org.teammate) in response.content.decode()  # the refusal names them
        assert Scorecard.objects.get(pk=a.pk).status == S.HR
        Scorecard.objects.filter(pk=b.pk).update(status=S.HR)
        client.post(url("period-publish", "2026-10"))
        assert set(Scorecard.objects.values_list("status", flat=True)) == {S.PUBLISHED}

    def test_only_hr_publishes_a_period(self, org, make_scorecard, client_for):
        make_scorecard(org.rep, status=S.HR)
        for user in (org.vp, org.manager, org.rep):
            assert client_for(user).post(url("period-publish", "2026-10")).status_code == 403
        assert Scorecard.objects.get().status == S.HR

    def test_a_manager_counts_only_their_subtree(self, org, make_scorecard, client_for):
        make_scorecard(org.rep)
        make_scorecard(org.other_team_rep)
        page = client_for(org.manager).get(url("period-detail", "2026-10"))
        assert page.context["summary"]["total"] == 1
        assert 'id="period-publish-form"' not in page.content.decode()


def test_a_form_from_an_earlier_step_does_not_act_again(org, make_scorecard, client_for):
    card = make_scorecard(org.rep, status=S.PLANNING)
    client = client_for(org.admin)
    response = client.post(
        url("scorecard-submit", card.pk), {"status": "manager", "submit-comment": "double click"}
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.status, card.steps.count()) == (S.PLANNING, 1)


def test_an_administrator_neither_sees_nor_acts_on_their_own_unpublished_scorecard(
    org, make_scorecard, client_for
):
    org.admin.is_superuser = True
    org.admin.save(update_fields=["is_superuser"])
    own = make_scorecard(org.admin, status=S.VP)
    other = make_scorecard(org.rep, status=S.VP)
    client = client_for(org.admin)
    assert client.get(url("scorecard-detail", own.pk)).status_code == 404
    assert client.post(url("scorecard-submit", own.pk), {"status": S.VP}).status_code == 404
    inbox = client.get(url("scorecard-list") + "?view=inbox").context["page"].object_list
    assert list(inbox) == [other]
    own.refresh_from_db()
    assert own.status == S.VP
    Scorecard.objects.filter(pk=own.pk).update(status=S.PUBLISHED)
    assert client.get(url("scorecard-detail", own.pk)).status_code == 200


def test_the_model_scope_is_the_review_rule(org):
    """`Scorecard.objects.visible_to` (used by any generic page or export) follows the review
    chain: the person does not see their own scorecard before it is published."""
    from performance.models import Scorecard
    from tests.performance.factories import ScorecardFactory

    card = ScorecardFactory(user=org.rep, status=Scorecard.Status.MANAGER)
    assert not Scorecard.objects.visible_to(org.rep).exists()
    assert Scorecard.objects.visible_to(org.manager).get() == card
    assert not Scorecard.objects.visible_to(org.other_team_rep).exists()
    assert not Scorecard.objects.editable_by(org.manager).exists()
    Scorecard.objects.filter(pk=card.pk).update(status=Scorecard.Status.PUBLISHED)
    assert Scorecard.objects.visible_to(org.rep).get() == card
