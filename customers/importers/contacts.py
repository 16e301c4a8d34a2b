"""The `contacts` kind: (customer code, name) is the natural key; one primary per customer."""

from __future__ import annotations

import copy
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    BoolColumn,
    Column,
    DateColumn,
    Row,
    register,
)
from customers.importers.base import CustomerRecordImporter
from customers.models import Contact, Customer

CONTACT_FIELDS = ("title", "phone", "email", "wechat", "birthday", "is_primary")


@register
class ContactImporter(CustomerRecordImporter):
    """Contacts are matched by customer code and name: re-importing a row updates that contact
    (the oldest one, should a customer have two contacts of the same name)."""

    kind = "contacts"
    label = gettext_lazy("contacts")
    model = Contact
    key = ("customer", "name")
    columns = (
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        Column("name", ("姓名", "联系人", "联系人姓名"), required=True, blank=False,
               example="李明"),
        Column("title", ("职务", "职位", "头衔"), example="采购经理"),
        Column("phone", ("电话", "手机", "手机号", "联系电话"), example="13800138000"),
        Column("email", ("邮箱", "电子邮件", "邮件"), example="li.ming@example.com"),
        Column("wechat", ("微信", "微信号"), example="liming_sh"),
        DateColumn("birthday", ("生日",), example="1985-06-15"),
        BoolColumn("is_primary", ("是否主联系人", "主联系人", "首要联系人"), example="true"),
    )  # fmt: skip

    def prepare(self, rows: list[Row]) -> None:
        self.customers = self.editable_customers([row.get("customer") for row in rows])
        self.existing: dict[tuple[int, str], Contact] = {}
        ids = sorted(c.pk for c in self.customers.values())
        for batch in self.batches(ids):
            for contact in Contact.objects.filter(customer_id__in=batch).order_by("-id"):
                self.existing[(contact.customer_id, contact.name)] = contact  # oldest wins
        self.primary_row: dict[int, int] = {}
        self.primary_kept: set[int] = set()  # existing contacts the file names primary
        self.to_create: list[Contact] = []
        self.to_update: list[tuple[Contact, set[str]]] = []

    def check(self, row: Row) -> str:
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            self.unknown_customer(row)
            return UNCHANGED
        current = self.existing.get((customer.pk, row.get("name")))
        contact = (
            Contact(customer=customer, name=row.get("name"))
            if current is None
            else copy.copy(current)
        )
        for name in CONTACT_FIELDS:
            if row.has(name):
                setattr(contact, name, row.get(name))
        if row.has("birthday"):
            contact.birthday = row.get("birthday") or None
        if contact.is_primary:
            first = self.primary_row.setdefault(customer.pk, row.number)
            if first != row.number:
                row.error(
                    "is_primary",
                    _("Row %(row)s already names this customer's primary contact.")
                    % {"row": first},
                )
        self.clean_fields(contact, row)
        if row.errors:
            return UNCHANGED
        if current is not None and contact.is_primary:
            self.primary_kept.add(current.pk)
        if current is None:
            self.to_create.append(contact)
            return CREATE
        changed = {f for f in CONTACT_FIELDS if getattr(contact, f) != getattr(current, f)}
        if not changed:
            return UNCHANGED
        self.to_update.append((contact, changed))
        return UPDATE

    def write(self) -> None:
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        # One primary contact per customer: the file's primary takes over (as contact_save does).
        for batch in self.batches(sorted(self.primary_row)):
            Contact.objects.filter(customer_id__in=batch, is_primary=True).exclude(
                pk__in=self.primary_kept
            ).update(is_primary=False)
        bulk_create_with_history(self.to_create, Contact, **history)
        fields: set[str] = set()
        for _contact, changed in self.to_update:
            fields |= changed
        if fields:
            bulk_update_with_history(
                [c for c, _f in self.to_update], Contact, sorted(fields), **history
            )
        # Completeness counts "at least one contact": every customer touched now has one.
        touched = {c.customer_id for c in self.to_create}
        stale = []
        for batch in self.batches(sorted(touched)):
            for customer in Customer.objects.filter(pk__in=batch):
                value = customer.completeness_for(has_contact=True)
                if value != customer.completeness:
                    customer.completeness = value
                    stale.append(customer)
        Customer.objects.bulk_update(stale, ["completeness"], batch_size=self.batch_size)

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("customer")

    def export_row(self, obj: Contact) -> dict[str, Any]:
        values = {name: getattr(obj, name) for name in CONTACT_FIELDS}
        values.update(customer=obj.customer.code, name=obj.name)
        return values
