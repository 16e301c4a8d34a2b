"""Runs: the pages (who may start one, for which teams), the task moving the progress, the
nightly task and the command."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from performance.compute import services, tasks
from performance.models import EvaluationPeriod, Scorecard, ScorecardRun
from performance.periods import Period
from tests.factories import client_for
from tests.performance.compute.factories import fig, scheme_with

P = Period.parse("2026-10")


@pytest.fixture
def schemes(org, fake_metrics):
    fake_metrics["t_rate"].data = {
        u.pk: fig(30, 40) for u in (org.rep, org.teammate, org.east_rep, org.other_team_rep)
    }
    scheme_with([("t_rate", "100", "0.8")])
    scheme_with([("t_rate", "100", "0.8")], position="regional_manager", uses_team_figures=True)


def test_the_task_computes_a_team_and_moves_the_progress(org, schemes, monkeypatch):
    run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(P), team=org.east)
    seen = []
    real = services._compute_chunk

    def spy(users, *args):
        seen.append(ScorecardRun.objects.get(pk=run.pk).done)
        return real(users, *args)

    monkeypatch.setattr(services, "_compute_chunk", spy)
    monkeypatch.setattr(services, "CHUNK_SIZE", 2)
    monkeypatch.setattr(
        services.scorecards_compute, "__kwdefaults__", {"by": None, "chunk_size": 2}
    )

    tasks.scorecard_run_task(run.pk)

    run.refresh_from_db()
    # East: rep, teammate, east_rep, manager, regional_manager (not Beijing's rep).
    assert (run.status, run.total, run.done, run.skipped) == ("done", 5, 5, 0)
    assert seen == [0, 2, 4]  # the progress moved after each chunk
    assert run.finished_at is not None
    assert set(Scorecard.objects.values_list("user__username", flat=True)) == {
        "rep",
        "teammate",
        "east_rep",
        "manager",
        "regional_manager",
    }
    tasks.scorecard_run_task(run.pk)  # idempotent: a finished run is left alone
    assert Scorecard.objects.count() == 5


def test_a_failing_run_says_so(org, schemes, monkeypatch):
    run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(P))

    def boom(*args, **kwargs):
        raise RuntimeError("metric exploded")

    monkeypatch.setattr(services, "scorecards_compute", boom)
    with pytest.raises(RuntimeError):
        tasks.scorecard_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == "failed"
    assert "metric exploded" in run.message


def test_nightly_computes_the_current_month_for_everyone_with_a_scheme(org, schemes):
    tasks.scorecards_nightly_task()
    this_month = Period.containing()
    run = ScorecardRun.objects.get(period__key=this_month.key)
    assert run.team is None
    assert run.status == "done"
    # Everyone in a position with a scheme (6 reps and managers), nobody else.
    assert Scorecard.objects.filter(period__key=this_month.key).count() == run.total == 6
    assert not Scorecard.objects.filter(user__in=[org.vp, org.hr, org.admin]).exists()


def test_nightly_also_refreshes_the_month_just_ended_until_it_is_published(org, schemes):
    """The last night of a month runs before that day's orders: the next nights still refresh
    the month just ended (scorecards with the manager), until HR publishes it."""
    last_month = Period.containing().previous()
    tasks.scorecards_nightly_task()
    run = ScorecardRun.objects.get(period__key=last_month.key)
    assert (run.status, run.total) == ("done", 6)
    assert Scorecard.objects.filter(period__key=last_month.key).count() == 6

    EvaluationPeriod.objects.filter(key=last_month.key).update(status="published")
    ScorecardRun.objects.all().delete()
    tasks.scorecards_nightly_task()
    assert list(ScorecardRun.objects.values_list("period__key", flat=True)) == [
        Period.containing().key
    ]


def test_compute_one_person_task(org, schemes):
    pk = tasks.scorecard_compute_task(org.rep.pk, "2026-10")
    assert Scorecard.objects.get(pk=pk).user == org.rep
    assert tasks.scorecard_compute_task(org.hr.pk, "2026-10") is None


def test_command_prints_counts(org, schemes, capsys):
    Scorecard.objects.all().delete()
    call_command("compute_scorecards", "--period", "2026-10", "--team", "Shanghai")
    out = capsys.readouterr().out
    assert "2026-10: 3 people, computed 3, skipped 0" in out
    Scorecard.objects.filter(user=org.rep).update(status="hr")
    call_command("compute_scorecards", "--period", "2026-10", "--sync")
    out = capsys.readouterr().out
    assert "computed 5, skipped 1" in out
    assert "already under review" in out


# --- pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["manager", "regional_manager", "planner", "vp", "hr", "admin"])
def test_who_may_open_the_page(org, schemes, persona):
    assert client_for(getattr(org, persona)).get(reverse("performance:run-list")).status_code == 200


@pytest.mark.parametrize("persona", ["rep", "service"])
def test_reps_cannot_start_runs(org, schemes, persona):
    client = client_for(getattr(org, persona))
    assert client.get(reverse("performance:run-list")).status_code == 403
    response = client.post(reverse("performance:run-create"), {"period": "2026-10"})
    assert response.status_code == 403
    assert not ScorecardRun.objects.exists()


def test_anonymous_is_sent_to_sign_in(org):
    response = Client().get(reverse("performance:run-list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_manager_runs_their_team(
    org, schemes, tasks_run_inline, django_capture_on_commit_callbacks
):
    client = client_for(org.manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("performance:run-create"), {"period": "2026-10", "team": org.shanghai.pk}
        )
    run = ScorecardRun.objects.get()
    assert response["Location"] == reverse("performance:run-detail", args=[run.pk])
    # The task ran on commit (eagerly here).
    run.refresh_from_db()
    assert (run.status, run.done, run.requested_by) == ("done", 3, org.manager)
    page = client.get(reverse("performance:run-detail", args=[run.pk]))
    assert page.status_code == 200
    assert "3 people handled" in page.content.decode()
    # The result links to the scorecards of the period and team, which the manager may open.
    link = re.search(r'id="run-scorecards" href="([^"]+)"', page.content.decode()).group(1)
    listing = client.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    assert {card.user for card in listing.context["page"]} == {org.rep, org.teammate}


def test_manager_cannot_run_another_team_nor_the_company(org, schemes):
    client = client_for(org.manager)
    response = client.post(
        reverse("performance:run-create"), {"period": "2026-10", "team": org.beijing.pk}
    )
    assert response.status_code == 404
    response = client.post(reverse("performance:run-create"), {"period": "2026-10", "team": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not ScorecardRun.objects.exists()


def test_runs_of_other_teams_are_not_found(org, schemes):
    period = EvaluationPeriod.for_period(P)
    company = ScorecardRun.objects.create(period=period)
    beijing = ScorecardRun.objects.create(period=period, team=org.beijing)
    shanghai = ScorecardRun.objects.create(period=period, team=org.shanghai)
    client = client_for(org.manager)
    for run in (company, beijing):
        for name in ("run-detail", "run-progress"):
            assert client.get(reverse(f"performance:{name}", args=[run.pk])).status_code == 404
    assert client.get(reverse("performance:run-detail", args=[shanghai.pk])).status_code == 200
    listing = client.get(reverse("performance:run-list")).content.decode()
    assert reverse("performance:run-detail", args=[shanghai.pk]) in listing
    assert reverse("performance:run-detail", args=[beijing.pk]) not in listing
    vp = client_for(org.vp)
    assert vp.get(reverse("performance:run-detail", args=[beijing.pk])).status_code == 200


def test_progress_fragment_polls_until_done(org, schemes):
    run = ScorecardRun.objects.create(
        period=EvaluationPeriod.for_period(P), status="running", total=10, done=4
    )
    client = client_for(org.vp)
    page = client.get(reverse("performance:run-detail", args=[run.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert 'http-equiv="refresh"' in page
    fragment = client.get(reverse("performance:run-progress", args=[run.pk]))
    assert 'data-width="40"' in fragment.content.decode()
    assert "HX-Refresh" not in fragment
    ScorecardRun.objects.filter(pk=run.pk).update(status="done", done=10)
    assert client.get(reverse("performance:run-progress", args=[run.pk]))["HX-Refresh"] == "true"
    page = client.get(reverse("performance:run-detail", args=[run.pk])).content.decode()
    assert "every 1s" not in page


def test_a_published_period_cannot_be_run(org, schemes):
    EvaluationPeriod.objects.create(
        key="2026-10", kind="month", start=P.start, end=P.end, status="published"
    )
    response = client_for(org.vp).post(reverse("performance:run-create"), {"period": "2026-10"})
    assert response.status_code == 200
    assert "published" in response.content.decode()
    assert not ScorecardRun.objects.exists()


def test_wrong_method(org, schemes):
    assert client_for(org.vp).get(reverse("performance:run-create")).status_code == 405


def test_run_list_query_count_is_fixed(org, schemes, django_assert_max_num_queries):
    period = EvaluationPeriod.for_period(P)
    for team in (org.shanghai, org.hangzhou, org.beijing, None) * 8:
        ScorecardRun.objects.create(period=period, team=team, requested_by=org.vp)
    client = client_for(org.vp)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("performance:run-list"))
    assert response.status_code == 200
    assert response.content.decode().count("2026-10") >= 30


def test_a_run_whose_last_retry_fails_on_the_database_says_so(org, schemes, monkeypatch):
    from django.db import OperationalError

    run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(P))

    def down(*args, **kwargs):
        raise OperationalError("database went away")

    monkeypatch.setattr(services, "scorecards_compute", down)
    # Run in this process, the retries follow one another at once; once they are used up the
    # run is marked failed rather than left running forever.
    tasks.scorecard_run_task.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == "failed"
    assert "database went away" in run.message


def test_skip_reasons_show_in_the_readers_language(org, schemes):
    from django.utils import translation

    Scorecard.objects.all().delete()
    services.scorecards_compute([org.rep], P)
    Scorecard.objects.filter(user=org.rep).update(status="hr")
    run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(P), team=org.shanghai)
    with translation.override("zh-hans"):  # a worker in another language
        services.scorecard_run_execute(run.pk)
    run.refresh_from_db()
    assert run.message == "1 under_review"  # stored language-neutral
    page = client_for(org.vp).get(
        reverse("performance:run-detail", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "1 already under review (past the manager" in page.content.decode()
    assert services.describe_skips("OperationalError: gone") == "OperationalError: gone"
