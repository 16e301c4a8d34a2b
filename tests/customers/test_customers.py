"""The customer record through its pages: list, search, filters, detail, create with duplicate
warning, edit, contacts, quick follow-up logging and the follow-up list, under data scopes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Activity, Contact, Customer, OwnershipChange
from tests.factories import ActivityFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

LIST = reverse("customers:customer-list")


def names(response) -> set[str]:
    return {c.name for c in response.context["page"]}


@pytest.fixture
def book(org):
    """One customer for each owner that matters, and one in the public pool."""
    return {
        "mine": CustomerFactory(name="Mine Ltd", owner=org.rep, phone="13800000001"),
        "teammate": CustomerFactory(name="Teammate Ltd", owner=org.teammate),
        "hangzhou": CustomerFactory(name="Hangzhou Ltd", owner=org.east_rep),
        "beijing": CustomerFactory(name="Beijing Ltd", owner=org.other_team_rep, code="BJ-1"),
        "pool": CustomerFactory(name="Pool Ltd", owner=None),
    }


# --- list ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_rep_sees_own_customers_and_the_pool(rep_client, book):
    assert names(rep_client.get(LIST)) == {"Mine Ltd", "Pool Ltd"}


def test_a_manager_sees_the_team_and_the_pool(manager_client, book):
    assert names(manager_client.get(LIST)) == {"Mine Ltd", "Teammate Ltd", "Pool Ltd"}


def test_a_regional_manager_sees_the_region(org, book):
    client = Client()
    client.force_login(org.regional_manager)
    assert names(client.get(LIST)) == {"Mine Ltd", "Teammate Ltd", "Hangzhou Ltd", "Pool Ltd"}


def test_search_never_reaches_beyond_the_scope(rep_client, book):
    assert names(rep_client.get(LIST, {"q": "Ltd"})) == {"Mine Ltd", "Pool Ltd"}
    assert names(rep_client.get(LIST, {"q": "BJ-1"})) == set()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("mine", {"Mine Ltd"}),  # name substring, any case
        ("BJ-1", {"Beijing Ltd"}),  # exact code
        ("bj-1", {"Beijing Ltd"}),
        ("0000001", {"Mine Ltd"}),  # phone substring
        ("Zhuge", {"Hangzhou Ltd"}),  # a contact's name
    ],
)
def test_search_by_name_code_phone_and_contact(admin_client_, book, term, expected):
    ContactFactory(customer=book["hangzhou"], name="Zhuge Liang")
    assert names(admin_client_.get(LIST, {"q": term})) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("凯鑫", {"上海凯鑫物流有限公司"}),  # two characters inside a Chinese name
        ("鑫物", {"上海凯鑫物流有限公司"}),
        ("ne", {"Mine Ltd"}),  # and in an English one, any case
        ("NE", {"Mine Ltd"}),
        ("王伟", {"Hangzhou Ltd"}),  # a contact's two-character name
        ("物凯", set()),  # both characters, but not next to each other in that order
    ],
)
def test_search_by_two_characters(admin_client_, book, term, expected):
    # Two characters give pg_trgm nothing to look up; on PostgreSQL a bigram index serves them
    # (customers migration 0007): the same results as any substring search.
    CustomerFactory(name="上海凯鑫物流有限公司", owner=book["mine"].owner)
    ContactFactory(customer=book["hangzhou"], name="王伟")
    assert names(admin_client_.get(LIST, {"q": term})) == expected


def test_a_two_character_search_stays_in_the_scope(rep_client, book):
    CustomerFactory(name="北京凯鑫科技有限公司", owner=book["beijing"].owner)
    assert names(rep_client.get(LIST, {"q": "凯鑫"})) == set()
    assert names(rep_client.get(LIST, {"q": "ol"})) == {"Pool Ltd"}


def test_filters(admin_client_, org, book):
    book["mine"].level = "A"
    book["mine"].save()
    assert names(admin_client_.get(LIST, {"level": "A"})) == {"Mine Ltd"}
    assert names(admin_client_.get(LIST, {"in_pool": "true"})) == {"Pool Ltd"}
    response = admin_client_.get(LIST, {"owner": org.teammate.pk})
    assert names(response) == {"Teammate Ltd"}
    assert f'<option value="{org.teammate.pk}" selected>' in response.content.decode()
    assert names(admin_client_.get(LIST, {"team": org.east.pk})) == {
        "Mine Ltd",
        "Teammate Ltd",
        "Hangzhou Ltd",
    }


def test_filter_by_last_contact(admin_client_, org, book):
    now = timezone.now()
    services.activity_log(
        customer=book["mine"], by=org.rep, kind="call", outcome="success", summary="x",
        occurred_at=now - dt.timedelta(days=40),
    )  # fmt: skip
    services.activity_log(
        customer=book["teammate"], by=org.teammate, kind="call", outcome="success", summary="x",
        occurred_at=now - dt.timedelta(days=2),
    )  # fmt: skip
    cutoff = (now - dt.timedelta(days=10)).date().isoformat()
    assert names(admin_client_.get(LIST, {"contacted_after": cutoff})) == {"Teammate Ltd"}
    # Never contacted counts as "not contacted since".
    assert names(admin_client_.get(LIST, {"contacted_before": cutoff})) == {
        "Mine Ltd",
        "Hangzhou Ltd",
        "Beijing Ltd",
        "Pool Ltd",
    }


def test_sort_and_filter_by_completeness(admin_client_, book):
    full = book["mine"]
    services.customer_update(
        customer=full, by=full.owner, industry="it", scale="small", address="1 Road",
        phone="1", website="https://a.cn", business_status="ok", competitors="none",
        source="website",
    )  # fmt: skip
    ContactFactory(customer=full)
    services.completeness_refresh(full)
    rows = list(admin_client_.get(LIST, {"ordering": "-completeness"}).context["page"])
    assert rows[0].name == "Mine Ltd"
    assert rows[0].completeness == 100
    assert "Mine Ltd" not in names(admin_client_.get(LIST, {"completeness_below": 50}))


def test_a_bad_filter_value_is_ignored_with_an_error_not_a_500(rep_client, book):
    response = rep_client.get(LIST, {"contacted_after": "not-a-date", "level": "Z"})
    assert response.status_code == 200


def test_list_query_count_does_not_grow_with_rows(org, django_assert_max_num_queries):
    client = Client()
    client.force_login(org.manager)
    CustomerFactory.create_batch(3, owner=org.rep)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    CustomerFactory.create_batch(40, owner=org.teammate)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert len(response.context["page"]) == 43


def test_the_count_is_capped_on_huge_lists(admin_client_, org):
    from crm.pagination import CappedPaginator

    CustomerFactory.create_batch(6, owner=org.rep)
    paginator = CappedPaginator(Customer.objects.all(), 2, cap=4)
    assert paginator.count == 5
    assert paginator.is_capped
    assert paginator.display_count == "4+"


# --- detail ----------------------------------------------------------------------------------


def test_detail_of_another_teams_customer_is_404(rep_client, book):
    url = book["beijing"].get_absolute_url()
    assert rep_client.get(url).status_code == 404


def test_detail_shows_timeline_and_missing_fields(rep_client, org, book):
    customer = book["mine"]
    ActivityFactory(customer=customer, owner=org.rep, summary="Visited the plant", kind="visit")
    response = rep_client.get(customer.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Visited the plant" in html
    missing = response.context["missing"]
    assert "industry" in missing
    assert "at least one contact" in missing


def test_pool_customer_is_visible_but_not_editable_by_a_rep(rep_client, book):
    pool = book["pool"]
    assert rep_client.get(pool.get_absolute_url()).status_code == 200
    assert rep_client.get(reverse("customers:customer-update", args=[pool.pk])).status_code == 403


# --- create, duplicates, edit ----------------------------------------------------------------


def customer_data(**overrides) -> dict:
    data = {
        "kind": "company",
        "name": "Sunrise Foods",
        "level": "B",
        "status": "potential",
        "phone": "13912345678",
        "language": "zh-hans",
    }
    data.update(overrides)
    return data


def test_create_makes_the_rep_the_owner_and_logs_it(rep_client, org):
    response = rep_client.post(
        reverse("customers:customer-create"), customer_data(owner=org.rep.pk)
    )
    customer = Customer.objects.get(name="Sunrise Foods")
    assert response.status_code == 302
    assert response["Location"] == customer.get_absolute_url()
    assert customer.owner == org.rep
    assert customer.code.startswith("C")
    change = OwnershipChange.objects.get(customer=customer)
    assert (change.reason, change.to_user, change.changed_by) == ("created", org.rep, org.rep)


def test_a_rep_cannot_create_a_customer_for_another_team(rep_client, org):
    response = rep_client.post(
        reverse("customers:customer-create"), customer_data(owner=org.other_team_rep.pk)
    )
    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Customer.objects.filter(name="Sunrise Foods").exists()


def test_create_into_the_pool(rep_client):
    rep_client.post(reverse("customers:customer-create"), customer_data(owner=""))
    customer = Customer.objects.get(name="Sunrise Foods")
    assert customer.owner is None
    assert customer.pool_entered_at is not None


def test_bad_input_shows_field_errors_and_writes_nothing(rep_client):
    response = rep_client.post(
        reverse("customers:customer-create"), customer_data(name="", email="not-an-email")
    )
    assert response.status_code == 200
    assert {"name", "email"} <= set(response.context["form"].errors)
    assert Customer.objects.count() == 0


def test_duplicate_in_another_team_is_announced_without_its_data(rep_client, org, book):
    beijing = book["beijing"]
    beijing.phone = "13912345678"
    beijing.save()
    response = rep_client.post(reverse("customers:customer-create"), customer_data())
    html = response.content.decode()
    assert response.status_code == 200
    assert "may already exist" in html
    assert "Beijing" in html  # the owner's team, so the rep knows whom to ask...
    assert "Beijing Ltd" not in html  # ...but not what the record holds
    assert "BJ-1" not in html
    assert not Customer.objects.filter(name="Sunrise Foods").exists()
    # Confirming creates it anyway.
    rep_client.post(
        reverse("customers:customer-create"),
        customer_data(confirm_duplicate="on", owner=org.rep.pk),
    )
    assert Customer.objects.filter(name="Sunrise Foods").exists()


def test_duplicate_check_endpoint_links_a_visible_duplicate(rep_client, book):
    response = rep_client.get(
        reverse("customers:customer-duplicates"), {"name": "mine ltd", "phone": "", "email": ""}
    )
    assert book["mine"].get_absolute_url() in response.content.decode()
    response = rep_client.get(reverse("customers:customer-duplicates"), {"name": "Fresh name"})
    assert "may already exist" not in response.content.decode()


def test_edit_by_owner_and_manager_not_by_another_rep(org, book, rep_client, manager_client):
    url = reverse("customers:customer-update", args=[book["teammate"].pk])
    assert rep_client.get(url).status_code == 404
    data = customer_data(name="Teammate Renamed", code=book["teammate"].code)
    response = manager_client.post(url, data)
    assert response.status_code == 302
    book["teammate"].refresh_from_db()
    assert book["teammate"].name == "Teammate Renamed"
    assert book["teammate"].owner == org.teammate  # editing never moves the owner
    assert book["teammate"].history.count() == 2


def test_read_only_position_gets_403_on_edit(org, book):
    client = Client()
    client.force_login(org.planner)  # planners see everything and change nothing
    url = reverse("customers:customer-update", args=[book["mine"].pk])
    assert client.get(book["mine"].get_absolute_url()).status_code == 200
    assert client.get(url).status_code == 403
    assert client.post(url, customer_data()).status_code == 403
    assert client.post(reverse("customers:customer-create"), customer_data()).status_code == 403
    assert Customer.objects.count() == 5


# --- follow-ups ------------------------------------------------------------------------------


def test_quick_log_by_htmx_updates_the_timeline_and_dates(rep_client, org, book):
    customer = book["mine"]
    due = timezone.localdate() + dt.timedelta(days=3)
    response = rep_client.post(
        reverse("customers:activity-create", args=[customer.pk]),
        {
            "kind": "visit",
            "outcome": "success",
            "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "summary": "Signed the NDA",
            "next_follow_up_on": due.isoformat(),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Signed the NDA" in response.content.decode()
    assert "<html" not in response.content.decode()  # a fragment, not a page
    customer.refresh_from_db()
    assert customer.next_follow_up_on == due
    assert customer.last_contacted_at is not None
    assert Activity.objects.get(customer=customer).owner == org.rep


def test_a_follow_up_cannot_be_in_the_future_or_due_in_the_past(rep_client, book):
    customer = book["mine"]
    response = rep_client.post(
        reverse("customers:activity-create", args=[customer.pk]),
        {
            "kind": "call",
            "outcome": "success",
            "occurred_at": (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "summary": "x",
            "next_follow_up_on": "2001-01-01",
        },
        headers={"HX-Request": "true"},
    )
    errors = response.context["activity_form"].errors
    assert {"occurred_at", "next_follow_up_on"} <= set(errors)
    assert not Activity.objects.exists()


def test_logging_on_another_reps_customer_is_refused(rep_client, book):
    for key, status in (("beijing", 404), ("pool", 403)):
        url = reverse("customers:activity-create", args=[book[key].pk])
        assert rep_client.post(url, {"kind": "call", "summary": "x"}).status_code == status
    assert (
        rep_client.get(reverse("customers:activity-create", args=[book["mine"].pk])).status_code
        == 405
    )
    assert not Activity.objects.exists()


def test_a_backdated_activity_does_not_move_the_dates_back(org, book):
    customer = book["mine"]
    now = timezone.now()
    services.activity_log(customer=customer, by=org.rep, kind="call", outcome="success",
                          summary="new", occurred_at=now, next_follow_up_on=None)  # fmt: skip
    services.activity_log(customer=customer, by=org.rep, kind="call", outcome="success",
                          summary="old", occurred_at=now - dt.timedelta(days=5),
                          next_follow_up_on=now.date())  # fmt: skip
    customer.refresh_from_db()
    assert customer.last_contacted_at == now
    assert customer.next_follow_up_on is None


def test_follow_up_list_shows_my_due_customers_only(rep_client, org, book):
    today = timezone.localdate()
    for key, days in (("mine", -1), ("teammate", 0)):
        Customer.objects.filter(pk=book[key].pk).update(
            next_follow_up_on=today + dt.timedelta(days=days)
        )
    far = CustomerFactory(owner=org.rep, name="Later Ltd")
    Customer.objects.filter(pk=far.pk).update(next_follow_up_on=today + dt.timedelta(days=30))
    response = rep_client.get(reverse("customers:follow-up-list"))
    assert [c.name for c in response.context["customers"]] == ["Mine Ltd"]
    assert "overdue" in response.content.decode()


# --- contacts and completeness ---------------------------------------------------------------


def test_adding_a_contact_raises_completeness_and_primary_moves(rep_client, book):
    customer = book["mine"]
    url = reverse("customers:contact-create", args=[customer.pk])
    before = Customer.objects.get(pk=customer.pk).completeness
    rep_client.post(url, {"name": "Zhang San", "is_primary": "on"})
    rep_client.post(url, {"name": "Li Si", "is_primary": "on"})
    customer.refresh_from_db()
    assert customer.completeness > before
    assert list(Contact.objects.filter(is_primary=True).values_list("name", flat=True)) == ["Li Si"]


def test_contact_pages_respect_scope(rep_client, book):
    contact = ContactFactory(customer=book["beijing"])
    assert rep_client.get(reverse("customers:contact-update", args=[contact.pk])).status_code == 404
    assert (
        rep_client.post(reverse("customers:contact-delete", args=[contact.pk])).status_code == 404
    )
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize(
    ("kind", "fields", "contact", "expected"),
    [
        # company: 9 key fields including "at least one contact"
        ("company", {}, False, 0),
        ("company", {"industry": "it", "phone": "1", "source": "website"}, True, 44),
        (
            "company",
            {
                "industry": "it",
                "scale": "small",
                "address": "a",
                "phone": "1",
                "website": "https://a.cn",
                "business_status": "b",
                "competitors": "c",
                "source": "website",
            },
            True,
            100,
        ),
        # person: phone, email, address, birthday, source
        ("person", {"phone": "1", "email": "a@b.cn"}, False, 40),
        ("person", {"phone": " "}, False, 0),  # blank is not filled
    ],
)
def test_completeness_follows_the_kpi_key_fields(kind, fields, contact, expected):
    customer = Customer(kind=kind, name="x", **fields)
    assert customer.completeness_for(has_contact=contact) == expected


def test_export_of_the_filtered_list_stays_in_scope(rep_client, book):
    response = rep_client.get(LIST, {"export": "csv", "q": "Ltd"})
    assert response.status_code == 200
    body = response.getvalue().decode("utf-8-sig")
    assert body.splitlines()[0].startswith("code,name,")
    assert "Mine Ltd" in body
    assert "Pool Ltd" in body
    assert "Beijing Ltd" not in body
    assert "Teammate Ltd" not in body
    filtered = rep_client.get(LIST, {"export": "csv", "in_pool": "true"}).getvalue().decode()
    assert "Mine Ltd" not in filtered


def test_change_history_shows_who_changed_what(manager_client, rep_client, org, book):
    customer = book["teammate"]
    customer.history.update(history_user=org.teammate)
    manager_client.post(
        reverse("customers:customer-update", args=[customer.pk]),
        customer_data(name="Teammate Renamed", level="A"),
    )
    response = manager_client.get(reverse("customers:customer-history", args=[customer.pk]))
    first = response.context["changes"][0]
    assert first["record"].history_user == org.manager
    changed = {str(f["label"]): (f["old"], f["new"]) for f in first["fields"]}
    assert changed["name"] == ("Teammate Ltd", "Teammate Renamed")
    assert changed["level"][1].startswith("A")
    assert response.context["changes"][-1]["created"]
    # The history is as private as the customer.
    history_url = reverse("customers:customer-history", args=[customer.pk])
    assert rep_client.get(history_url).status_code == 404


def test_a_too_large_excel_export_is_refused_with_a_message(rep_client, book, monkeypatch):
    from crm.interchange import writing

    monkeypatch.setattr(writing, "XLSX_MAX_ROWS", 1)
    response = rep_client.get(LIST, {"export": "xlsx", "level": "C"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?level=C"
    monkeypatch.setattr(writing, "XLSX_MAX_ROWS", 2)
    assert rep_client.get(LIST, {"export": "xlsx"})["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


def test_the_timeline_pages_through_a_long_history_without_losing_events(
    rep_client, org, book, django_assert_max_num_queries
):
    customer = book["mine"]
    start = timezone.now() - dt.timedelta(days=200)
    # 120 follow-ups, and 5 more sharing one instant that falls on a page boundary.
    for n in range(120):
        ActivityFactory(customer=customer, owner=org.rep, summary=f"call {n}",
                        occurred_at=start + dt.timedelta(hours=n))  # fmt: skip
    tie = start + dt.timedelta(hours=70, minutes=30)
    for n in range(5):
        ActivityFactory(customer=customer, owner=org.rep, summary=f"tie {n}", occurred_at=tie)

    seen: list[str] = []
    response = rep_client.get(customer.get_absolute_url())
    timeline = response.context["timeline"]
    seen += [e["activity"].summary for e in timeline.events if e["kind"] == "activity"]
    pages = 1
    while timeline.next_before is not None:
        with django_assert_max_num_queries(12):
            response = rep_client.get(
                reverse("customers:customer-timeline", args=[customer.pk]),
                {"before": timeline.next_before.isoformat()},
            )
        timeline = response.context["timeline"]
        seen += [e["activity"].summary for e in timeline.events if e["kind"] == "activity"]
        pages += 1
    assert pages == 3
    assert len(seen) == 125
    assert len(set(seen)) == 125  # none twice, none lost
    assert seen[0] == "call 119"


def test_the_timeline_endpoint_is_scoped_and_validates_its_input(rep_client, book):
    url = reverse("customers:customer-timeline", args=[book["beijing"].pk])
    assert rep_client.get(url, {"before": timezone.now().isoformat()}).status_code == 404
    url = reverse("customers:customer-timeline", args=[book["mine"].pk])
    assert rep_client.get(url, {"before": "yesterday"}).status_code == 400


@pytest.mark.parametrize("before", ["2026-02-30T10:00:00+08:00", "0001-01-01T00:00:00+08:00"])
def test_impossible_timeline_times_are_a_400(rep_client, book, before):
    url = reverse("customers:customer-timeline", args=[book["mine"].pk])
    assert rep_client.get(url, {"before": before}).status_code == 400


def test_an_edit_keeps_a_concurrent_release_in_the_row_and_its_history(org, monkeypatch):
    from customers import pool

    customer = CustomerFactory(name="Race Ltd", owner=org.rep)
    stale = Customer.objects.get(pk=customer.pk)  # what the edit page loaded
    pool.pool_release(customer=customer, by=org.manager, note="moving on")
    services.customer_update(customer=stale, by=org.manager, name="Race Renamed")
    customer.refresh_from_db()
    assert (customer.name, customer.owner) == ("Race Renamed", None)
    latest = customer.history.order_by("-history_date", "-history_id").first()
    assert (latest.name, latest.owner_id) == ("Race Renamed", None)
