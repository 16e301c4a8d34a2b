"""`python manage.py compute_scorecards --period 2026-10 [--team PATH] [--queue]`

Computes the scorecards of a period for everyone (or a team subtree, --team "Hengtai/East")
whose position has an active KPI scheme, synchronously by default (--sync, the default, is
accepted for scripts that spell it out), and prints how many were computed and how many were
left as they were, with the reasons. --queue hands the run to a Celery worker instead (queue
reports) and prints the run's id.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from performance.compute import services
from performance.compute.selectors import run_users
from performance.management.commands.kpi_report import team_by_path
from performance.models import EvaluationPeriod, ScorecardRun
from performance.periods import Period


class Command(BaseCommand):
    help = "Compute the scorecards of a period (everyone, or one team subtree)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", required=True, help="2026-10, 2026-Q4 or 2026")
        parser.add_argument(
            "--team", default="", help='Team path by names, e.g. "Hengtai/East/Shanghai".'
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="Compute here (the default).")
        mode.add_argument("--queue", action="store_true", help="Queue a run for a worker.")

    def handle(self, *args, period: str, team: str, queue: bool, **options) -> None:
        try:
            period_ = Period.parse(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        team_ = team_by_path(team) if team else None
        if queue:
            run = services.scorecard_run_create(period=period_, team=team_)
            self.stdout.write(f"queued run {run.pk} for {period_.key}")
            return
        run = ScorecardRun.objects.create(period=EvaluationPeriod.for_period(period_), team=team_)
        users = run_users(team_).count()
        run = services.scorecard_run_execute(run.pk)
        self.stdout.write(
            f"{period_.key}: {users} people, computed {run.done - run.skipped}, "
            f"skipped {run.skipped}"
        )
        if run.message:
            self.stdout.write(f"skipped: {services.describe_skips(run.message)}")
