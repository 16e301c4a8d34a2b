"""Which tickets each persona sees: their customers' tickets (own, team or all, as their position
says), those of public-pool customers, and those assigned to them; nothing for a position that may
see nothing. `TicketQuerySet.visible_to` writes the customer part as a join to the customer or,
for lists (`bulk=True`), as sub-selects on the customer table: every case holds for both."""

from __future__ import annotations

import pytest

from crm.scopes import forget_reach
from service.models import Ticket
from tests.factories import CustomerFactory
from tests.service.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(org):
    """One ticket per kind of customer, named for the test's sets; `assigned` belongs to another
    region's customer but is assigned to the rep."""
    owners = {
        "rep": org.rep,
        "teammate": org.teammate,
        "manager": org.manager,
        "east": org.east_rep,
        "north": org.other_team_rep,
        "pool": None,
        "assigned": org.other_team_rep,
    }
    made = {name: TicketFactory(customer=CustomerFactory(owner=o)) for name, o in owners.items()}
    Ticket.objects.filter(pk=made["assigned"].pk).update(assignee=org.rep)
    return made


def _seen(user, tickets, *, bulk: bool) -> set[str]:
    names = {ticket.pk: name for name, ticket in tickets.items()}
    visible = Ticket.objects.visible_to(user, bulk=bulk)
    return {names[pk] for pk in visible.values_list("pk", flat=True)}


@pytest.fixture(params=[False, True], ids=["join", "bulk"])
def bulk(request) -> bool:
    return request.param


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("rep", {"rep", "pool", "assigned"}),
        ("teammate", {"teammate", "pool"}),
        ("manager", {"rep", "teammate", "manager", "pool"}),
        ("regional_manager", {"rep", "teammate", "manager", "east", "pool"}),
        ("other_team_rep", {"north", "pool", "assigned"}),
        ("service", {"rep", "teammate", "manager", "east", "north", "pool", "assigned"}),
        ("admin", {"rep", "teammate", "manager", "east", "north", "pool", "assigned"}),
    ],
)
def test_each_persona_sees_its_customers_the_pool_and_its_assigned_tickets(
    org, tickets, bulk, persona, expected
):
    assert _seen(getattr(org, persona), tickets, bulk=bulk) == expected


def test_a_position_that_sees_nothing_sees_no_ticket_even_assigned(org, tickets, bulk):
    org.hr.position.view_scope = "none"
    org.hr.position.save()
    forget_reach(org.hr)
    Ticket.objects.filter(pk=tickets["pool"].pk).update(assignee=org.hr)
    assert _seen(org.hr, tickets, bulk=bulk) == set()


def test_the_visible_tickets_filter_further(org, tickets, bulk):
    """The scope combines with the list's own filters and the detail's lookup."""
    visible = Ticket.objects.visible_to(org.rep, bulk=bulk)
    assert set(visible.filter(assignee=org.rep).values_list("pk", flat=True)) == {
        tickets["assigned"].pk
    }
    assert visible.filter(pk=tickets["north"].pk).count() == 0
    assert visible.get(pk=tickets["pool"].pk) == tickets["pool"]
