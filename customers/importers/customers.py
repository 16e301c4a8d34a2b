"""The `customers` kind: code is the natural key; owner changes are logged."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ChoiceColumn,
    Column,
    DateColumn,
    DateTimeColumn,
    Row,
    register,
)
from customers.importers.base import CustomerRecordImporter
from customers.models import Contact, Customer, OwnershipChange

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks differ a little between machines
CUSTOMER_TEXT_FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "website",
    "business_status",
    "competitors",
    "industry",
    "scale",
    "source",
)
# Choices with a default: a blank cell keeps the current value (or the default for a new one).
CUSTOMER_DEFAULTED_FIELDS = ("kind", "level", "status")
CUSTOMER_FIELDS = (*CUSTOMER_TEXT_FIELDS, *CUSTOMER_DEFAULTED_FIELDS, "birthday", "created_at")


@register
class CustomerImporter(CustomerRecordImporter):
    kind = "customers"
    label = gettext_lazy("customers")
    model = Customer
    key = ("code",)
    columns = (
        Column("code", ("客户编号", "客户编码", "编号", "编码"), example="C2501A1B2C3",
               help=gettext_lazy("Blank: a code is assigned.")),
        Column("name", ("客户名称", "名称", "客户名", "公司名称"), required=True, blank=False,
               example="上海恒泰机械有限公司"),
        ChoiceColumn("kind", ("类型", "客户类型"), choices=Customer.Kind,
                     extra={"b2b": "company", "b2c": "person", "企业": "company", "个人": "person"},
                     example="company"),
        ChoiceColumn("industry", ("行业", "所属行业"), choices=Customer.Industry,
                     example="manufacturing"),
        ChoiceColumn("scale", ("规模", "企业规模", "人员规模"), choices=Customer.Scale,
                     example="medium"),
        ChoiceColumn("source", ("来源", "客户来源"), choices=Customer.Source, example="exhibition"),
        ChoiceColumn("level", ("级别", "客户级别", "等级"), choices=Customer.Level, example="B"),
        ChoiceColumn("status", ("状态", "客户状态"), choices=Customer.Status, example="potential"),
        Column("owner", ("负责人", "所有者", "归属人", "销售"), example="wang.fang",
               help=gettext_lazy("Username; blank: the public pool.")),
        Column("phone", ("电话", "联系电话"), example="021-55550123"),
        Column("email", ("邮箱", "电子邮件", "邮件"), example="info@hengtai.example.com"),
        Column("address", ("地址", "公司地址"), example="上海市浦东新区张江路 100 号"),
        Column("website", ("网址", "网站", "官网"), example="https://hengtai.example.com"),
        Column("business_status", ("经营状况", "经营情况"), example="Expanding to two new plants"),
        Column("competitors", ("竞争对手", "竞品"), example="Acme Machinery"),
        DateColumn("birthday", ("生日",), example=""),
        DateTimeColumn("created_at", ("创建时间", "创建日期"), example="2025-03-01 09:30"),
    )  # fmt: skip

    def prepare(self, rows: list[Row]) -> None:
        codes = [row.get("code") for row in rows if row.get("code")]
        self.existing: dict[str, Customer] = {}
        for batch in self.batches(sorted(set(codes))):
            for customer in Customer.objects.filter(code__in=batch):
                self.existing[customer.code] = customer
        self.editable_ids = {c.pk for c in self.editable_customers(list(self.existing)).values()}
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        self.with_contacts: set[int] = set()
        for batch in self.batches(sorted(self.editable_ids)):
            self.with_contacts.update(
                Contact.objects.filter(customer_id__in=batch)
                .values_list("customer_id", flat=True)
                .distinct()
            )
        self.codes_in_file = set(codes)
        self.to_create: list[Customer] = []
        self.to_update: list[tuple[Customer, set[str], bool]] = []
        self.completeness_only: list[Customer] = []

    def check(self, row: Row) -> str:
        code = row.get("code")
        current = self.existing.get(code) if code else None
        if current is not None and current.pk not in self.editable_ids:
            # The code exists (it is unique, so this cannot be hidden), but nothing about the
            # customer is shown.
            row.error("code", _("This code is taken by a customer you cannot change."))
            return UNCHANGED
        customer = Customer(code=code) if current is None else copy.copy(current)
        for name in CUSTOMER_TEXT_FIELDS:
            if row.has(name):
                setattr(customer, name, row.get(name))
        for name in CUSTOMER_DEFAULTED_FIELDS:
            if row.get(name):
                setattr(customer, name, row.get(name))
        if row.has("birthday"):
            customer.birthday = row.get("birthday") or None
        if row.get("created_at"):
            customer.created_at = row.get("created_at")
        owner_changes = False
        if row.has("owner") or current is None:
            ok, owner = self.owner_for(row)
            if ok:
                owner_changes = current is None or customer.owner_id != (owner and owner.pk)
                customer.owner = owner
        self.clean_fields(customer, row)
        if row.errors:
            return UNCHANGED
        has_contact = customer.pk in self.with_contacts
        customer.completeness = customer.completeness_for(has_contact=has_contact)
        if current is None:
            customer.created_by = self.user
            self.to_create.append(customer)
            return CREATE
        changed = {f for f in CUSTOMER_FIELDS if getattr(customer, f) != getattr(current, f)}
        if not changed and not owner_changes:
            if customer.completeness != current.completeness:
                self.completeness_only.append(customer)
            return UNCHANGED
        self.to_update.append((customer, changed, owner_changes))
        return UPDATE

    def _assign_codes(self, customers: list[Customer]) -> None:
        """Codes for the rows that left theirs blank: random (Customer.new_code), unique among
        themselves, the file and the database."""
        pending = [c for c in customers if not c.code]
        taken = set(self.codes_in_file)
        while pending:
            for customer in pending:
                code = Customer.new_code()
                while code in taken:
                    code = Customer.new_code()
                customer.code = code
                taken.add(code)
            clashes: set[str] = set()
            for batch in self.batches([c.code for c in pending]):
                clashes.update(
                    Customer.objects.filter(code__in=batch).values_list("code", flat=True)
                )
            pending = [c for c in pending if c.code in clashes]
            for customer in pending:
                customer.code = ""

    def write(self) -> None:
        now = self.now
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        changes: list[OwnershipChange] = []

        def record(customer: Customer, from_user_id: int | None) -> None:
            # What services.ownership_change_record does, for many customers at once.
            changes.append(
                OwnershipChange(
                    customer=customer,
                    from_user_id=from_user_id,
                    to_user_id=customer.owner_id,
                    reason=OwnershipChange.Reason.IMPORTED,
                    changed_by=self.user,
                    changed_at=now,
                )
            )
            in_pool = customer.owner_id is None
            customer.owned_since = None if in_pool else now
            customer.pool_entered_at = now if in_pool else None
            if in_pool:
                customer.next_follow_up_on = None

        self._assign_codes(self.to_create)
        for customer in self.to_create:
            record(customer, None)
        created = bulk_create_with_history(self.to_create, Customer, **history)
        by_code = {c.code: c for c in created}
        for change in changes:
            change.customer = by_code[change.customer.code]

        # The rows to update are locked and read again here: the copies checked above were
        # loaded before the write (minutes before, for a large file), and a claim, release or
        # follow-up committed meanwhile must survive, in the row and in its history. Only the
        # fields the file changes are applied to the fresh rows, grouped by those fields.
        fresh: dict[int, Customer] = {}
        for batch in self.batches(sorted(c.pk for c, _changed, _owner in self.to_update)):
            fresh.update(Customer.objects.select_for_update().in_bulk(batch))
        groups: dict[frozenset[str], list[Customer]] = {}
        for checked, changed, owner_changes in self.to_update:
            customer = fresh[checked.pk]
            fields = {"updated_at", "completeness", *changed}
            for name in changed:
                setattr(customer, name, getattr(checked, name))
            if owner_changes:
                was = customer.owner_id
                customer.owner_id = checked.owner_id
                record(customer, was)
                fields |= {"owner", "owned_since", "pool_entered_at", "next_follow_up_on"}
            customer.completeness = customer.completeness_for(
                has_contact=customer.pk in self.with_contacts
            )
            customer.updated_at = now
            groups.setdefault(frozenset(fields), []).append(customer)
        for fields, updated in groups.items():
            bulk_update_with_history(updated, Customer, sorted(fields), **history)
        bulk_create_with_history(changes, OwnershipChange, **history)
        if self.completeness_only:
            Customer.objects.bulk_update(
                self.completeness_only, ["completeness"], batch_size=self.batch_size
            )

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("owner")

    def export_row(self, obj: Customer) -> dict[str, Any]:
        values = {name: getattr(obj, name) for name in CUSTOMER_FIELDS}
        values["code"] = obj.code
        values["owner"] = obj.owner.username if obj.owner else ""
        return values
