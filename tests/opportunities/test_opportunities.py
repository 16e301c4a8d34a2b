"""Opportunities through their services and pages: creation, stage moves and their history,
won / lost rules, the customer's denormalised columns, list / detail / edit under data scopes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from customers.models import Activity, Customer
from opportunities import services
from opportunities.models import LostReason, Opportunity, Pipeline, Stage, StageChange
from tests.factories import ContactFactory, CustomerFactory
from tests.opportunities.factories import make_opportunity, stage, tob

pytestmark = pytest.mark.django_db

LIST = reverse("opportunities:opportunity-list")


def names(response) -> set[str]:
    return {o.name for o in response.context["page"]}


# --- seeded pipelines ------------------------------------------------------------------------


def test_default_pipelines_are_seeded_in_both_languages():
    pipeline = tob()
    assert pipeline.is_default
    stages = list(pipeline.stages.order_by("order"))
    assert [(s.name, s.probability, s.kind) for s in stages] == [
        ("Initial contact", 10, "open"),
        ("Needs analysis", 20, "open"),
        ("Visit", 30, "open"),
        ("Proposal", 50, "open"),
        ("Negotiation", 70, "open"),
        ("Contract", 90, "open"),
        ("Won", 100, "won"),
        ("Lost", 0, "lost"),
    ]
    with translation.override("zh-hans"):
        assert stages[2].label == "拜访"
        assert str(pipeline) == "ToB 项目销售"
    assert stages[2].label == "Visit"
    assert Pipeline.objects.get(name="ToC retail").stages.count() == 5
    assert LostReason.objects.filter(is_active=True).count() >= 5


# --- services --------------------------------------------------------------------------------


def test_create_starts_the_history_and_marks_the_customer(org):
    customer = CustomerFactory(owner=org.rep)
    opp = make_opportunity(owner=org.rep, customer=customer)
    assert opp.stage == stage("Initial contact")
    assert opp.status == "open"
    assert opp.closed_at is None
    assert opp.code.startswith("O")
    (change,) = opp.stage_changes.all()
    assert change.from_stage is None
    assert change.to_stage == opp.stage
    customer.refresh_from_db()
    assert customer.has_open_opportunities is True
    assert customer.last_opportunity_at == opp.created_at


def test_a_move_records_who_when_and_the_time_spent(org):
    start = timezone.now() - dt.timedelta(days=3)
    opp = make_opportunity(owner=org.rep, created_at=start)
    at = start + dt.timedelta(days=2, hours=6)
    change = services.opportunity_move_stage(
        opportunity=opp, to_stage=stage("Visit"), by=org.manager, at=at
    )
    assert change.from_stage == stage("Initial contact")
    assert change.to_stage == stage("Visit")
    assert change.changed_by == org.manager
    assert change.seconds_in_previous == (2 * 24 + 6) * 3600
    opp.refresh_from_db()
    assert opp.stage == stage("Visit")
    assert opp.stage_entered_at == at
    # Moving to the stage it is in changes nothing.
    assert (
        services.opportunity_move_stage(opportunity=opp, to_stage=stage("Visit"), by=org.rep)
        is None
    )
    assert opp.stage_changes.count() == 2


def test_won_closes_and_reopening_clears(org):
    customer = CustomerFactory(owner=org.rep)
    opp = make_opportunity(owner=org.rep, customer=customer)
    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Won"), by=org.rep)
    opp.refresh_from_db()
    customer.refresh_from_db()
    assert opp.status == "won"
    assert opp.closed_at is not None
    assert customer.has_open_opportunities is False
    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Proposal"), by=org.rep)
    opp.refresh_from_db()
    customer.refresh_from_db()
    assert opp.status == "open"
    assert opp.closed_at is None
    assert customer.has_open_opportunities is True


def test_lost_needs_a_reason_and_changes_nothing_without_one(org):
    opp = make_opportunity(owner=org.rep)
    with pytest.raises(ValidationError):
        services.opportunity_move_stage(opportunity=opp, to_stage=stage("Lost"), by=org.rep)
    opp.refresh_from_db()
    assert opp.stage == stage("Initial contact")
    assert opp.stage_changes.count() == 1
    reason = LostReason.objects.get(name="Price too high")
    services.opportunity_move_stage(
        opportunity=opp, to_stage=stage("Lost"), by=org.rep, lost_reason=reason, lost_note="-20%"
    )
    opp.refresh_from_db()
    assert opp.status == "lost"
    assert opp.lost_reason == reason
    assert opp.closed_at is not None


def test_opportunity_from_lead_uses_the_default_pipeline(org):
    from leads.models import Lead

    lead = Lead.objects.create(name="Lead Co", owner=org.rep)
    customer = CustomerFactory(owner=org.rep)
    contact = ContactFactory(customer=customer)
    opp = services.opportunity_from_lead(
        lead=lead, customer=customer, contact=contact, by=org.rep, amount=Decimal("88.00")
    )
    assert opp.source_lead == lead
    assert opp.stage == stage("Initial contact")
    assert opp.owner == org.rep
    assert opp.contact == contact
    assert opp.amount == Decimal("88.00")
    assert opp.stage_changes.count() == 1


# --- pages and scopes ------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_is_scoped(rep_client, manager_client, deals):
    assert names(rep_client.get(LIST)) == {"Mine deal"}
    assert names(manager_client.get(LIST)) == {"Mine deal", "Teammate deal"}


def test_list_totals_and_filters(rep_client, org):
    make_opportunity(owner=org.rep, name="A", amount="1000.00", stage_name="Proposal")  # 50 %
    make_opportunity(
        owner=org.rep,
        name="B",
        amount="300.00",
        stage_name="Visit",
        expected_close_on=dt.date(2026, 3, 15),
    )
    response = rep_client.get(LIST)
    totals = response.context["totals"]
    assert totals["count"] == 2
    assert totals["amount"] == Decimal("1300.00")
    assert totals["weighted"] == Decimal("590.00")  # 500 + 90
    assert names(rep_client.get(LIST, {"amount_min": "500"})) == {"A"}
    assert names(rep_client.get(LIST, {"close_month": "2026-03"})) == {"B"}
    assert names(rep_client.get(LIST, {"stage": stage("Visit").pk})) == {"B"}


def test_the_list_runs_a_fixed_number_of_queries(rep_client, org, django_assert_max_num_queries):
    customer = CustomerFactory(owner=org.rep)
    for i in range(60):
        make_opportunity(owner=org.rep, customer=customer, name=f"Deal {i}")
    with django_assert_max_num_queries(15):
        response = rep_client.get(LIST)
    assert len(response.context["page"]) == 50


def test_detail_of_another_team_is_404(rep_client, other_team_client, deals):
    url = deals["mine"].get_absolute_url()
    assert rep_client.get(url).status_code == 200
    assert other_team_client.get(url).status_code == 404
    assert (
        other_team_client.post(
            reverse("opportunities:opportunity-move", args=[deals["mine"].pk]),
            {"stage": stage("Visit").pk},
        ).status_code
        == 404
    )


def test_read_only_people_get_403_on_edit(org, deals):
    client = Client()
    client.force_login(org.planner)  # sees everything, changes nothing
    url = reverse("opportunities:opportunity-update", args=[deals["mine"].pk])
    assert client.get(deals["mine"].get_absolute_url()).status_code == 200
    assert client.get(url).status_code == 403
    move = reverse("opportunities:opportunity-move", args=[deals["mine"].pk])
    assert client.post(move, {"stage": stage("Visit").pk}).status_code == 403
    assert deals["mine"].stage_changes.count() == 1


def test_move_is_post_only(rep_client, deals):
    move = reverse("opportunities:opportunity-move", args=[deals["mine"].pk])
    assert rep_client.get(move).status_code == 405


def test_create_from_the_customer_page(rep_client, org):
    customer = CustomerFactory(owner=org.rep)
    url = reverse("opportunities:opportunity-create") + f"?customer={customer.pk}"
    assert rep_client.get(url).status_code == 200
    response = rep_client.post(
        url,
        {
            "customer": customer.pk,
            "name": "  New   deal ",
            "amount": "1234.50",
            "stage": stage("Needs analysis").pk,
            "owner": org.rep.pk,
            "expected_close_on": "2026-12-31",
        },
    )
    opp = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == opp.get_absolute_url()
    assert opp.name == "New deal"
    assert opp.amount == Decimal("1234.50")
    assert opp.stage_changes.get().to_stage == stage("Needs analysis")
    # The customer page lists it (its section, rendered as the customer page does).
    from django.template.loader import render_to_string

    from customers.sections import sections_for

    (section,) = [s for s in sections_for(customer, org.rep) if s["key"] == "opportunities"]
    html = render_to_string(section["template"], {"section": section, "customer": customer})
    assert "New deal" in html
    assert "?customer=" in html


def test_create_for_a_customer_out_of_reach_is_refused(rep_client, org):
    other = CustomerFactory(owner=org.other_team_rep)
    url = reverse("opportunities:opportunity-create")
    response = rep_client.post(
        url,
        {
            "customer": other.pk,
            "name": "X",
            "amount": "1",
            "stage": stage("Visit").pk,
            "owner": org.rep.pk,
        },
    )
    assert response.status_code == 200
    assert "customer" in response.context["form"].errors
    assert not Opportunity.objects.exists()
    assert rep_client.get(url + f"?customer={other.pk}").status_code == 404


def test_edit_to_lost_needs_a_reason(rep_client, deals):
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-update", args=[opp.pk])
    data = {
        "name": opp.name,
        "amount": "5000.00",
        "stage": stage("Lost").pk,
        "owner": opp.owner_id,
    }
    response = rep_client.post(url, data)
    assert response.status_code == 200
    assert "lost_reason" in response.context["form"].errors
    opp.refresh_from_db()
    assert opp.status == "open"
    reason = LostReason.objects.first()
    response = rep_client.post(url, {**data, "lost_reason": reason.pk, "amount": "4000.00"})
    assert response.status_code == 302
    opp.refresh_from_db()
    assert opp.status == "lost"
    assert opp.amount == Decimal("4000.00")
    assert opp.lost_reason == reason


def test_won_offers_to_create_an_order_when_orders_provides_it(rep_client, deals):
    from django.urls import NoReverseMatch

    opp = deals["mine"]
    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Won"), by=opp.owner)
    response = rep_client.get(opp.get_absolute_url())
    try:
        url = reverse("orders:order-create")
    except NoReverseMatch:
        assert response.context["order_url"] is None
    else:
        assert response.context["order_url"] == f"{url}?opportunity={opp.pk}"
        assert f"?opportunity={opp.pk}" in response.content.decode()


def test_an_activity_logged_on_the_opportunity_shows_on_it_and_the_customer(rep_client, deals):
    opp = deals["mine"]
    response = rep_client.post(
        reverse("opportunities:activity-create", args=[opp.pk]),
        {
            "kind": "visit",
            "outcome": "success",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Demo at the plant",
        },
    )
    assert response.status_code == 302
    activity = Activity.objects.get()
    assert activity.opportunity == opp
    assert activity.customer == opp.customer
    assert "Demo at the plant" in rep_client.get(opp.get_absolute_url()).content.decode()
    assert Customer.objects.get(pk=opp.customer_id).last_contacted_at is not None


def test_stage_history_is_shown_on_the_detail(rep_client, deals):
    opp = deals["mine"]
    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Visit"), by=opp.owner)
    response = rep_client.get(opp.get_absolute_url())
    history = list(response.context["history"])
    assert [(c.from_stage, c.to_stage) for c in history] == [
        (stage("Initial contact"), stage("Visit")),
        (None, stage("Initial contact")),
    ]
    assert StageChange.objects.filter(opportunity=opp).count() == 2


def test_stage_settings_are_for_administrators(rep_client, admin_client_):
    url = reverse("opportunities:pipeline-list")
    assert rep_client.get(url).status_code == 403
    assert admin_client_.get(url).status_code == 200
    pipeline = tob()
    edit = reverse("opportunities:pipeline-update", args=[pipeline.pk])
    response = admin_client_.get(edit)
    assert response.status_code == 200
    assert Stage.objects.filter(pipeline=pipeline).count() == 8


def test_demo_data_is_created_once(org):
    from customers.demo import seed_customers
    from opportunities import demo

    seed_customers(reps=[org.rep, org.teammate], admin=org.admin)
    created = demo.seed(reps=[org.rep, org.teammate], admin=org.admin)
    assert created > 20
    assert Opportunity.objects.filter(status="won").exists()
    assert Opportunity.objects.filter(status="lost", lost_reason__isnull=False).exists()
    assert StageChange.objects.filter(from_stage__isnull=False).exists()
    assert demo.seed(reps=[org.rep, org.teammate], admin=org.admin) == 0


def test_a_win_is_announced_to_the_owner_and_the_team_manager(org):
    from notifications.models import Notification

    opp = make_opportunity(owner=org.rep, name="Big deal", amount="250000.00")
    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Won"), by=org.rep)
    (note,) = Notification.objects.all()
    assert note.user == org.manager
    assert "Big deal" in note.title
    assert "250,000.00" in note.title
    assert note.url == opp.get_absolute_url()
    other = make_opportunity(owner=org.rep, name="Small deal")
    services.opportunity_move_stage(
        opportunity=other,
        to_stage=stage("Lost"),
        by=org.manager,
        lost_reason=LostReason.objects.first(),
    )
    assert Notification.objects.filter(user=org.rep, title__contains="Small deal").count() == 1


def test_a_rep_handover_moves_the_open_opportunities(org):
    from customers import pool

    open_one = make_opportunity(owner=org.rep, name="Open")
    won = make_opportunity(owner=org.rep, name="Won")
    services.opportunity_move_stage(opportunity=won, to_stage=stage("Won"), by=org.rep)
    preview = dict(pool.rep_handover_preview(from_user=org.rep, by=org.manager))
    assert preview["Open opportunities"] == 1
    result = dict(pool.rep_handover(from_user=org.rep, to_user=org.teammate, by=org.manager))
    assert result["Open opportunities"] == 1
    open_one.refresh_from_db()
    won.refresh_from_db()
    assert open_one.owner == org.teammate
    assert won.owner == org.rep  # results stay with whoever closed them


def test_choosing_the_customer_offers_its_contacts(rep_client, org):
    customer = CustomerFactory(owner=org.rep)
    ContactFactory(customer=customer, name="Li Lei")
    ContactFactory(name="Somebody Else")
    url = reverse("opportunities:opportunity-create")
    form = rep_client.get(url, {"customer": customer.pk}).context["form"]
    assert [c.name for c in form.fields["contact"].queryset] == ["Li Lei"]
    assert 'hx-get="/opportunities/new/"' in rep_client.get(url).content.decode()


def test_the_list_exports_what_it_shows(rep_client, deals):
    response = rep_client.get(LIST, {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8-sig")
    assert "Mine deal" in text
    assert "Teammate deal" not in text
    assert text.splitlines()[0].startswith("code,customer,name,pipeline,stage")


def test_admins_edit_the_stages_of_a_pipeline(admin_client_, deals):
    pipeline = tob()
    stages = list(pipeline.stages.order_by("order"))
    data = {
        "name": pipeline.name,
        "name_zh": pipeline.name_zh,
        "order": 0,
        "is_default": "on",
        "is_active": "on",
        "stages-TOTAL_FORMS": str(len(stages) + 1),
        "stages-INITIAL_FORMS": str(len(stages)),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    rows = [
        {"id": s.pk, "pipeline": pipeline.pk, "order": s.order, "name": s.name,
         "name_zh": s.name_zh, "probability": s.probability, "kind": s.kind}
        for s in stages
    ]  # fmt: skip
    rows.append({"order": 9, "name": "Pilot", "name_zh": "试点", "probability": 60, "kind": "open"})
    for i, row in enumerate(rows):
        data.update({f"stages-{i}-{key}": value for key, value in row.items()})
    url = reverse("opportunities:pipeline-update", args=[pipeline.pk])
    # Deleting the stage that holds the deals is refused.
    refused = admin_client_.post(url, {**data, "stages-0-DELETE": "on"})
    assert refused.status_code == 200
    assert pipeline.stages.filter(name="Initial contact").exists()
    assert not pipeline.stages.filter(name="Pilot").exists()
    # So is deleting a stage the deals have left: it is in their history (no 500, no loss).
    from opportunities import services

    for opp in Opportunity.objects.filter(stage=stages[0]):
        services.opportunity_move_stage(opportunity=opp, to_stage=stages[1], by=opp.owner)
    refused = admin_client_.post(url, {**data, "stages-0-DELETE": "on"})
    assert refused.status_code == 200
    assert "stage history" in refused.content.decode()
    assert pipeline.stages.filter(name="Initial contact").exists()
    assert admin_client_.post(url, data).status_code == 302
    pilot = pipeline.stages.get(name="Pilot")
    with translation.override("zh-hans"):
        assert pilot.label == "试点"


def test_the_customer_list_is_short_and_searchable(manager_client, org):
    """A manager reaches thousands of customers: the create form lists the first 50, a search
    narrows them (name or code), and any customer in reach is still accepted."""
    from opportunities.forms import CUSTOMER_CHOICES

    customers = [
        CustomerFactory(owner=org.rep, name=f"Customer {i:03d}")
        for i in range(CUSTOMER_CHOICES + 10)
    ]
    hidden = CustomerFactory(owner=org.teammate, name="Zz 深圳远景科技")
    CustomerFactory(owner=org.other_team_rep, name="Zz out of reach")
    url = reverse("opportunities:opportunity-create")
    html = manager_client.get(url).content.decode()
    assert html.count('value="', html.index('id="id_customer"'), html.index("</select>")) == (
        CUSTOMER_CHOICES + 1
    )
    assert "深圳远景" not in html
    assert "Only the first" in html
    assert 'name="customer_q"' in html
    found = manager_client.get(url, {"customer_q": "zz"}).content.decode()
    select = found[found.index('id="id_customer"') : found.index("</select>")]
    assert "深圳远景" in select
    assert "out of reach" not in select
    by_code = manager_client.get(url, {"customer_q": customers[-1].code.lower()}).content.decode()
    assert customers[-1].name in by_code[by_code.index('id="id_customer"') :]
    # The chosen customer stays listed whatever the search.
    kept = manager_client.get(url, {"customer_q": "zz", "customer": customers[0].pk})
    assert customers[0].name in kept.content.decode()
    response = manager_client.post(
        url,
        {
            "customer": hidden.pk,
            "name": "Deal",
            "amount": "10",
            "stage": stage("Visit").pk,
            "owner": org.teammate.pk,
        },
    )
    assert response.status_code == 302
    assert Opportunity.objects.get().customer == hidden


def test_an_edit_does_not_undo_a_board_move_made_meanwhile(rep_client, deals):
    opp = deals["mine"]
    url = reverse("opportunities:opportunity-update", args=[opp.pk])
    assert f'name="stage_seen" value="{stage("Initial contact").pk}"' in (
        rep_client.get(url).content.decode()
    )
    # The form was opened at Initial contact; a board drop then moved the deal to Proposal.
    from opportunities import services

    services.opportunity_move_stage(opportunity=opp, to_stage=stage("Proposal"), by=opp.owner)
    data = {
        "name": opp.name,
        "amount": "7000.00",
        "stage": stage("Initial contact").pk,  # untouched in the form
        "stage_seen": stage("Initial contact").pk,
        "owner": opp.owner_id,
    }
    assert rep_client.post(url, data).status_code == 302
    opp.refresh_from_db()
    assert (opp.stage, opp.amount) == (stage("Proposal"), Decimal("7000.00"))
    # A stage the user did change in the form is applied.
    assert rep_client.post(url, {**data, "stage": stage("Visit").pk}).status_code == 302
    opp.refresh_from_db()
    assert opp.stage == stage("Visit")
