"""Reads of the opportunities app: scoped querysets for the list, the detail and the board.
Reports (forecast, funnel, win rate): opportunities/reports.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils import timezone

from crm.models import User
from crm.scopes import get_visible_or_404
from opportunities.filters import OpportunityFilter
from opportunities.models import Opportunity, Pipeline, Stage, StageChange

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)

# Cards per board column; the rest are counted and reached through the filtered list.
BOARD_CARDS_PER_COLUMN = 20
# Won and lost columns show what closed recently: a year of wins is not a board.
BOARD_CLOSED_DAYS = 30
# An open deal this many days in one stage is flagged on its card.
STALE_DAYS = 30


def weighted_sum(filter_q: Q | None = None):
    """SUM(amount x probability) in the database: the weighted amount x 100, divided in Python by
    `weighted` (SQLite would divide integers: amounts with no cents are stored as such)."""
    product = ExpressionWrapper(F("amount") * F("stage__probability"), output_field=MONEY)
    return Coalesce(Sum(product, filter=filter_q, output_field=MONEY), ZERO)


def weighted(sum_x100) -> Decimal:
    return (Decimal(sum_x100) / 100).quantize(Decimal("0.01"))


def opportunity_list(*, viewer: User, data, request=None) -> OpportunityFilter:
    qs = (
        Opportunity.objects.visible_to(viewer)
        .select_related("customer", "owner", "stage", "pipeline")
        .order_by("-created_at", "-id")
    )
    return OpportunityFilter(data, queryset=qs, request=request)


def per_stage(qs: QuerySet[Opportunity]) -> dict[int, dict]:
    """{stage id: {"count", "amount", "weighted"}} for `qs`: one GROUP BY stage_id on the
    opportunities table alone; the weighted amount is Σ(amount) x the stage's probability,
    computed exactly in Python from the (few) stages. No join to the stages per row: at 500,000
    rows that halves the query (bench/opportunities.py)."""
    rows = list(
        qs.order_by()
        .values("stage_id")
        .annotate(n=Count("pk"), amount_sum=Coalesce(Sum("amount"), ZERO))
    )
    probability = dict(
        Stage.objects.filter(pk__in=[r["stage_id"] for r in rows]).values_list("pk", "probability")
    )
    return {
        r["stage_id"]: {
            "count": r["n"],
            "amount": r["amount_sum"],
            "weighted": weighted(r["amount_sum"] * probability.get(r["stage_id"], 0)),
        }
        for r in rows
    }


def list_totals(qs: QuerySet[Opportunity]) -> dict:
    """Count, amount and weighted amount of the filtered list (two queries, see per_stage)."""
    totals = {"count": 0, "amount": Decimal("0.00"), "weighted": Decimal("0.00")}
    for row in per_stage(qs).values():
        for key in totals:
            totals[key] += row[key]
    return totals


def opportunity_for_detail(*, viewer: User, pk: int) -> Opportunity:
    qs = Opportunity.objects.select_related(
        "customer",
        "contact",
        "owner",
        "owner__team",
        "stage",
        "pipeline",
        "lost_reason",
        "created_by",
        "source_lead",
    )
    return get_visible_or_404(qs, viewer, pk=pk)


def stage_history(opportunity: Opportunity) -> QuerySet[StageChange]:
    return opportunity.stage_changes.select_related(
        "from_stage", "to_stage", "changed_by"
    ).order_by("-changed_at", "-id")


def pipelines_active() -> list[Pipeline]:
    return list(Pipeline.objects.filter(is_active=True).order_by("order", "id"))


@dataclass
class Column:
    stage: Stage
    cards: list[Opportunity] = field(default_factory=list)
    count: int = 0
    amount: Decimal = Decimal("0.00")
    weighted: Decimal = Decimal("0.00")

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.cards))


def board_queryset(*, viewer: User, pipeline: Pipeline, owner: User | None = None) -> QuerySet:
    since = timezone.now() - dt.timedelta(days=BOARD_CLOSED_DAYS)
    qs = Opportunity.objects.visible_to(viewer).filter(pipeline=pipeline)
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs.filter(Q(status=Opportunity.Status.OPEN) | Q(closed_at__gte=since))


def board(
    *,
    viewer: User,
    pipeline: Pipeline,
    owner: User | None = None,
    per_column: int = BOARD_CARDS_PER_COLUMN,
) -> list[Column]:
    """The columns of `pipeline`'s board: stages in order, each with its `per_column` largest
    opportunities, its count and sums. Four queries whatever the number of opportunities."""
    stages = list(pipeline.stages.order_by("order", "id"))
    columns = {s.pk: Column(stage=s) for s in stages}
    base = board_queryset(viewer=viewer, pipeline=pipeline, owner=owner)
    for stage_id, row in per_stage(base).items():
        column = columns.get(stage_id)
        if column is not None:
            column.count, column.amount, column.weighted = (
                row["count"],
                row["amount"],
                row["weighted"],
            )
    for card in _top_cards(base, [s.pk for s in stages if columns[s.pk].count], per_column):
        columns[card.stage_id].cards.append(card)
    return [columns[s.pk] for s in stages]


def _top_cards(base: QuerySet, stage_ids: list[int], per_column: int) -> list[Opportunity]:
    if not stage_ids:
        return []
    related = ("customer", "owner")
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: one LIMITed index scan per stage (stage, -amount), glued by UNION ALL.
        parts = [
            base.filter(stage_id=pk).order_by("-amount", "-id").values("pk")[:per_column]
            for pk in stage_ids
        ]
        ids = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        qs = Opportunity.objects.filter(pk__in=ids)
    else:
        # SQLite cannot order inside a compound query: rank with a window function.
        qs = base.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("amount").desc(), F("pk").desc()],
            )
        ).filter(rank__lte=per_column)
    cards = list(qs.select_related(*related).order_by("-amount", "-id"))
    now, today = timezone.now(), timezone.localdate()
    # Each card links to its page and its move URL: two reverse() per card were a fifth of the
    # board's time with 300 cards (bench/run.py); reverse once, then fill the id in.
    detail_url = _url_template("opportunities:opportunity-detail")
    move_url = _url_template("opportunities:opportunity-move")
    for card in cards:
        card.detail_url = detail_url.format(pk=card.pk)
        card.move_url = move_url.format(pk=card.pk)
        # What a rep plans the week from: deals sitting too long, close dates already passed.
        card.days_in_stage = (now - card.stage_entered_at).days
        card.is_stale = card.status == Opportunity.Status.OPEN and card.days_in_stage >= STALE_DAYS
        card.is_overdue = (
            card.status == Opportunity.Status.OPEN
            and card.expected_close_on is not None
            and card.expected_close_on < today
        )
    return cards


_PK_MARK = 987654321


def _url_template(name: str) -> str:
    """The URL of `name` for any primary key, as a format string ("/opportunities/{pk}/")."""
    return reverse(name, args=[_PK_MARK]).replace(str(_PK_MARK), "{pk}")


def board_column(
    *, viewer: User, pipeline: Pipeline, stage: Stage, owner: User | None = None
) -> Column:
    """One column's header figures (after a move)."""
    qs = board_queryset(viewer=viewer, pipeline=pipeline, owner=owner).filter(stage=stage)
    row = per_stage(qs).get(stage.pk, {})
    return Column(
        stage=stage,
        count=row.get("count", 0),
        amount=row.get("amount", Decimal("0.00")),
        weighted=row.get("weighted", Decimal("0.00")),
    )


def customer_opportunities(customer, viewer: User, limit: int = 20) -> dict:
    """The customer page's section: the customer's opportunities the viewer may see."""
    from crm.scopes import can_change

    qs = (
        Opportunity.objects.visible_to(viewer)
        .filter(customer=customer)
        .select_related("stage", "owner")
        .order_by("-created_at", "-id")
    )
    opportunities = list(qs[:limit])
    return {
        "opportunities": opportunities,
        # Past the limit, the section links to the full list.
        "opportunity_total": qs.count(),
        "can_add_opportunity": can_change(viewer, customer),
    }
