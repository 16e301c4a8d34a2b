"""The `leads` kind of import/export (`manage.py import_csv leads FILE`, or /imports/).

Columns: name, company, phone, email, source, region, industry, created_at, owner. A blank owner
means "assign by the rules": those leads are queued for a worker when the import commits. A row
with the same name, phone, email and created_at as an existing lead is that lead (re-importing
a file adds nothing).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    ChoiceColumn,
    Column,
    DateTimeColumn,
    Importer,
    Row,
    register,
)
from crm.models import User
from crm.scopes import can_change_any
from crm.selectors import may_own_records
from customers.models import Customer
from leads.models import AssignmentLog, Lead


@register
class LeadImporter(Importer):
    kind = "leads"
    label = gettext_lazy("leads")
    model = Lead
    key = ("name", "phone", "email", "created_at")
    columns = (
        Column("name", ("姓名", "名称", "联系人", "线索"), required=True, blank=False,
               example="王伟"),
        Column("company", ("公司", "公司名称", "单位"), example="杭州恒泰机械有限公司"),
        Column("phone", ("电话", "手机", "手机号", "联系电话"), example="13800001234"),
        Column("email", ("邮箱", "电子邮件", "邮件"), example="wang.wei@example.cn"),
        ChoiceColumn("source", ("来源", "线索来源"), choices=Lead.Source, example="website"),
        Column("region", ("地区", "区域", "省份"), example="浙江"),
        ChoiceColumn("industry", ("行业",), choices=Customer.Industry, example="manufacturing"),
        DateTimeColumn("created_at", ("创建时间", "时间", "日期"), example="2025-03-05 14:30"),
        Column("owner", ("负责人", "销售", "跟进人"), example="",
               help="Blank: assigned automatically by the rules."),
    )  # fmt: skip

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return can_change_any(user)

    def prepare(self, rows: list[Row]) -> None:
        names = sorted({u for u in (row.get("owner") for row in rows) if u})
        self.owners: dict[str, User] = {}
        for batch in self.batches(names):
            users = self.editable(
                User.objects.filter(may_own_records(), username__in=batch, is_active=True)
            )
            self.owners.update({u.username: u for u in users})
        times = [row.get("created_at") for row in rows if row.get("created_at")]
        self.existing: set[tuple] = set()
        if times:
            qs = Lead.objects.filter(created_at__gte=min(times), created_at__lte=max(times))
            self.existing = {
                (n, p, e.lower(), c)
                for n, p, e, c in qs.values_list("name", "phone", "email", "created_at")
            }
        self.to_create: list[tuple[Lead, User | None]] = []

    def check(self, row: Row) -> str:
        owner = None
        if row.get("owner"):
            owner = self.owners.get(row.get("owner"))
            if owner is None:
                row.error(
                    "owner", _("Unknown user “%(username)s”.") % {"username": row.get("owner")}
                )
        phone, email = row.get("phone") or "", row.get("email") or ""
        if not (phone or email):
            row.error("phone", _("Give a phone number or an email address."))
        created_at = row.get("created_at") or None
        if created_at and created_at > timezone.now():
            row.error("created_at", _("A lead cannot be created in the future."))
        lead = Lead(
            name=" ".join(str(row.get("name")).split()),
            company=row.get("company") or "",
            phone=phone,
            email=email,
            source=row.get("source") or Lead.Source.OTHER,
            region=row.get("region") or "",
            industry=row.get("industry") or "",
            created_at=created_at or self.now,
            created_by=self.user,
        )
        self.clean_fields(lead, row)
        if row.errors:
            return UNCHANGED
        if created_at and (lead.name, phone, email.lower(), created_at) in self.existing:
            return UNCHANGED
        self.to_create.append((lead, owner))
        return CREATE

    def write(self) -> None:
        from leads.services import queue_assignment

        now = timezone.now()
        for lead, owner in self.to_create:
            if owner is not None:
                lead.owner = owner
                lead.assigned_at = now
        leads = [lead for lead, _owner in self.to_create]
        created = bulk_create_with_history(
            leads,
            Lead,
            batch_size=self.batch_size,
            default_user=self.user,
            default_change_reason=self.change_reason,
        )
        AssignmentLog.objects.bulk_create(
            [
                AssignmentLog(
                    lead=lead,
                    to_user=lead.owner,
                    reason=AssignmentLog.Reason.IMPORTED,
                    changed_by=self.user,
                    created_at=now,
                )
                for lead in created
                if lead.owner_id is not None
            ],
            batch_size=self.batch_size,
        )
        queue_assignment([lead.pk for lead in created if lead.owner_id is None])

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("owner")

    def export_row(self, obj: Lead) -> dict[str, Any]:
        return {
            "name": obj.name,
            "company": obj.company,
            "phone": obj.phone,
            "email": obj.email,
            "source": obj.source,
            "region": obj.region,
            "industry": obj.industry,
            "created_at": obj.created_at,
            "owner": obj.owner.username if obj.owner else "",
        }
