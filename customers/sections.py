"""Extra sections of the customer detail page, contributed by other apps.

The opportunities, orders and service apps land after this one; each registers a section here
(in its AppConfig.ready) instead of this app importing theirs:

    register_section("orders", "orders/partials/customer_orders.html", customer_orders_context,
                     order=20)

`context(customer, viewer)` returns the template's context; it must run a fixed number of
queries and respect the viewer's data scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    key: str
    template: str
    context: Callable[..., dict[str, Any]]
    order: int = 100


_SECTIONS: dict[str, Section] = {}


def register_section(
    key: str, template: str, context: Callable[..., dict[str, Any]], *, order: int = 100
) -> None:
    _SECTIONS[key] = Section(key, template, context, order)


def sections_for(customer, viewer) -> list[dict[str, Any]]:
    return [
        {"key": s.key, "template": s.template, **s.context(customer, viewer)}
        for s in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))
    ]
