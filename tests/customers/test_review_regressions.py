"""Regressions found in review: ownership never changes without its log, nobody escapes the
pool rules, read-only people never receive customers, and odd input never gives a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers import pool, services
from customers.models import Customer, OwnershipChange, PoolRule
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_duplicate_endpoint_bad_exclude_is_not_a_500(rep_client):
    rep_client.raise_request_exception = False
    r = rep_client.get(reverse("customers:customer-duplicates"), {"name": "X", "exclude": "abc"})
    assert r.status_code != 500


def test_an_edit_does_not_revert_a_concurrent_release(org, rep_client, monkeypatch):
    c = CustomerFactory(name="Race Ltd", owner=org.rep)
    real_full_clean = Customer.full_clean
    fired = []

    def full_clean_then_someone_releases(self, *a, **kw):
        real_full_clean(self, *a, **kw)
        if not fired:  # the manager releases it (or the reclaim task runs) meanwhile
            fired.append(1)
            pool.pool_release(customer=Customer.objects.get(pk=c.pk), by=org.manager, note="x")

    monkeypatch.setattr(Customer, "full_clean", full_clean_then_someone_releases)
    r = rep_client.post(
        reverse("customers:customer-update", args=[c.pk]),
        {
            "kind": "company",
            "name": "Race Ltd",
            "level": "C",
            "status": "potential",
            "language": "zh-hans",
        },
    )
    assert r.status_code == 302, r.content[:500]
    c.refresh_from_db()
    last = OwnershipChange.objects.filter(customer=c).order_by("-changed_at", "-id").first()
    assert last.reason == "released"
    # the log says "in the pool", the row must agree
    assert c.owner_id is None, "edit silently gave the released customer back to the rep"


def test_a_rep_cannot_lock_a_customer_out_of_the_pool_rules(org, rep_client):
    old = timezone.now() - dt.timedelta(days=100)
    c = CustomerFactory(name="Hoard Ltd", owner=org.rep, owned_since=old, created_at=old)
    PoolRule.objects.create(name="30d", trigger="no_activity", days=30)
    r = rep_client.post(
        reverse("customers:customer-update", args=[c.pk]),
        {
            "kind": "company",
            "name": "Hoard Ltd",
            "level": "C",
            "status": "potential",
            "language": "zh-hans",
            "is_locked": "on",
        },
    )
    assert r.status_code == 302
    pool.pool_reclaim_run()
    c.refresh_from_db()
    assert c.owner_id is None, "a rep exempted their own idle customer from the pool rules"


def test_transfer_to_a_position_that_may_not_own_customers_is_refused(org):
    c = CustomerFactory(name="T Ltd", owner=org.rep)
    with pytest.raises(pool.PoolError):
        pool.customers_transfer(customer_ids=[c.pk], to_user=org.hr, by=org.admin)
    c.refresh_from_db()
    assert c.owner == org.rep


def test_create_form_offers_only_people_who_may_own_customers(org):
    from customers.forms import CustomerForm

    qs = CustomerForm(user=org.vp).fields["owner"].queryset
    assert org.hr not in qs
    assert org.planner not in qs


def test_pool_count_says_when_it_is_capped(org, rep_client, monkeypatch):
    from crm.pagination import CappedPaginator

    orig = CappedPaginator.__init__

    def small_cap(self, ol, pp, *, cap=10_000, **kw):
        orig(self, ol, pp, cap=3, **kw)

    monkeypatch.setattr(CappedPaginator, "__init__", small_cap)
    for i in range(6):
        CustomerFactory(name=f"P{i}", owner=None)
    r = rep_client.get(reverse("customers:pool-list"))
    text = r.content.decode()
    assert "Customers in the pool: 3+" in text


def test_emptying_the_owner_by_import_starts_the_cooldown(org):
    from crm.interchange import run_import
    from crm.interchange.reading import Table
    from customers.models import PoolSettings

    s = PoolSettings.current()
    s.reclaim_cooldown_days = 30
    s.save()
    c = CustomerFactory(name="Idle Ltd", owner=org.rep, code="IDLE1")
    table = Table(
        fmt="csv", header=["code", "name", "owner"], rows=[(2, ["IDLE1", "Idle Ltd", ""])]
    )
    res = run_import("customers", table, user=org.rep, dry_run=False)
    assert res.written
    assert not res.errors
    c.refresh_from_db()
    assert c.owner_id is None
    with pytest.raises(pool.PoolError):
        pool.pool_claim(customer_id=c.pk, by=org.rep)  # the cooldown should bind, as for a release


def test_history_page_shows_owners_by_name(org, rep_client):
    c = services.customer_create(by=org.rep, owner=org.rep, name="Hist Ltd")
    pool.pool_release(customer=c, by=org.rep, note="x")
    r = Client()
    r.force_login(org.admin)
    resp = r.get(reverse("customers:customer-history", args=[c.pk]))
    fields = [
        f for ch in resp.context["changes"] for f in ch["fields"] if str(f["label"]) == "owner"
    ]
    assert fields[0]["old"] == str(org.rep)
    assert fields[0]["new"] == "public pool"


def test_an_import_writes_only_each_rows_own_changes(org, monkeypatch):
    from crm.interchange import run_import
    from crm.interchange.reading import Table
    from customers.importers import CustomerImporter

    CustomerFactory(name="A Ltd", owner=org.rep, code="AAA1")
    b = CustomerFactory(name="B Ltd", owner=org.rep, code="BBB1")
    real_write = CustomerImporter.write

    def write_after_a_concurrent_release(self):
        # what happens meanwhile in another request / the reclaim task
        pool.pool_release(customer=Customer.objects.get(pk=b.pk), by=org.manager, note="gone")
        real_write(self)

    monkeypatch.setattr(CustomerImporter, "write", write_after_a_concurrent_release)
    table = Table(
        fmt="csv",
        header=["code", "name", "owner"],
        rows=[
            (2, ["AAA1", "A Ltd", "teammate"]),  # A changes owner
            (3, ["BBB1", "B Ltd renamed", "rep"]),  # B: only the name changes
        ],
    )
    res = run_import("customers", table, user=org.manager, dry_run=False)
    assert res.written
    b.refresh_from_db()
    last = OwnershipChange.objects.filter(customer=b).order_by("-changed_at", "-id").first()
    assert last.reason == "released"
    assert b.owner_id is None, "the import wrote B's stale owner back (no OwnershipChange)"


def test_an_imported_follow_up_cannot_be_in_the_future(org):
    from crm.interchange import run_import
    from crm.interchange.reading import Table

    old = timezone.now() - dt.timedelta(days=100)
    CustomerFactory(name="F Ltd", owner=org.rep, code="FUT1", owned_since=old, created_at=old)
    PoolRule.objects.create(name="30d", trigger="no_activity", days=30)
    table = Table(
        fmt="csv",
        header=["customer", "owner", "type", "occurred_at", "summary"],
        rows=[(2, ["FUT1", "rep", "call", "2099-01-01 10:00", "x"])],
    )
    res = run_import("activities", table, user=org.rep, dry_run=True)
    assert res.errors, "a follow-up dated 2099 is accepted (the web form refuses the future)"


def test_history_cannot_be_reverted_from_the_admin(admin_client_, org):
    c = CustomerFactory(name="Revert Ltd", owner=org.rep)
    record = c.history.first()
    url = reverse("admin:customers_customer_simple_history", args=[c.pk, record.history_id])
    assert admin_client_.post(url, {"name": "Revert Ltd"}).status_code in (403, 404)


def test_only_a_superuser_may_change_a_superuser_by_import(org):
    from crm.interchange import run_import
    from crm.interchange.reading import Table
    from crm.models import Position
    from tests.factories import UserFactory

    boss = UserFactory(username="boss", is_superuser=True, position=Position.Kind.ADMIN)
    helper = UserFactory(username="helper", position=Position.Kind.ADMIN)  # admin, not superuser
    table = Table(fmt="csv", header=["username", "email"], rows=[(2, ["boss", "x@evil.test"])])
    res = run_import("users", table, user=helper, dry_run=False)
    assert res.errors
    boss.refresh_from_db()
    assert boss.email == "boss@example.com"
