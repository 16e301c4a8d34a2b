"""The public pool (公海): claims with their caps and cooldown, release, the reclaim rules and
their warnings, managers' assign / transfer / hand-over under data scopes, and the pages."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers import pool
from customers.models import Activity, Customer, OwnershipChange, PoolRule, PoolSettings
from tests.factories import ActivityFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

Reason = OwnershipChange.Reason
Trigger = PoolRule.Trigger
POOL = reverse("customers:pool-list")


def days_ago(n: int, *, now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=n)


def limits(**values) -> PoolSettings:
    settings = PoolSettings.current()
    for name, value in values.items():
        setattr(settings, name, value)
    settings.save()
    return settings


def refresh(customer: Customer) -> Customer:
    customer.refresh_from_db()
    return customer


def in_pool(**kwargs) -> Customer:
    return CustomerFactory(owner=None, owned_since=None, pool_entered_at=days_ago(3), **kwargs)


def rule(trigger=Trigger.NO_ACTIVITY, days=30, **kwargs) -> PoolRule:
    return PoolRule.objects.create(
        name=kwargs.pop("name", f"{trigger} {days}"), trigger=trigger, days=days, **kwargs
    )


# --- claim ---------------------------------------------------------------------------------------


def test_a_claim_makes_the_rep_the_owner_and_keeps_the_history(org):
    customer = in_pool()
    ActivityFactory(customer=customer, owner=org.teammate, summary="Old visit")
    pool.pool_claim(customer_id=customer.pk, by=org.rep)

    customer = refresh(customer)
    assert customer.owner == org.rep
    assert customer.owned_since is not None
    assert customer.pool_entered_at is None
    assert list(Activity.objects.filter(customer=customer).values_list("summary", flat=True)) == [
        "Old visit"
    ]
    change = customer.ownership_changes.get()
    assert (change.from_user, change.to_user, change.reason) == (None, org.rep, Reason.CLAIMED)


def test_an_owned_customer_cannot_be_claimed(org):
    customer = CustomerFactory(owner=org.teammate)
    with pytest.raises(pool.PoolError) as exc:
        pool.pool_claim(customer_id=customer.pk, by=org.rep)
    assert exc.value.code == "taken"
    assert refresh(customer).owner == org.teammate
    assert not customer.ownership_changes.exists()


def test_the_daily_claim_cap_counts_todays_claims_only(org):
    limits(daily_claim_limit=2)
    old = in_pool()
    OwnershipChange.objects.create(
        customer=old, to_user=org.rep, reason=Reason.CLAIMED, changed_at=days_ago(1)
    )
    first, second, third = in_pool(), in_pool(), in_pool()
    pool.pool_claim(customer_id=first.pk, by=org.rep)
    pool.pool_claim(customer_id=second.pk, by=org.rep)
    with pytest.raises(pool.PoolError) as exc:
        pool.pool_claim(customer_id=third.pk, by=org.rep)
    assert exc.value.code == "daily_cap"
    assert refresh(third).owner is None
    pool.pool_claim(customer_id=third.pk, by=org.teammate)  # the cap is per rep


def test_the_owned_cap(org):
    limits(max_owned=1)
    CustomerFactory(owner=org.rep)
    customer = in_pool()
    with pytest.raises(pool.PoolError) as exc:
        pool.pool_claim(customer_id=customer.pk, by=org.rep)
    assert exc.value.code == "owned_cap"
    limits(max_owned=0)  # 0: no limit
    pool.pool_claim(customer_id=customer.pk, by=org.rep)


@pytest.mark.parametrize("reason", [Reason.RECLAIMED, Reason.RELEASED])
def test_a_former_owner_waits_for_the_cooldown(org, reason):
    limits(reclaim_cooldown_days=30)
    customer = in_pool()
    change = OwnershipChange.objects.create(
        customer=customer, from_user=org.rep, reason=reason, changed_at=days_ago(5)
    )
    with pytest.raises(pool.PoolError) as exc:
        pool.pool_claim(customer_id=customer.pk, by=org.rep)
    assert exc.value.code == "cooldown"

    change.changed_at = days_ago(31)
    change.save()
    pool.pool_claim(customer_id=customer.pk, by=org.rep)
    assert refresh(customer).owner == org.rep


def test_the_cooldown_binds_the_former_owner_only(org):
    customer = in_pool()
    OwnershipChange.objects.create(
        customer=customer, from_user=org.rep, reason=Reason.RECLAIMED, changed_at=days_ago(1)
    )
    pool.pool_claim(customer_id=customer.pk, by=org.teammate)
    assert refresh(customer).owner == org.teammate


def test_a_position_that_changes_nothing_cannot_claim(org):
    customer = in_pool()
    with pytest.raises(pool.PoolError):
        pool.pool_claim(customer_id=customer.pk, by=org.hr)
    assert refresh(customer).owner is None


# --- release -------------------------------------------------------------------------------------


def test_release_returns_the_customer_to_the_pool(org):
    customer = CustomerFactory(owner=org.rep)
    pool.pool_release(customer=customer, by=org.rep, note="Moved abroad")
    customer = refresh(customer)
    assert customer.owner is None
    assert customer.pool_entered_at is not None
    change = customer.ownership_changes.get()
    assert (change.from_user, change.reason, change.note) == (
        org.rep,
        Reason.RELEASED,
        "Moved abroad",
    )
    with pytest.raises(pool.PoolError):
        pool.pool_release(customer=customer, by=org.rep, note="again")


# --- reclaim rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "field", "old", "recent"),
    [
        (Trigger.NO_ACTIVITY, "last_contacted_at", days_ago(40), days_ago(10)),
        (Trigger.NO_OPPORTUNITY, "last_opportunity_at", days_ago(40), days_ago(10)),
        (
            Trigger.NO_DEAL,
            "last_order_on",
            timezone.localdate() - dt.timedelta(days=40),
            timezone.localdate() - dt.timedelta(days=10),
        ),
    ],
)
def test_each_trigger_reclaims_idle_customers(org, trigger, field, old, recent):
    the_rule = rule(trigger, days=30, name="Idle")
    idle = CustomerFactory(owner=org.rep, owned_since=days_ago(100), **{field: old})
    never = CustomerFactory(owner=org.rep, owned_since=days_ago(100))
    active = CustomerFactory(owner=org.rep, owned_since=days_ago(100), **{field: recent})
    new = CustomerFactory(owner=org.rep, owned_since=days_ago(10))

    result = pool.pool_reclaim_run()

    assert result["reclaimed"] == 2
    assert refresh(idle).owner is None
    assert refresh(never).owner is None
    assert refresh(active).owner == org.rep
    assert refresh(new).owner == org.rep
    change = idle.ownership_changes.get()
    assert (change.from_user, change.reason) == (org.rep, Reason.RECLAIMED)
    assert the_rule.name in change.note
    assert change.changed_by is None


def test_a_level_rule_replaces_the_any_level_rule_for_its_level(org):
    rule(days=30)
    rule(days=60, level="A")
    a_40 = CustomerFactory(owner=org.rep, level="A", owned_since=days_ago(40))
    a_70 = CustomerFactory(owner=org.rep, level="A", owned_since=days_ago(70))
    c_40 = CustomerFactory(owner=org.rep, level="C", owned_since=days_ago(40))

    pool.pool_reclaim_run()

    assert refresh(a_40).owner == org.rep
    assert refresh(a_70).owner is None
    assert refresh(c_40).owner is None


def test_locked_customers_and_open_opportunities_are_exempt(org):
    rule(days=30)
    locked = CustomerFactory(owner=org.rep, owned_since=days_ago(90), is_locked=True)
    busy = CustomerFactory(owner=org.rep, owned_since=days_ago(90), has_open_opportunities=True)
    assert pool.pool_reclaim_run()["reclaimed"] == 0
    assert refresh(locked).owner == org.rep
    assert refresh(busy).owner == org.rep


def test_inactive_rules_and_pool_customers_are_left_alone(org):
    rule(days=30, is_active=False)
    owned = CustomerFactory(owner=org.rep, owned_since=days_ago(90))
    pooled = in_pool()
    assert pool.pool_reclaim_run()["reclaimed"] == 0
    assert refresh(owned).owner == org.rep
    assert not pooled.ownership_changes.exists()


def test_a_second_run_changes_nothing(org):
    rule(days=30)
    rule(trigger=Trigger.NO_DEAL, days=30)
    CustomerFactory.create_batch(3, owner=org.rep, owned_since=days_ago(90))
    assert pool.pool_reclaim_run()["reclaimed"] == 3
    assert pool.pool_reclaim_run()["reclaimed"] == 0
    assert OwnershipChange.objects.filter(reason=Reason.RECLAIMED).count() == 3


def test_reclaim_counts_whole_days_whatever_the_hour_of_the_run(org):
    rule(days=30)
    tz = timezone.get_current_timezone()
    owned = dt.datetime(2025, 3, 1, 23, 30, tzinfo=tz)
    customer = CustomerFactory(owner=org.rep, owned_since=owned, created_at=owned)
    # Day 30 after 1 March is 31 March: not yet late on the 30th, at any hour on the 31st.
    pool.pool_reclaim_run(now=dt.datetime(2025, 3, 30, 23, 59, tzinfo=tz))
    assert refresh(customer).owner == org.rep
    pool.pool_reclaim_run(now=dt.datetime(2025, 3, 31, 0, 5, tzinfo=tz))
    assert refresh(customer).owner is None


def test_a_follow_up_logged_saves_the_customer(org):
    rule(days=30)
    customer = CustomerFactory(owner=org.rep, owned_since=days_ago(90))
    ActivityFactory(customer=customer, owner=org.rep)
    Customer.objects.filter(pk=customer.pk).update(last_contacted_at=timezone.now())
    assert pool.pool_reclaim_run()["reclaimed"] == 0


# --- warnings ------------------------------------------------------------------------------------


def test_warnings_list_the_owners_customers_due_soon_soonest_first(org):
    rule(days=30, warn_days=7, name="No follow-up")
    today = timezone.localdate()
    in_5 = CustomerFactory(owner=org.rep, owned_since=days_ago(25))
    in_2 = CustomerFactory(owner=org.rep, owned_since=days_ago(28))
    CustomerFactory(owner=org.rep, owned_since=days_ago(20))  # 10 days left: no warning yet
    CustomerFactory(owner=org.rep, owned_since=days_ago(28), is_locked=True)
    CustomerFactory(owner=org.teammate, owned_since=days_ago(28))

    warnings = pool.pool_warnings(user=org.rep, today=today)

    assert [(w.customer, w.reclaim_on, w.days_left) for w in warnings] == [
        (in_2, today + dt.timedelta(days=2), 2),
        (in_5, today + dt.timedelta(days=5), 5),
    ]
    assert warnings[0].rule.name == "No follow-up"


def test_a_customer_under_two_rules_is_warned_once_with_the_earliest_date(org):
    rule(days=30, warn_days=10)
    deal_rule = rule(trigger=Trigger.NO_DEAL, days=27, warn_days=10)
    customer = CustomerFactory(owner=org.rep, owned_since=days_ago(25))
    warnings = pool.pool_warnings(user=org.rep)
    assert len(warnings) == 1
    assert warnings[0].customer == customer
    assert warnings[0].rule == deal_rule
    assert warnings[0].days_left == 2


def test_warnings_run_a_fixed_number_of_queries(org, django_assert_num_queries):
    rule(days=30)
    rule(trigger=Trigger.NO_DEAL, days=40, level="B")
    CustomerFactory.create_batch(5, owner=org.rep, owned_since=days_ago(28))
    with django_assert_num_queries(2):
        assert len(pool.pool_warnings(user=org.rep)) == 5


# --- assign, transfer, hand-over -----------------------------------------------------------------


def test_a_manager_assigns_pool_customers_to_a_team_member(org):
    a, b = in_pool(), in_pool()
    taken = CustomerFactory(owner=org.teammate)
    result = pool.pool_assign(customer_ids=[a.pk, b.pk, taken.pk], to_user=org.rep, by=org.manager)
    assert result.moved == [a.pk, b.pk]
    assert result.skipped == [taken.pk]
    assert refresh(a).owner == org.rep
    assert a.ownership_changes.get().reason == Reason.ASSIGNED
    assert refresh(taken).owner == org.teammate


def test_assign_stays_within_reach_and_the_owned_cap(org):
    customer = in_pool()
    with pytest.raises(pool.PoolError):  # Beijing is not the Shanghai manager's
        pool.pool_assign(customer_ids=[customer.pk], to_user=org.other_team_rep, by=org.manager)
    with pytest.raises(pool.PoolError):  # a rep may not assign
        pool.pool_assign(customer_ids=[customer.pk], to_user=org.rep, by=org.rep)
    limits(max_owned=1)
    with pytest.raises(pool.PoolError) as exc:
        pool.pool_assign(customer_ids=[customer.pk, in_pool().pk], to_user=org.rep, by=org.manager)
    assert exc.value.code == "owned_cap"
    assert refresh(customer).owner is None


def test_a_transfer_moves_only_customers_in_the_managers_reach(org):
    mine = CustomerFactory(owner=org.rep)
    beijing = CustomerFactory(owner=org.other_team_rep)
    pooled = in_pool()
    result = pool.customers_transfer(
        customer_ids=[mine.pk, beijing.pk, pooled.pk], to_user=org.teammate, by=org.manager
    )
    assert result.moved == [mine.pk]
    assert sorted(result.skipped) == sorted([beijing.pk, pooled.pk])
    assert refresh(mine).owner == org.teammate
    assert mine.ownership_changes.get().reason == Reason.TRANSFERRED
    assert refresh(beijing).owner == org.other_team_rep
    assert not beijing.ownership_changes.exists()
    assert refresh(pooled).owner is None


def test_a_handover_moves_the_whole_book(org):
    book = CustomerFactory.create_batch(3, owner=org.rep)
    other = CustomerFactory(owner=org.east_rep)
    assert pool.rep_handover_preview(from_user=org.rep, by=org.manager)[0][1] == 3

    moved = pool.rep_handover(from_user=org.rep, to_user=org.teammate, by=org.manager, note="Left")

    assert moved[0][1] == 3
    assert {refresh(c).owner for c in book} == {org.teammate}
    assert refresh(other).owner == org.east_rep
    with pytest.raises(pool.PoolError):  # Hangzhou is outside the Shanghai manager's teams
        pool.rep_handover(from_user=org.east_rep, to_user=org.teammate, by=org.manager)


def test_a_handover_is_all_or_nothing_across_registered_steps(org, monkeypatch):
    customer = CustomerFactory(owner=org.rep)

    def broken(**kwargs):
        raise RuntimeError("leads app failed")

    steps = [*pool.HANDOVER_STEPS, pool.HandoverStep("Leads", lambda u, by: 0, broken)]
    monkeypatch.setattr(pool.moves, "HANDOVER_STEPS", steps)  # where rep_handover reads it
    with pytest.raises(RuntimeError):
        pool.rep_handover(from_user=org.rep, to_user=org.teammate, by=org.manager)
    assert refresh(customer).owner == org.rep


# --- pages ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("pool-list", []),
        ("customer-claim", [1]),
        ("customer-release", [1]),
        ("pool-assign", []),
        ("customer-transfer", []),
        ("rep-handover", []),
        ("pool-settings", []),
    ],
)
def test_pages_need_a_login(client, name, args):
    url = reverse(f"customers:{name}", args=args)
    response = client.post(url) if name != "pool-list" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["customer-claim", "customer-release"])
def test_post_only_actions_refuse_get(rep_client, org, name):
    customer = in_pool()
    assert rep_client.get(reverse(f"customers:{name}", args=[customer.pk])).status_code == 405


def test_assign_refuses_get(manager_client):
    assert manager_client.get(reverse("customers:pool-assign")).status_code == 405


def test_the_pool_list_shows_pool_customers_only_with_claim_buttons_for_reps(rep_client, org):
    in_pool(name="Pool Ltd", phone="021-5555")
    CustomerFactory(name="Mine Ltd", owner=org.rep)
    response = rep_client.get(POOL)
    assert response.status_code == 200
    assert [c.name for c in response.context["page"]] == ["Pool Ltd"]
    html = response.content.decode()
    assert "Claim" in html
    assert 'data-testid="assign-controls"' not in html


def test_the_pool_list_searches_and_filters(rep_client, org):
    in_pool(name="Alpha Steel", level="A", industry="manufacturing", phone="13911112222")
    in_pool(name="Beta Shop", level="C", industry="retail", source="website")
    names = lambda query: [c.name for c in rep_client.get(POOL, query).context["page"]]  # noqa: E731
    assert names({"q": "alpha"}) == ["Alpha Steel"]
    assert names({"q": "1391111"}) == ["Alpha Steel"]
    assert names({"level": "C"}) == ["Beta Shop"]
    assert names({"industry": "manufacturing"}) == ["Alpha Steel"]
    assert names({"source": "website"}) == ["Beta Shop"]
    assert len(names({"level": "Z"})) == 2  # an unknown value is ignored


def test_managers_get_the_assign_controls_with_people_in_reach(manager_client, org):
    in_pool()
    response = manager_client.get(POOL)
    html = response.content.decode()
    assert 'data-testid="assign-controls"' in html
    people = set(response.context["assign_form"].fields["to_user"].queryset)
    assert org.rep in people
    assert org.other_team_rep not in people


@pytest.mark.parametrize("client_fixture", ["rep_client", "manager_client"])
def test_the_pool_list_runs_a_fixed_number_of_queries(
    request, org, client_fixture, django_assert_max_num_queries
):
    client = request.getfixturevalue(client_fixture)
    for _ in range(3):
        in_pool()
    with django_assert_max_num_queries(20) as few:
        client.get(POOL)
    for _ in range(40):
        in_pool(industry="retail", source="website")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(POOL)
    assert len(response.context["page"]) == 43


def test_claim_through_the_page(rep_client, org):
    customer = in_pool()
    response = rep_client.post(reverse("customers:customer-claim", args=[customer.pk]))
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert refresh(customer).owner == org.rep


def test_claim_with_htmx_returns_the_row_fragment(rep_client, org):
    customer = in_pool()
    url = reverse("customers:customer-claim", args=[customer.pk])
    response = rep_client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Yours now" in response.content.decode()
    manager = Client()
    manager.force_login(org.manager)  # sees the rep's customers, so learns why
    response = manager.post(url, headers={"HX-Request": "true"})
    assert "someone claimed it first" in response.content.decode()
    teammate = Client()
    teammate.force_login(org.teammate)  # no longer sees it at all
    assert teammate.post(url, headers={"HX-Request": "true"}).status_code == 404


def test_claiming_a_customer_one_cannot_see_is_a_404(rep_client, org):
    customer = CustomerFactory(owner=org.other_team_rep)
    response = rep_client.post(reverse("customers:customer-claim", args=[customer.pk]))
    assert response.status_code == 404


def test_a_failed_claim_says_why(rep_client, org):
    limits(daily_claim_limit=1)
    pool.pool_claim(customer_id=in_pool().pk, by=org.rep)
    customer = in_pool()
    response = rep_client.post(reverse("customers:customer-claim", args=[customer.pk]), follow=True)
    assert "today&#x27;s limit" in response.content.decode()
    assert refresh(customer).owner is None


def test_release_through_the_page(rep_client, org):
    customer = CustomerFactory(owner=org.rep)
    url = reverse("customers:customer-release", args=[customer.pk])
    rep_client.post(url, {"note": "x" * 256})
    assert refresh(customer).owner == org.rep
    response = rep_client.post(url, {"note": "No budget"})
    assert response.status_code == 302
    assert refresh(customer).owner is None
    assert customer.ownership_changes.get().note == "No budget"


def test_release_scopes(rep_client, org):
    others = CustomerFactory(owner=org.other_team_rep)
    pooled = in_pool()
    release = lambda c: rep_client.post(  # noqa: E731
        reverse("customers:customer-release", args=[c.pk]), {"note": "x"}
    )
    assert release(others).status_code == 404
    assert release(pooled).status_code == 403  # seen, not the rep's to change


def test_reps_cannot_assign_transfer_or_hand_over(rep_client, org):
    customer = in_pool()
    mine = CustomerFactory(owner=org.rep)
    assert (
        rep_client.post(
            reverse("customers:pool-assign"), {"ids": [customer.pk], "to_user": org.rep.pk}
        ).status_code
        == 403
    )
    assert (
        rep_client.post(
            reverse("customers:customer-transfer"), {"ids": [mine.pk], "to_user": org.teammate.pk}
        ).status_code
        == 403
    )
    assert rep_client.get(reverse("customers:rep-handover")).status_code == 403
    assert refresh(customer).owner is None
    assert refresh(mine).owner == org.rep


def test_assign_through_the_page(manager_client, org):
    a, b = in_pool(), in_pool()
    response = manager_client.post(
        reverse("customers:pool-assign"),
        {"ids": [a.pk, b.pk], "to_user": org.teammate.pk, "next": POOL},
    )
    assert response.status_code == 302
    assert response["Location"] == POOL
    assert {refresh(a).owner, refresh(b).owner} == {org.teammate}


def test_transfer_page_lists_the_selection_in_reach_then_transfers(manager_client, org):
    mine = CustomerFactory(owner=org.rep, name="Mine Ltd")
    beijing = CustomerFactory(owner=org.other_team_rep, name="Beijing Ltd")
    url = reverse("customers:customer-transfer")

    response = manager_client.get(url, {"ids": [mine.pk, beijing.pk]})
    assert response.status_code == 200
    assert [c.name for c in response.context["selected"]] == ["Mine Ltd"]
    assert response.context["ignored"] == 1

    response = manager_client.post(
        url, {"ids": [mine.pk, beijing.pk], "to_user": org.teammate.pk, "note": "Rebalance"}
    )
    assert response.status_code == 302
    assert refresh(mine).owner == org.teammate
    assert refresh(beijing).owner == org.other_team_rep


def test_transfer_to_someone_out_of_reach_is_refused(manager_client, org):
    mine = CustomerFactory(owner=org.rep)
    response = manager_client.post(
        reverse("customers:customer-transfer"),
        {"ids": [mine.pk], "to_user": org.other_team_rep.pk},
    )
    assert response.status_code == 200  # the form again, with the error
    assert response.context["form"].errors
    assert refresh(mine).owner == org.rep


def test_handover_page_previews_then_moves(manager_client, org):
    CustomerFactory.create_batch(2, owner=org.rep)
    url = reverse("customers:rep-handover")
    choice = {"from_user": org.rep.pk, "to_user": org.teammate.pk, "note": "Left"}
    response = manager_client.get(url, choice)
    assert response.status_code == 200
    # customers first; the leads and opportunities apps add their own steps after it
    assert response.context["preview"][0][1] == 2
    assert Customer.objects.filter(owner=org.rep).count() == 2

    response = manager_client.post(url, choice)
    assert response.status_code == 302
    assert Customer.objects.filter(owner=org.teammate).count() == 2


def test_pool_settings_are_for_admins(rep_client, manager_client, admin_client_, org):
    url = reverse("customers:pool-settings")
    assert rep_client.get(url).status_code == 403
    assert manager_client.get(url).status_code == 403
    assert admin_client_.get(url).status_code == 200
    response = admin_client_.post(
        url, {"daily_claim_limit": 5, "max_owned": 100, "reclaim_cooldown_days": 15}
    )
    assert response.status_code == 302
    settings = PoolSettings.current()
    assert (settings.daily_claim_limit, settings.max_owned, settings.reclaim_cooldown_days) == (
        5,
        100,
        15,
    )


def test_an_admin_position_without_superuser_may_configure(org):
    person = UserFactory(username="ops", team=org.company, position="admin")
    client = Client()
    client.force_login(person)
    assert client.get(reverse("customers:pool-settings")).status_code == 200


def test_admins_create_edit_and_deactivate_rules(admin_client_, org):
    data = {"name": "A: 90 days", "level": "A", "trigger": Trigger.NO_ACTIVITY, "days": 90}
    response = admin_client_.post(
        reverse("customers:pool-rule-create"), {**data, "warn_days": 7, "is_active": "on"}
    )
    assert response.status_code == 302
    created = PoolRule.objects.get()
    assert (created.level, created.days, created.is_active) == ("A", 90, True)

    url = reverse("customers:pool-rule-update", args=[created.pk])
    response = admin_client_.post(url, {**data, "days": 0, "warn_days": 7})
    assert response.status_code == 200  # at least one day
    admin_client_.post(url, {**data, "days": 60, "warn_days": 5})  # is_active unticked
    created.refresh_from_db()
    assert (created.days, created.is_active) == (60, False)
    assert "A: 90 days" in admin_client_.get(reverse("customers:pool-settings")).content.decode()


def test_rule_pages_are_for_admins(manager_client):
    assert manager_client.get(reverse("customers:pool-rule-create")).status_code == 403


# --- concurrency (PostgreSQL) --------------------------------------------------------------------


def _at_once(*calls) -> list[str]:
    """Run each call in its own thread and connection, released together; their outcomes."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []

    def run(call) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            outcomes.append("won")
        except pool.PoolError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks and real parallel connections (CI runs it)",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reps_claiming_at_once_exactly_one_wins(org):
    customer = in_pool()
    for _ in range(5):  # several rounds: a race lost only sometimes still shows
        Customer.objects.filter(pk=customer.pk).update(owner=None)
        outcomes = _at_once(
            lambda: pool.pool_claim(customer_id=customer.pk, by=org.rep),
            lambda: pool.pool_claim(customer_id=customer.pk, by=org.teammate),
        )
        assert outcomes == ["taken", "won"]
        assert refresh(customer).owner in (org.rep, org.teammate)
    assert OwnershipChange.objects.filter(customer=customer, reason=Reason.CLAIMED).count() == 5


@needs_postgresql
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_claims_by_one_rep_cannot_overrun_the_daily_cap(org):
    limits(daily_claim_limit=1)
    first, second = in_pool(), in_pool()
    outcomes = _at_once(
        lambda: pool.pool_claim(customer_id=first.pk, by=org.rep),
        lambda: pool.pool_claim(customer_id=second.pk, by=org.rep),
    )
    assert outcomes == ["daily_cap", "won"]
    assert Customer.objects.filter(owner=org.rep).count() == 1
