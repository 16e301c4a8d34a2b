"""Automatic assignment by the rules: methods, conditions, capacity, skipped members, the sweep,
the SLA reclaim and the dry-run (single-process; the concurrency test is test_concurrency.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from crm.models import Position
from leads import assignment, services, tasks
from leads.models import AssignmentLog, AssignmentRule, Lead
from tests.factories import UserFactory
from tests.leads.factories import LeadFactory, MemberFactory, RuleFactory, rule_with

pytestmark = pytest.mark.django_db


def owners(leads) -> Counter:
    return Counter(
        Lead.objects.filter(pk__in=[x.pk for x in leads]).values_list("owner__username", flat=True)
    )


def test_round_robin_spreads_evenly_and_logs_why(org):
    rule = rule_with([org.rep, org.teammate, org.east_rep], sla_hours=4)
    leads = LeadFactory.create_batch(7)
    result = assignment.assign_waiting()
    assert len(result.assigned) == 7
    assert owners(leads) == {"rep": 3, "teammate": 2, "east_rep": 2}
    lead = Lead.objects.get(pk=leads[0].pk)
    assert lead.rule == rule
    assert lead.assigned_at is not None
    assert lead.sla_due_at == lead.assigned_at + dt.timedelta(hours=4)
    log = lead.assignment_logs.get()
    assert log.reason == AssignmentLog.Reason.RULE
    assert log.rule == rule
    assert log.method == AssignmentRule.Method.ROUND_ROBIN
    assert log.loads[str(org.rep.pk)]["open"] == 0  # loads as they were when it was picked
    assert set(log.loads) == {str(u.pk) for u in (org.rep, org.teammate, org.east_rep)}
    # The rotation continues from where it stopped, in the next batch too.
    more = LeadFactory.create_batch(2)
    assignment.assign_waiting()
    assert owners(more) == {"teammate": 1, "east_rep": 1}


def test_first_matching_rule_by_priority_and_any_of_conditions(org):
    rule_with([org.other_team_rep], priority=1, regions=["北京"], sources=["website", "referral"])
    rule_with([org.east_rep], priority=2, industries=["it"])
    rule_with([org.rep], priority=3)  # catch-all
    beijing = LeadFactory(region="北京", source="referral")
    beijing_ads = LeadFactory(region="北京", source="advertising")
    it_lead = LeadFactory(region="上海", industry="it")
    other = LeadFactory(region="上海", industry="retail")
    assignment.assign_waiting()
    got = dict(Lead.objects.values_list("pk", "owner__username"))
    assert got[beijing.pk] == "other_team_rep"
    assert got[beijing_ads.pk] == "rep"  # source not in the first rule's list
    assert got[it_lead.pk] == "east_rep"
    assert got[other.pk] == "rep"


def test_no_matching_rule_leaves_the_lead_in_the_default_queue(org):
    rule_with([org.rep], regions=["北京"])
    lead = LeadFactory(region="上海")
    result = assignment.assign_waiting()
    assert result.queued == [lead.pk]
    lead.refresh_from_db()
    assert lead.owner is None
    assert lead.assign_attempted_at is not None
    assert not AssignmentLog.objects.exists()


def test_skips_paused_members_deactivated_users_and_read_only_positions(org):
    gone = UserFactory(username="gone", team=org.shanghai, is_active=False)
    rule = rule_with([org.rep, org.teammate, gone, org.planner])
    rule.members.filter(user=org.teammate).update(is_active=False)
    leads = LeadFactory.create_batch(3)
    assignment.assign_waiting()
    assert owners(leads) == {"rep": 3}
    log = AssignmentLog.objects.filter(lead=leads[0]).get()
    assert log.loads[str(org.teammate.pk)]["skipped"] == "paused"
    assert log.loads[str(gone.pk)]["skipped"] == "deactivated"
    assert log.loads[str(org.planner.pk)]["skipped"] == "cannot_own"
    assert Position.objects.get(kind="sales_planner").edit_scope == "none"


def test_capacity_counts_open_leads_and_a_full_rule_overflows(org):
    rule_with([org.rep, org.teammate], capacity=[2, 1], priority=1)
    rule_with([org.east_rep], capacity=1, priority=2)
    LeadFactory(owner=org.rep, status=Lead.Status.CONTACTED)  # already holds one open lead
    LeadFactory(owner=org.rep, status=Lead.Status.CONVERTED)  # closed: does not count
    leads = LeadFactory.create_batch(4)
    result = assignment.assign_waiting()
    assert owners(leads) == {"rep": 1, "teammate": 1, "east_rep": 1, None: 1}
    assert len(result.queued) == 1
    # A lead closes: the waiting one is assigned by the next sweep.
    Lead.objects.filter(owner=org.teammate).update(status=Lead.Status.DISQUALIFIED)
    tasks.assign_sweep_task()
    assert owners(leads) == {"rep": 1, "teammate": 2, "east_rep": 1}


def test_weighted_round_robin_follows_the_weights(org):
    rule_with([org.rep, org.teammate], method=AssignmentRule.Method.WEIGHTED, weight=[3, 1])
    leads = LeadFactory.create_batch(8)
    assignment.assign_waiting()
    assert owners(leads) == {"rep": 6, "teammate": 2}
    sequence = list(
        Lead.objects.filter(pk__in=[x.pk for x in leads])
        .order_by("created_at", "pk")
        .values_list("owner__username", flat=True)
    )
    assert sequence[:4].count("teammate") == 1  # interleaved, not 6 then 2


def test_least_loaded_gives_to_the_rep_with_fewest_open_leads(org):
    rule_with([org.rep, org.teammate], method=AssignmentRule.Method.LEAST_LOADED)
    LeadFactory.create_batch(3, owner=org.rep)
    leads = LeadFactory.create_batch(5)
    assignment.assign_waiting()
    assert owners(leads) == {"teammate": 4, "rep": 1}


def test_the_owner_is_notified(org):
    from notifications.models import Notification

    rule_with([org.rep])
    lead = LeadFactory(name="王先生")
    assignment.assign_waiting()
    note = Notification.objects.get(user=org.rep)
    assert "王先生" in note.title
    assert note.url == f"/leads/{lead.pk}/"
    assert note.email == Notification.Email.PENDING  # emailed through the notifications queue


def test_assign_lead_task_is_idempotent(org):
    rule_with([org.rep, org.teammate])
    lead = LeadFactory()
    assert tasks.assign_lead(lead.pk)["assigned"] == 1
    assert tasks.assign_lead(lead.pk)["assigned"] == 0
    assert AssignmentLog.objects.filter(lead=lead).count() == 1


def test_sweep_assigns_leads_left_by_a_worker_outage(org, queued):
    rule_with([org.rep])
    leads = [services.lead_create(by=None, name=f"L{i}", phone=f"1{i}") for i in range(3)]
    # No worker ran: the leads wait.
    assert Lead.objects.filter(owner__isnull=True).count() == 3
    assert tasks.assign_sweep_task()["assigned"] == 3
    assert owners(leads) == {"rep": 3}


def test_sla_reassigns_an_uncontacted_lead_to_the_next_member(org):
    from notifications.models import Notification

    rule_with([org.rep, org.teammate, org.east_rep], sla_hours=2)
    late, contacted = LeadFactory.create_batch(2)
    assignment.assign_waiting()
    late.refresh_from_db()
    contacted.refresh_from_db()
    first_owner = late.owner
    services.lead_activity_log(
        lead=contacted, by=contacted.owner, kind="call", outcome="success", summary="Called."
    )
    # Not due yet: nothing moves.
    assert tasks.sla_check_task()["assigned"] == 0
    Lead.objects.filter(pk__in=[late.pk, contacted.pk]).update(
        sla_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    result = tasks.sla_check_task()
    assert result["assigned"] == 1
    late.refresh_from_db()
    assert late.owner not in (first_owner, None)
    assert late.sla_due_at > timezone.now() + dt.timedelta(hours=1)
    log = late.assignment_logs.order_by("-pk").first()
    assert log.reason == AssignmentLog.Reason.SLA
    assert log.from_user == first_owner
    assert log.to_user == late.owner
    assert log.sla_hours == 2
    assert Notification.objects.filter(user=first_owner, kind="lead_reclaimed").exists()
    contacted.refresh_from_db()
    assert contacted.assignment_logs.count() == 1  # the contacted lead stayed


def test_sla_with_nobody_else_keeps_the_owner_and_checks_later(org):
    rule_with([org.rep], sla_hours=1)
    lead = LeadFactory()
    assignment.assign_waiting()
    Lead.objects.filter(pk=lead.pk).update(sla_due_at=timezone.now() - dt.timedelta(minutes=5))
    assert tasks.sla_check_task() == {"assigned": 0, "queued": 1, "skipped": 0}
    lead.refresh_from_db()
    assert lead.owner == org.rep
    assert lead.sla_due_at > timezone.now()


def test_first_contact_is_the_owners_first_activity(org):
    rule_with([org.rep], sla_hours=8)
    lead = LeadFactory()
    assignment.assign_waiting()
    lead.refresh_from_db()
    # Somebody else's note is not the first contact.
    services.lead_activity_log(lead=lead, by=org.manager, kind="call", outcome="other", summary="x")
    lead.refresh_from_db()
    assert lead.first_contacted_at is None
    assert lead.status == Lead.Status.NEW
    services.lead_activity_log(lead=lead, by=org.rep, kind="call", outcome="success", summary="y")
    lead.refresh_from_db()
    assert lead.first_contacted_at is not None
    assert lead.sla_due_at is None
    assert lead.status == Lead.Status.CONTACTED
    assert lead.activities.count() == 2


def test_dry_run_shows_the_rotation_without_writing(org):
    rule = rule_with([org.rep, org.teammate])
    rows = assignment.dry_run(4)
    assert [r["user"].username for r in rows] == ["rep", "teammate", "rep", "teammate"]
    rule.refresh_from_db()
    assert rule.last_member_id is None
    assert not AssignmentLog.objects.exists()


def test_inactive_rule_is_ignored(org):
    RuleFactory(is_active=False)
    rule = rule_with([org.rep])
    AssignmentRule.objects.filter(pk=rule.pk).update(is_active=False)
    MemberFactory(rule=RuleFactory(is_active=False), user=org.teammate)
    lead = LeadFactory()
    assignment.assign_waiting()
    lead.refresh_from_db()
    assert lead.owner is None


def test_demo_seed_is_idempotent(org):
    import io

    from leads import demo

    reps = [org.rep, org.teammate, org.east_rep, org.other_team_rep]
    out = io.StringIO()
    assert demo.seed(reps=reps, admin=org.admin, stdout=out) == 40
    assert Lead.objects.filter(owner__isnull=False).exists()
    assert Lead.objects.filter(owner__isnull=True, region="新疆").exists()  # default queue
    assert Lead.objects.filter(status=Lead.Status.CONVERTED).exists()
    assert demo.seed(reps=reps, admin=org.admin, stdout=out) == 0
    assert Lead.objects.count() == 40


def test_a_burst_of_new_leads_is_coalesced_into_one_task(
    org, queued, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    settings.LEADS_ASSIGN_COALESCE = True  # as with a cache shared by every process (Redis)
    cache.clear()
    monkeypatch.setattr(tasks, "ALONG", 2)  # small batches: the task must loop
    rule_with([org.rep, org.teammate])
    with django_capture_on_commit_callbacks(execute=True):
        first = services.lead_create(by=None, name="First", phone="1")
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(6):
            services.lead_create(by=None, name=f"Burst {i}", phone=f"2{i}")
    assert queued == [first.pk]  # one task pending stands for the whole burst
    result = tasks.assign_lead(first.pk)
    assert result["assigned"] == 7
    assert not Lead.objects.filter(owner__isnull=True).exists()
    assert owners(Lead.objects.all()) == {"rep": 4, "teammate": 3}
    # The task released the flag when it started: the next lead queues a task of its own.
    with django_capture_on_commit_callbacks(execute=True):
        later = services.lead_create(by=None, name="Later", phone="3")
    assert queued == [first.pk, later.pk]


def test_without_a_shared_cache_every_lead_queues_its_task(
    org, queued, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from leads import burst

    monkeypatch.delenv("LEADS_ASSIGN_COALESCE", raising=False)
    settings.LEADS_ASSIGN_COALESCE = None  # decided by the cache backend
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert not burst.coalescing()  # a per-process cache cannot hold the shared flag
    with django_capture_on_commit_callbacks(execute=True):
        leads = [services.lead_create(by=None, name=f"L{i}", phone=f"4{i}") for i in range(3)]
    assert queued == [lead.pk for lead in leads]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert burst.coalescing()
