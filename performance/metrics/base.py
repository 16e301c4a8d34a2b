"""The metric interface. A metric is one small class registered with `@register`: its key (a
KPI key of ../shared/KPIS.md, or a new one), names in both languages, direction, how to compute
it for many people at once, and how to list the records behind a number.

A metric computes *figures*: for each person, a numerator and (for rates) a denominator, with
aggregate queries over everybody asked for in one pass (a handful of queries whatever the number
of people; never a query per person, never a Python loop over orders). A team's figure is the sum
of its members' numerators over the sum of their denominators (KPIS.md: never an average of
rates), which `combine` does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, ClassVar

from django.db import models

if TYPE_CHECKING:
    from performance.periods import Period

HIGHER, LOWER = "higher", "lower"
RATE, COUNT, MONEY = "rate", "count", "money"
FOUR_PLACES = Decimal("0.0001")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Figure:
    """numerator / denominator; `denominator` is None for counts and amounts. The value is
    undefined (None) when the denominator is zero."""

    numerator: Decimal
    denominator: Decimal | None = None

    @property
    def exact(self) -> Decimal | None:
        """The unrounded value (scores are computed from exact rates, rounded at the end)."""
        if self.denominator is None:
            return Decimal(self.numerator)
        if not self.denominator:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)

    @property
    def value(self) -> Decimal | None:
        """Rates to 4 places (half-up), counts and money as they are."""
        exact = self.exact
        if exact is None or self.denominator is None:
            return exact
        return exact.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)

    @property
    def is_defined(self) -> bool:
        return self.exact is not None


ZERO_RATE = Figure(Decimal(0), Decimal(0))  # undefined: nothing to divide by


@dataclass(frozen=True)
class Records:
    """The rows behind a number, for the drill-down page: a queryset and the columns to show,
    each (header, attribute path or callable)."""

    queryset: models.QuerySet
    columns: tuple[tuple[str, str], ...]
    title: str = ""


class Metric:
    """Subclass, set the class attributes, implement `figures` and `records`, decorate with
    `@register`."""

    key: ClassVar[str]
    name: ClassVar[str]  # gettext_lazy: "Plan completion" / "销售计划完成率"
    description: ClassVar[str] = ""  # gettext_lazy: the formula in words
    direction: ClassVar[str] = HIGHER
    unit: ClassVar[str] = RATE
    # The SalesPlan field a "from the sales plan" target reads (None: fixed targets only).
    plan_field: ClassVar[str | None] = None
    # Whether the key is one of ../shared/KPIS.md (printed by kpi_report, in that order).
    in_contract: ClassVar[bool] = True

    def figures(self, user_ids: Collection[int] | None, period: Period) -> dict[int, Figure]:
        """The figure of each person in `user_ids` (None: everyone) for `period`. People with
        nothing to count may be missing from the result: `figure_of` fills them in."""
        raise NotImplementedError

    def empty(self) -> Figure:
        """The figure of someone with no rows at all."""
        return ZERO_RATE if self.unit == RATE else Figure(Decimal(0))

    def figure_of(self, figures: dict[int, Figure], user_id: int) -> Figure:
        return figures.get(user_id) or self.empty()

    def combine(self, figures: Iterable[Figure]) -> Figure:
        """A team's figure from its members': sums of numerators over sums of denominators."""
        numerator, denominator, any_den = Decimal(0), Decimal(0), False
        for figure in figures:
            numerator += figure.numerator
            if figure.denominator is not None:
                denominator += figure.denominator
                any_den = True
        if self.unit == RATE or any_den:
            return Figure(numerator, denominator)
        return Figure(numerator)

    def records(self, user_ids: Collection[int], period: Period) -> Records:
        """The rows that make the number for these people (their union, for a team)."""
        raise NotImplementedError

    def format(self, value: Decimal | None) -> str:
        """How a value shows: "81.23 %", "3", "80,000.00"; "n/a" when undefined."""
        from django.utils.translation import gettext

        if value is None:
            return gettext("n/a")
        if self.unit == RATE:
            return f"{(value * 100).quantize(CENTS, rounding=ROUND_HALF_UP)} %"
        if self.unit == MONEY:
            return f"{value.quantize(CENTS, rounding=ROUND_HALF_UP):,}"
        return f"{value.normalize():f}"
