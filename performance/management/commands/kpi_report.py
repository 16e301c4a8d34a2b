"""`python manage.py kpi_report --period 2026-10 [--team PATH] [--format csv|json]`

One row per person: username, every KPI key of ../shared/KPIS.md with its raw value (rates to
4 places, blank / null when undefined), then the total and grade of the person's scorecard for
the period when there is one. People: the active users of the team subtree given by --team
(names from the company down, separated by "/": "Hengtai/East/Shanghai"; a single name is
enough when only one team has it), by default everyone who may own records. Sorted by
username. Figures are computed in one pass for everybody (performance.figures.figures_for).
"""

from __future__ import annotations

import csv
import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from crm.models import Team, User
from crm.selectors import may_own_records
from performance.figures import figures_for
from performance.metrics import CONTRACT_KEYS, get_metric
from performance.models import Scorecard
from performance.periods import Period


def team_by_path(path: str) -> Team:
    """The team named by `path`: "Hengtai/East/Shanghai" (names from the root down, case
    sensitive as stored) or a single name that only one team has. CommandError otherwise."""
    names = [part.strip() for part in path.strip().strip("/").split("/") if part.strip()]
    if not names:
        raise CommandError("--team is empty: give a path such as Hengtai/East/Shanghai.")
    if len(names) == 1:
        teams = list(Team.objects.filter(name=names[0])[:2])
        if len(teams) == 1:
            return teams[0]
        if len(teams) > 1:
            raise CommandError(
                f"More than one team is called {names[0]!r}: give the whole path, "
                "e.g. Company/Region/Team."
            )
        raise CommandError(f"No team {path!r}.")
    team = None
    for name in names:
        team = Team.objects.filter(parent=team, name=name).first()
        if team is None:
            raise CommandError(f"No team {path!r} (no {name!r} at that level).")
    return team


def _raw(value) -> str:
    return "" if value is None else str(value)


class Command(BaseCommand):
    help = (
        "Print every KPI of ../shared/KPIS.md for each person of a period, with the total and "
        "grade of their scorecard."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--period", required=True, help="2026-10, 2026-Q4 or 2026")
        parser.add_argument(
            "--team",
            default="",
            help='Team path by names, e.g. "Hengtai/East/Shanghai" (or a unique team name); '
            "default: everyone who may own records.",
        )
        parser.add_argument("--format", choices=("csv", "json"), default="csv")

    def handle(self, *args, period: str, team: str, format: str, **options) -> None:
        try:
            period_ = Period.parse(period)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        users = User.objects.filter(is_active=True)
        if team:
            users = users.filter(team__path__startswith=team_by_path(team).path)
        else:
            users = users.filter(may_own_records())
        people = list(users.order_by("username").values_list("pk", "username"))
        ids = [pk for pk, _name in people]
        metrics = [get_metric(key) for key in CONTRACT_KEYS]
        figures = figures_for(ids, period_, metrics)
        cards = {
            c["user_id"]: c
            for c in Scorecard.objects.filter(Q(period__key=period_.key), user__in=ids).values(
                "user_id", "total", "grade"
            )
        }
        rows = []
        for pk, username in people:
            row = {"username": username}
            for metric in metrics:
                row[metric.key] = figures[pk][metric.key].value
            card = cards.get(pk)
            row["total"] = card["total"] if card else None
            row["grade"] = (card["grade"] or None) if card else None
            rows.append(row)
        columns = ["username", *CONTRACT_KEYS, "total", "grade"]
        if format == "json":
            data = [
                {
                    k: (str(v) if v is not None and k not in ("username", "grade") else v)
                    for k, v in row.items()
                }
                for row in rows
            ]
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_raw(row[c]) for c in columns])
