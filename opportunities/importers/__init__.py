"""The `opportunities` kind of import/export (docs/opportunities.md, docs/imports.md).

Columns: code, customer (code), name, pipeline, stage (name, English or Chinese), amount, owner
(username), expected_close, created_at, closed_at, lost_reason. A row whose code matches an
opportunity the user may change updates it; otherwise a new one is created (a blank code gets
one). History: a new opportunity gets one StageChange, at created_at into its stage, or, when it
is closed (won / lost), at closed_at; a closed one's history is reset to that single change on
update too, so the imported close date is what the reports count. Everything is validated before
anything is written, and written in batches in one transaction.
"""

from __future__ import annotations

import copy
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    DateColumn,
    DateTimeColumn,
    DecimalColumn,
    Row,
    register,
)
from customers.importers.base import CustomerRecordImporter
from customers.importers.customers import FUTURE_TOLERANCE
from opportunities.models import LostReason, Opportunity, Pipeline, Stage, StageChange
from opportunities.services import customer_opportunity_refresh

UPDATABLE = ["name", "amount", "expected_close_on", "owner", "lost_reason"]


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


@register
class OpportunityImporter(CustomerRecordImporter):
    kind = "opportunities"
    label = gettext_lazy("opportunities")
    model = Opportunity
    key = ("code",)
    columns = (
        Column("code", ("编号", "商机编号", "商机编码"), example="O2501A1B2C3"),
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        Column("name", ("名称", "商机名称"), required=True, blank=False,
               example="Production line upgrade"),
        Column("pipeline", ("销售管道", "管道"), example="ToB project sale"),
        Column("stage", ("阶段", "销售阶段"), example="Proposal"),
        DecimalColumn("amount", ("金额", "预计金额"), example="120000.00"),
        Column("owner", ("负责人", "销售"), example="wang.fang"),
        DateColumn("expected_close", ("预计成交日期", "预计成交", "预计结单日期"),
                   field="expected_close_on", example="2025-06-30"),
        DateTimeColumn("created_at", ("创建时间", "创建日期"), example="2025-03-01 10:00"),
        DateTimeColumn("closed_at", ("结单时间", "关闭时间", "成交时间"), example=""),
        Column("lost_reason", ("输单原因", "丢单原因"), example=""),
    )  # fmt: skip

    def prepare(self, rows: list[Row]) -> None:
        self.customers = self.editable_customers([row.get("customer") for row in rows])
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        codes = sorted({row.get("code") for row in rows if row.get("code")})
        self.existing: dict[str, Opportunity] = {}
        self.editable_ids: set[int] = set()
        for batch in self.batches(codes):
            found = Opportunity.objects.filter(code__in=batch).select_related("stage")
            for opp in found:
                self.existing[opp.code] = opp
            self.editable_ids |= set(
                self.editable(Opportunity.objects.filter(code__in=batch)).values_list(
                    "pk", flat=True
                )
            )
        self.pipelines: dict[str, Pipeline] = {}
        self.default_pipeline = None
        for pipeline in Pipeline.objects.filter(is_active=True).order_by(
            "-is_default", "order", "id"
        ):
            self.default_pipeline = self.default_pipeline or pipeline
            for name in (pipeline.name, pipeline.name_zh):
                if name:
                    self.pipelines.setdefault(_norm(name), pipeline)
        self.stages: dict[tuple[int, str], Stage] = {}
        self.first_stage: dict[int, Stage] = {}
        for stage in Stage.objects.filter(pipeline__is_active=True).order_by("order", "id"):
            for name in (stage.name, stage.name_zh):
                if name:
                    self.stages.setdefault((stage.pipeline_id, _norm(name)), stage)
            if stage.kind == Stage.Kind.OPEN:
                self.first_stage.setdefault(stage.pipeline_id, stage)
        self.reasons: dict[str, LostReason] = {}
        for reason in LostReason.objects.filter(is_active=True):
            for name in (reason.name, reason.name_zh):
                if name:
                    self.reasons.setdefault(_norm(name), reason)
        self.to_create: list[Opportunity] = []
        self.to_update: list[Opportunity] = []
        self.moves: list[tuple[Opportunity, Stage | None, Stage]] = []  # (opp, from, to)
        self.reset_history: list[Opportunity] = []

    def _stage_for(self, row: Row, current: Opportunity | None) -> Stage | None:
        pipeline = current.pipeline if current and not row.get("pipeline") else None
        if row.get("pipeline"):
            pipeline = self.pipelines.get(_norm(row.get("pipeline")))
            if pipeline is None:
                row.error(
                    "pipeline", _("Unknown pipeline “%(name)s”.") % {"name": row.get("pipeline")}
                )
                return None
        pipeline = pipeline or self.default_pipeline
        if pipeline is None:
            row.error("pipeline", _("No active pipeline: an administrator must create one first."))
            return None
        if not row.get("stage"):
            if current is not None and current.pipeline_id == pipeline.pk:
                return current.stage
            stage = self.first_stage.get(pipeline.pk)
            if stage is None:
                row.error(
                    "stage", _("The pipeline %(name)s has no open stage.") % {"name": pipeline}
                )
            return stage
        stage = self.stages.get((pipeline.pk, _norm(row.get("stage"))))
        if stage is None:
            row.error(
                "stage",
                _("Unknown stage “%(stage)s” in %(pipeline)s.")
                % {"stage": row.get("stage"), "pipeline": pipeline},
            )
        return stage

    def check(self, row: Row) -> str:
        code = row.get("code")
        current = self.existing.get(code) if code else None
        if current is not None and current.pk not in self.editable_ids:
            row.error("code", _("This code is taken by an opportunity you cannot change."))
            return UNCHANGED
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            self.unknown_customer(row)
        elif current is not None and current.customer_id != customer.pk:
            row.error("customer", _("An opportunity cannot move to another customer."))
        _ok, owner = self.owner_for(row)
        stage = self._stage_for(row, current)
        if row.errors:
            return UNCHANGED
        opp = copy.copy(current) if current is not None else Opportunity(customer=customer)
        if current is None:
            opp.code = code or Opportunity.new_code()
            opp.created_by = self.user
            opp.created_at = row.get("created_at") or self.now
            opp.owner = owner or self.user or customer.owner
            if opp.owner is None:
                row.error("owner", _("Give the owner (username)."))
                return UNCHANGED
        else:
            if owner is not None:
                opp.owner = owner
            if row.get("created_at"):
                opp.created_at = row.get("created_at")
        opp.name = row.get("name")
        if row.has("amount"):
            opp.amount = row.get("amount") or 0
        if row.has("expected_close"):
            opp.expected_close_on = row.get("expected_close") or None
        reason_name = row.get("lost_reason")
        reason = self.reasons.get(_norm(reason_name)) if reason_name else None
        if reason_name and reason is None:
            row.error("lost_reason", _("Unknown lost reason “%(name)s”.") % {"name": reason_name})
        closed_at = row.get("closed_at") or None
        if stage.kind == Stage.Kind.OPEN:
            if closed_at:
                row.error("closed_at", _("An open opportunity has no close date: leave it empty."))
            closed_at = None
            reason = None
        else:
            if closed_at is None:
                closed_at = (
                    current.closed_at
                    if current is not None and current.stage_id == stage.pk
                    else None
                )
            if closed_at is None:
                row.error("closed_at", _("A won or lost opportunity needs its close date."))
            elif closed_at < opp.created_at:
                row.error("closed_at", _("The close date is before the creation date."))
            elif closed_at > timezone.now() + FUTURE_TOLERANCE:
                row.error("closed_at", _("The close date cannot be in the future."))
            if stage.kind == Stage.Kind.LOST and reason is None and not reason_name:
                row.error("lost_reason", _("Say why the opportunity was lost."))
            if stage.kind == Stage.Kind.WON:
                reason = None
        self.clean_fields(opp, row)
        if row.errors:
            return UNCHANGED
        opp.lost_reason = reason
        stage_changed = current is None or current.stage_id != stage.pk
        opp.stage, opp.pipeline_id, opp.status = stage, stage.pipeline_id, stage.kind
        opp.closed_at = closed_at
        if current is None:
            opp.stage_entered_at = closed_at or opp.created_at
            self.to_create.append(opp)
            return CREATE
        if stage_changed or (closed_at and closed_at != current.closed_at):
            opp.stage_entered_at = closed_at or self.now
            if closed_at:
                self.reset_history.append(opp)
            else:
                self.moves.append((opp, current.stage, stage))
        fields = ["name", "amount", "expected_close_on", "owner_id", "lost_reason_id"]
        fields += ["stage_id", "closed_at", "created_at"]
        if all(getattr(opp, f) == getattr(current, f) for f in fields):
            return UNCHANGED
        self.to_update.append(opp)
        return UPDATE

    def write(self) -> None:
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        created = bulk_create_with_history(self.to_create, Opportunity, **history)
        by_code = {
            o.code: o for o in Opportunity.objects.filter(code__in=[o.code for o in created])
        }
        changes = [
            StageChange(
                opportunity=by_code[o.code],
                from_stage=None,
                to_stage=o.stage,
                changed_by=self.user,
                changed_at=o.closed_at or o.created_at,
            )
            for o in created
        ]
        if self.to_update:
            bulk_update_with_history(
                self.to_update,
                Opportunity,
                [
                    *UPDATABLE,
                    "stage",
                    "pipeline",
                    "status",
                    "closed_at",
                    "created_at",
                    "stage_entered_at",
                ],
                **history,
            )
        if self.reset_history:
            StageChange.objects.filter(opportunity__in=[o.pk for o in self.reset_history]).delete()
            changes += [
                StageChange(
                    opportunity=o,
                    from_stage=None,
                    to_stage=o.stage,
                    changed_by=self.user,
                    changed_at=o.closed_at,
                )
                for o in self.reset_history
            ]
        for opp, from_stage, to_stage in self.moves:
            # The time spent is measured from the row as it was before the import.
            previous = self.existing[opp.code].stage_entered_at
            changes.append(
                StageChange(
                    opportunity=opp,
                    from_stage=from_stage,
                    to_stage=to_stage,
                    changed_by=self.user,
                    changed_at=self.now,
                    seconds_in_previous=max(0, int((self.now - previous).total_seconds())),
                )
            )
        StageChange.objects.bulk_create(changes, batch_size=self.batch_size)
        customer_ids = sorted({o.customer_id for o in [*created, *self.to_update]})
        for batch in self.batches(customer_ids):
            customer_opportunity_refresh(batch)

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("customer", "owner", "pipeline", "stage", "lost_reason")

    def export_row(self, obj: Opportunity) -> dict[str, Any]:
        return {
            "code": obj.code,
            "customer": obj.customer.code,
            "name": obj.name,
            "pipeline": obj.pipeline.name,
            "stage": obj.stage.name,
            "amount": obj.amount,
            "owner": obj.owner.username,
            "expected_close": obj.expected_close_on,
            "created_at": obj.created_at,
            "closed_at": obj.closed_at,
            "lost_reason": obj.lost_reason.name if obj.lost_reason else "",
        }
