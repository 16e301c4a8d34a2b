"""The kanban board: scoped cards, top N per column with counts, a fixed number of queries, and
the moves the board posts (moved / ask for a lost reason / refused)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from opportunities import selectors
from opportunities.models import LostReason
from tests.factories import CustomerFactory
from tests.opportunities.factories import make_opportunity, stage, tob

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def board_url(**query):
    url = reverse("opportunities:board", args=[tob().pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def cards(response) -> dict[str, set[str]]:
    return {c.stage.name: {card.name for card in c.cards} for c in response.context["columns"]}


def test_default_board_redirects_to_the_default_pipeline(rep_client):
    response = rep_client.get(reverse("opportunities:board-default"))
    assert response.status_code == 302
    assert response["Location"] == board_url()


def test_a_rep_sees_own_cards_a_manager_the_team(rep_client, manager_client, deals):
    assert cards(rep_client.get(board_url()))["Initial contact"] == {"Mine deal"}
    assert cards(rep_client.get(board_url(owner="all")))["Initial contact"] == {"Mine deal"}
    team = cards(manager_client.get(board_url()))["Initial contact"]
    assert team == {"Mine deal", "Teammate deal"}


def test_columns_show_the_largest_cards_and_count_the_rest(org, django_assert_max_num_queries):
    customer = CustomerFactory(owner=org.rep)
    for i in range(40):
        make_opportunity(owner=org.rep, customer=customer, name=f"D{i}", amount=f"{i}.00")
    make_opportunity(owner=org.rep, customer=customer, name="V", stage_name="Visit")
    columns = selectors.board(viewer=org.rep, pipeline=tob(), per_column=5)
    first = columns[0]
    assert [c.name for c in first.cards] == ["D39", "D38", "D37", "D36", "D35"]
    assert (first.count, first.more, first.amount) == (40, 35, Decimal(sum(range(40))))
    assert first.weighted == Decimal(sum(range(40))) / 10
    assert [c.name for c in columns[2].cards] == ["V"]
    client = Client()
    client.force_login(org.rep)
    with django_assert_max_num_queries(14):
        response = client.get(board_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "?pipeline=" in html
    assert "more" in html


def test_board_query_count_does_not_grow(org, django_assert_max_num_queries):
    client = Client()
    client.force_login(org.rep)
    customer = CustomerFactory(owner=org.rep)
    make_opportunity(owner=org.rep, customer=customer)
    with django_assert_max_num_queries(14) as few:
        client.get(board_url())
    for i in range(30):
        make_opportunity(owner=org.rep, customer=customer, stage_name=("Visit", "Proposal")[i % 2])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(board_url())


def test_drop_moves_and_refreshes_the_column_headers(rep_client, deals):
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    response = rep_client.post(url, {"stage": stage("Proposal").pk, "board_owner": "me"}, **HTMX)
    assert response.status_code == 200
    assert response["X-Board-Result"] == "moved"
    assert response["X-Board-Stage"] == str(stage("Proposal").pk)
    html = response.content.decode()
    assert f'id="col-head-{stage("Proposal").pk}"' in html
    assert 'hx-swap-oob="true"' in html
    opp.refresh_from_db()
    assert opp.stage == stage("Proposal")
    assert opp.stage_changes.filter(to_stage=stage("Proposal")).count() == 1


def test_drop_on_lost_asks_for_a_reason_and_changes_nothing(rep_client, deals):
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    response = rep_client.post(url, {"stage": stage("Lost").pk}, **HTMX)
    assert response["X-Board-Result"] == "ask"
    assert 'name="lost_reason"' in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage == stage("Initial contact")
    assert opp.stage_changes.count() == 1
    reason = LostReason.objects.get(name="No budget")
    response = rep_client.post(url, {"stage": stage("Lost").pk, "lost_reason": reason.pk}, **HTMX)
    assert response["X-Board-Result"] == "moved"
    opp.refresh_from_db()
    assert opp.status == "lost"
    assert opp.lost_reason == reason


def test_a_drop_the_user_may_not_do_is_reverted(org, deals):
    client = Client()
    client.force_login(org.planner)  # sees every card, may move none
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    response = client.post(url, {"stage": stage("Visit").pk}, **HTMX)
    assert response.status_code == 403
    assert response["X-Board-Result"] == "revert"
    assert "may not" in response.content.decode()
    opp.refresh_from_db()
    assert opp.stage == stage("Initial contact")
    # The planner's board shows the card, but locked.
    board = client.get(board_url(owner="all"))
    assert opp.pk not in board.context["movable"]
    assert "board-locked" in board.content.decode()


def test_a_stage_of_another_pipeline_is_refused(rep_client, deals):
    from opportunities.models import Pipeline

    other = Pipeline.objects.get(name="ToC retail").stages.first()
    url = reverse("opportunities:opportunity-move", args=[deals["mine"].pk])
    response = rep_client.post(url, {"stage": other.pk}, **HTMX)
    assert response.status_code == 400
    assert response["X-Board-Result"] == "revert"


def test_another_teams_card_cannot_be_moved(other_team_client, deals):
    url = reverse("opportunities:opportunity-move", args=[deals["mine"].pk])
    assert other_team_client.post(url, {"stage": stage("Visit").pk}, **HTMX).status_code == 404


def test_cards_flag_stale_deals_and_passed_close_dates(org):
    import datetime as dt

    from django.utils import timezone

    old = make_opportunity(
        owner=org.rep,
        name="Old",
        created_at=timezone.now() - dt.timedelta(days=45),
        expected_close_on=timezone.localdate() - dt.timedelta(days=1),
    )
    make_opportunity(owner=org.rep, name="Fresh", expected_close_on=timezone.localdate())
    (column,) = [c for c in selectors.board(viewer=org.rep, pipeline=tob()) if c.count]
    flags = {c.name: (c.is_stale, c.is_overdue, c.days_in_stage) for c in column.cards}
    assert flags == {"Old": (True, True, 45), "Fresh": (False, False, 0)}
    client = Client()
    client.force_login(org.rep)
    html = client.get(board_url()).content.decode()
    assert "45 d" in html
    assert "Expected close date passed" in html
    assert old.pk in {c.pk for c in column.cards}


def test_a_drop_after_the_card_changed_pipeline_is_refused(rep_client, deals):
    """The board read the card in ToB; meanwhile the edit form moved it to ToC retail. The drop
    on a ToB column is checked again under the row lock and refused: the card stays in ToC."""
    from opportunities import services
    from opportunities.models import Pipeline

    opp = deals["mine"]
    stale = type(opp).objects.get(pk=opp.pk)  # what the board's request read
    toc = Pipeline.objects.get(name="ToC retail")
    services.opportunity_move_stage(
        opportunity=opp, to_stage=toc.stages.filter(kind="open").first(), by=opp.owner
    )
    with pytest.raises(services.MoveNotAllowedError):
        services.opportunity_move_stage(
            opportunity=stale, to_stage=stage("Visit"), by=opp.owner, same_pipeline=True
        )
    opp.refresh_from_db()
    assert opp.pipeline == toc
    assert opp.stage_changes.count() == 2
    # Through the endpoint: the card now belongs to ToC, a ToB stage is a revert.
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    response = rep_client.post(url, {"stage": stage("Visit").pk}, **HTMX)
    assert response["X-Board-Result"] == "revert"
    opp.refresh_from_db()
    assert opp.pipeline == toc


def test_another_teams_drop_changes_nothing(other_team_client, deals):
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    reason = LostReason.objects.get(name="No budget")
    for data in ({"stage": stage("Won").pk}, {"stage": stage("Lost").pk, "lost_reason": reason.pk}):
        assert other_team_client.post(url, data, **HTMX).status_code == 404
        assert other_team_client.post(url, data).status_code == 404
    opp.refresh_from_db()
    assert opp.stage == stage("Initial contact")
    assert opp.stage_changes.count() == 1


def test_a_withdrawn_lost_reason_is_named_in_the_refusal(rep_client, deals):
    opp = deals["mine"]
    reason = LostReason.objects.get(name="No budget")
    LostReason.objects.filter(pk=reason.pk).update(is_active=False)
    url = reverse("opportunities:opportunity-move", args=[opp.pk])
    response = rep_client.post(url, {"stage": stage("Lost").pk, "lost_reason": reason.pk}, **HTMX)
    assert (response.status_code, response["X-Board-Result"]) == (400, "revert")
    assert "pipeline" not in response.content.decode()
    opp.refresh_from_db()
    assert opp.status == "open"
