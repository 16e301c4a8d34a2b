"""What the customer-record importers share: scoped lookups of customers and owners."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from crm.interchange import (
    Importer,
    Row,
)
from crm.models import User
from crm.scopes import DataScope, reach_of
from crm.selectors import may_own_records
from customers.models import Customer


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
