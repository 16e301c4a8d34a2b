"""Import and export of customers, contacts and activities (interchange format: docs/imports.md).

Scopes: a row may only create or change what the importing user may change. A customer code
outside their reach reads as unknown (contacts, activities) or as taken (customers), so an
import never reveals another team's records; an owner must be someone the user may act for
(User.objects.editable_by: a rep themselves, a manager their team subtree).

Every write is batched: the natural keys of the whole file are preloaded in a few queries and
the rows go in with bulk_create / bulk_update (with their history rows), so 100,000 customers
take a few hundred statements, not hundreds of thousands.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
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
    BoolColumn,
    ChoiceColumn,
    Column,
    DateColumn,
    DateTimeColumn,
    Importer,
    Row,
    register,
)
from crm.models import User
from crm.scopes import DataScope, reach_of
from crm.selectors import may_own_records
from customers.models import Activity, Contact, Customer, OwnershipChange


class CustomerRecordImporter(Importer):
    """What the three customer kinds share: who may import, and scoped lookups."""

    @classmethod
    def may_import(cls, user: Any) -> bool:
        return reach_of(user, for_change=True).level != DataScope.NONE

    def editable_customers(self, codes: list[str]) -> dict[str, Customer]:
        found: dict[str, Customer] = {}
        for batch in self.batches(sorted(set(codes))):
            for customer in self.editable(Customer.objects.filter(code__in=batch)):
                found[customer.code] = customer
        return found

    def reachable_owners(self, usernames: list[str]) -> dict[str, User]:
        found: dict[str, User] = {}
        for batch in self.batches(sorted({u for u in usernames if u})):
            users = self.editable(
                User.objects.filter(may_own_records(), username__in=batch, is_active=True)
            )
            for user in users:
                found[user.username] = user
        return found

    def owner_for(self, row: Row, column: str = "owner") -> tuple[bool, User | None]:
        """(ok, user) for the username in `column`; an unknown user and one outside the
        importer's reach get the same message."""
        username = row.get(column)
        if not username:
            return True, None
        owner = self.owners.get(username)
        if owner is None:
            row.error(column, _("Unknown user “%(username)s”.") % {"username": username})
            return False, None
        return True, owner

    def unknown_customer(self, row: Row) -> None:
        row.error(
            "customer", _("Unknown customer code “%(code)s”.") % {"code": row.get("customer")}
        )


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

        # Rows are grouped by the fields they change: a row writes only its own changes, never
        # another row's (the copies were loaded before the write; a column a row does not change
        # must not be written back from that snapshot, above all the owner).
        groups: dict[frozenset[str], list[Customer]] = {}
        for customer, changed, owner_changes in self.to_update:
            fields = {"updated_at", "completeness", *changed}
            if owner_changes:
                record(customer, self.existing[customer.code].owner_id)
                fields |= {"owner", "owned_since", "pool_entered_at", "next_follow_up_on"}
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


@register
class ActivityImporter(CustomerRecordImporter):
    """Activities have no natural key of their own: a row with the same customer, owner, type
    and time as an existing activity updates its outcome and summary instead of adding one."""

    kind = "activities"
    label = gettext_lazy("activities")
    model = Activity
    key = ("customer", "owner", "type", "occurred_at")
    columns = (
        Column("customer", ("客户编号", "客户编码", "客户"), required=True, blank=False,
               example="C2501A1B2C3"),
        Column("owner", ("跟进人", "负责人", "记录人", "销售"), required=True, blank=False,
               example="wang.fang"),
        ChoiceColumn("type", ("类型", "跟进方式", "方式"), field="kind", choices=Activity.Kind,
                     example="visit"),
        ChoiceColumn("outcome", ("结果", "跟进结果"), choices=Activity.Outcome, example="success"),
        DateTimeColumn("occurred_at", ("跟进时间", "时间", "发生时间"), required=True,
                       blank=False, example="2025-03-05 14:30"),
        Column("summary", ("内容", "摘要", "跟进内容", "记录"), required=True, blank=False,
               example="Visited the plant, they need a quote for 20 units."),
    )  # fmt: skip

    def file_key(self, row: Row) -> tuple | None:
        return (
            row.get("customer"),
            row.get("owner"),
            row.get("type") or Activity.Kind.CALL,
            row.get("occurred_at"),
        )

    def prepare(self, rows: list[Row]) -> None:
        self.customers = self.editable_customers([row.get("customer") for row in rows])
        self.owners = self.reachable_owners([row.get("owner") for row in rows])
        self.existing: dict[tuple, Activity] = {}
        times = [row.get("occurred_at") for row in rows if row.get("occurred_at")]
        ids = sorted(c.pk for c in self.customers.values())
        if times:
            for batch in self.batches(ids):
                activities = Activity.objects.filter(
                    customer_id__in=batch, occurred_at__gte=min(times), occurred_at__lte=max(times)
                )
                for activity in activities:
                    key = (
                        activity.customer_id,
                        activity.owner_id,
                        activity.kind,
                        activity.occurred_at,
                    )
                    self.existing.setdefault(key, activity)
        self.to_create: list[Activity] = []
        self.to_update: list[Activity] = []
        self.latest: dict[int, Any] = defaultdict(lambda: None)

    def check(self, row: Row) -> str:
        customer = self.customers.get(row.get("customer"))
        if customer is None:
            self.unknown_customer(row)
        _ok, owner = self.owner_for(row)
        occurred_at = row.get("occurred_at")
        if occurred_at and occurred_at > timezone.now() + FUTURE_TOLERANCE:
            # As in the web form: a follow-up in the future would hold off the pool rules.
            row.error("occurred_at", _("A follow-up cannot be dated in the future."))
        if row.errors:
            return UNCHANGED
        kind = row.get("type") or Activity.Kind.CALL
        current = self.existing.get((customer.pk, owner.pk, kind, row.get("occurred_at")))
        activity = (
            Activity(customer=customer, owner=owner, kind=kind, occurred_at=row.get("occurred_at"))
            if current is None
            else copy.copy(current)
        )
        if row.get("outcome") or current is None:
            activity.outcome = row.get("outcome") or Activity.Outcome.SUCCESS
        activity.summary = row.get("summary")
        self.clean_fields(activity, row)
        if row.errors:
            return UNCHANGED
        latest = self.latest[customer.pk]
        if latest is None or activity.occurred_at > latest:
            self.latest[customer.pk] = activity.occurred_at
        if current is None:
            self.to_create.append(activity)
            return CREATE
        if (activity.outcome, activity.summary) == (current.outcome, current.summary):
            return UNCHANGED
        self.to_update.append(activity)
        return UPDATE

    def write(self) -> None:
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        bulk_create_with_history(self.to_create, Activity, **history)
        if self.to_update:
            bulk_update_with_history(self.to_update, Activity, ["outcome", "summary"], **history)
        # "Last contacted" moves forward only, as activity_log does; the customers were loaded
        # in prepare() and are re-read here inside the transaction to compare.
        ids = sorted(self.latest)
        moved = []
        for batch in self.batches(ids):
            for customer in Customer.objects.filter(pk__in=batch).only("pk", "last_contacted_at"):
                latest = self.latest[customer.pk]
                if customer.last_contacted_at is None or latest > customer.last_contacted_at:
                    customer.last_contacted_at = latest
                    moved.append(customer)
        Customer.objects.bulk_update(moved, ["last_contacted_at"], batch_size=self.batch_size)

    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        return queryset.select_related("customer", "owner")

    def export_row(self, obj: Activity) -> dict[str, Any]:
        return {
            "customer": obj.customer.code,
            "owner": obj.owner.username,
            "type": obj.kind,
            "outcome": obj.outcome,
            "occurred_at": obj.occurred_at,
            "summary": obj.summary,
        }
