"""The follow-up list: the rep's due follow-ups a page at a time, a tab for each section
(overdue, today, the next 7 days) with its count, the soonest customers going back to the pool on
top, and the same queries however many are due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, PoolRule
from customers.views import PAGE_SIZE, POOL_WARNINGS_SHOWN
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("customers:follow-up-list")


def due(owner, count: int, *, in_days: int) -> list[Customer]:
    """`count` customers of `owner` with a follow-up due `in_days` from today (< 0: overdue)."""
    customers = CustomerFactory.create_batch(count, owner=owner)
    Customer.objects.filter(pk__in=[c.pk for c in customers]).update(
        next_follow_up_on=timezone.localdate() + dt.timedelta(days=in_days)
    )
    return customers


def going_back_to_the_pool(owner, count: int) -> None:
    """`count` customers of `owner` that the 30-day rule returns to the pool in two days."""
    CustomerFactory.create_batch(
        count, owner=owner, owned_since=timezone.now() - dt.timedelta(days=28)
    )


def test_a_long_list_is_paged_with_the_queries_of_a_short_one(
    org, rep_client, django_assert_max_num_queries
):
    PoolRule.objects.create(name="No activity", trigger=PoolRule.Trigger.NO_ACTIVITY, days=30)
    going_back_to_the_pool(org.rep, 2)
    due(org.rep, 1, in_days=-1)
    rep_client.get(PAGE)  # the session and the user's caches, as on any later page
    with CaptureQueriesContext(connection) as short:
        assert len(rep_client.get(PAGE).context["customers"]) == 1

    going_back_to_the_pool(org.rep, POOL_WARNINGS_SHOWN + 3)
    overdue = due(org.rep, 19, in_days=-3)
    due(org.rep, 5, in_days=0)
    soon = due(org.rep, PAGE_SIZE, in_days=3)
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = rep_client.get(PAGE)

    rows = list(response.context["customers"])
    assert len(rows) == PAGE_SIZE
    assert rows[:19] == overdue  # the oldest first, then yesterday's, today's, the next days'
    assert rows[20].next_follow_up_on == timezone.localdate()
    assert response.context["counts"] == {
        "all": 1 + 19 + 5 + PAGE_SIZE,
        "overdue": 20,
        "today": 5,
        "soon": PAGE_SIZE,
    }
    content = response.content.decode()
    assert "?page=2" in content
    assert len(response.context["warnings"]) == POOL_WARNINGS_SHOWN
    assert f"The {POOL_WARNINGS_SHOWN} soonest of {POOL_WARNINGS_SHOWN + 5}." in content

    second = rep_client.get(PAGE, {"page": 2})
    assert list(second.context["customers"]) == soon[-25:]


def test_a_tab_shows_one_section_and_keeps_it_across_pages(org, rep_client):
    overdue = due(org.rep, PAGE_SIZE + 1, in_days=-2)
    due(org.rep, 2, in_days=0)
    due(org.teammate, 1, in_days=-2)
    response = rep_client.get(PAGE, {"due": "overdue"})
    assert list(response.context["customers"]) == overdue[:PAGE_SIZE]
    assert "?due=overdue&amp;page=2" in response.content.decode()
    second = rep_client.get(PAGE, {"due": "overdue", "page": 2})
    assert list(second.context["customers"]) == overdue[PAGE_SIZE:]
    today = rep_client.get(PAGE, {"due": "today"})
    assert len(today.context["customers"]) == 2
    # An unknown section shows them all.
    assert rep_client.get(PAGE, {"due": "later"}).context["section"] == ""
