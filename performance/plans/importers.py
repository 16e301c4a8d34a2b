"""The "plans" kind of import_csv: user, month, revenue_target, new_customer_target,
visit_target (Chinese headers: 用户, 月份, 销售额目标, 新客户目标, 拜访目标).

One row is one person's targets for one month, upserted by (user, month). Every row is checked
before anything is written (unknown or out-of-reach user, bad month, negative or non-numeric
targets, the same user and month twice); any error writes nothing. A blank target cell leaves an
existing plan's value alone (0 for a new plan). Team plans are set on the grid page.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from crm.interchange import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    DecimalColumn,
    Importer,
    Row,
    register,
)
from crm.interchange.columns import BLANK
from crm.models import User
from performance.models import SalesPlan
from performance.plans.access import plan_access
from performance.plans.selectors import TARGETS

_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})(?:\s*月)?(?:\s*[-/.]\s*0?1)?$")


class MonthColumn(Column):
    """A month: YYYY-MM (2026-10), also 2026/10, 2026年10月, the first day (2026-10-01) or a
    date cell of a spreadsheet; the value is the first day of the month."""

    def parse_text(self, text: str, raw: Any) -> Any:
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, dt.date):
            if raw.day == 1 and 2000 <= raw.year <= 2999:
                return raw
        else:
            match = _MONTH_RE.match(text)
            # (The grid opens the years 2000 to 2999: a plan outside them could not be seen.)
            if match and 1 <= int(match[2]) <= 12 and 2000 <= int(match[1]) <= 2999:
                return dt.date(int(match[1]), int(match[2]), 1)
        raise ValueError(_("“%(value)s” is not a month: use YYYY-MM.") % {"value": text})

    def format(self, value: Any) -> str:
        return value.strftime("%Y-%m") if value else BLANK


class CountColumn(Column):
    """A whole number of 0 or more."""

    def parse_text(self, text: str, raw: Any) -> Any:
        try:
            value = int(text.replace(",", "").replace(" ", ""))
        except ValueError:
            raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text}) from None
        if value < 0:
            raise ValueError(_("A target cannot be negative."))
        return value


class MoneyColumn(DecimalColumn):
    """An amount of 0 or more, at most two decimals."""

    def parse_text(self, text: str, raw: Any) -> Any:
        value = super().parse_text(text, raw)
        if not value.is_finite():
            raise ValueError(_("“%(value)s” is not a number.") % {"value": text})
        if value < 0:
            raise ValueError(_("A target cannot be negative."))
        return value

    def format(self, value: Any) -> str:
        return BLANK if value is None else f"{Decimal(value):.2f}"


@register
class PlanImporter(Importer):
    kind = "plans"
    label = gettext_lazy("sales plans")
    model = SalesPlan
    key = ("user", "month")
    columns = (
        Column("user", ("用户", "用户名", "销售", "username"), required=True, blank=False,
               example="wang.fang"),
        MonthColumn("month", ("月份", "月"), required=True, blank=False, example="2026-10"),
        MoneyColumn("revenue_target", ("销售额目标", "销售目标", "收入目标"), example="300000.00"),
        CountColumn("new_customer_target", ("新客户目标", "新增客户目标"), example="5"),
        CountColumn("visit_target", ("拜访目标", "拜访次数目标"), example="30"),
    )  # fmt: skip

    # --- access ------------------------------------------------------------------------------
    @classmethod
    def may_import(cls, user: Any) -> bool:
        return plan_access(user).edits_any

    @classmethod
    def may_export(cls, user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.is_active)

    def visible(self, queryset: QuerySet) -> QuerySet:
        if self.user is None:
            return queryset
        return queryset.filter(plan_access(self.user).visible_q())

    def editable(self, queryset: QuerySet) -> QuerySet:
        if self.user is None:
            return queryset
        return queryset.filter(plan_access(self.user).editable_q())

    # --- import ------------------------------------------------------------------------------
    def prepare(self, rows: list[Row]) -> None:
        access = None if self.user is None else plan_access(self.user)
        usernames = sorted({row.get("user") for row in rows if row.get("user")})
        self.users: dict[str, User] = {}
        for batch in self.batches(usernames):
            for user in User.objects.filter(username__in=batch).select_related("team"):
                if access is None or access.can_edit_user(user):
                    self.users[user.username] = user
        months = sorted({row.get("month") for row in rows if row.get("month")})
        ids = sorted(u.pk for u in self.users.values())
        self.existing: dict[tuple[int, dt.date], SalesPlan] = {}
        if months:
            for batch in self.batches(ids):
                for plan in SalesPlan.objects.filter(user_id__in=batch, month__in=months):
                    self.existing[(plan.user_id, plan.month)] = plan
        self.to_create: list[SalesPlan] = []
        self.to_update: list[SalesPlan] = []

    def check(self, row: Row) -> str:
        username = row.get("user")
        user = self.users.get(username)
        if username and user is None:
            # Unknown and out-of-reach read the same: an import reveals no one's existence.
            row.error(
                "user",
                _("No salesperson “%(name)s” whose plan you may change.") % {"name": username},
            )
        elif user is not None and not user.is_active:
            row.error("user", _("%(name)s is inactive: no new plans.") % {"name": username})
        month = row.get("month")
        if row.errors or not month or user is None:
            return UNCHANGED
        current = self.existing.get((user.pk, month))
        plan = SalesPlan(user=user, month=month) if current is None else copy.copy(current)
        for name in TARGETS:
            value = row.get(name)
            if value is not BLANK and value is not None:
                setattr(plan, name, value)
        self.clean_fields(plan, row)
        if row.errors:
            return UNCHANGED
        if current is None:
            plan.updated_by = self.user
            self.to_create.append(plan)
            return CREATE
        if all(getattr(plan, n) == getattr(current, n) for n in TARGETS):
            return UNCHANGED
        plan.updated_by = self.user
        plan.updated_at = self.now
        self.to_update.append(plan)
        return UPDATE

    def write(self) -> None:
        history = {
            "batch_size": self.batch_size,
            "default_user": self.user,
            "default_change_reason": self.change_reason,
        }
        bulk_create_with_history(self.to_create, SalesPlan, **history)
        if self.to_update:
            bulk_update_with_history(
                self.to_update, SalesPlan, [*TARGETS, "updated_by", "updated_at"], **history
            )

    # --- export ------------------------------------------------------------------------------
    def export_queryset(self, queryset: QuerySet) -> QuerySet:
        # Team plans are not part of the format (they are set on the grid page).
        return (
            queryset.filter(user__isnull=False)
            .select_related("user")
            .order_by("month", "user__username")
        )

    def export_row(self, obj: SalesPlan) -> dict[str, Any]:
        return {
            "user": obj.user.username,
            "month": obj.month,
            "revenue_target": obj.revenue_target,
            "new_customer_target": obj.new_customer_target,
            "visit_target": obj.visit_target,
        }
