"""Scoring (../shared/KPIS.md, "Scoring"): pure functions on Decimals, no database.

Achievement = actual / target (higher is better) or target / actual (lower is better; an actual
of 0 scores the cap). Item score = clamp(100 x achievement, 0, cap), 2 decimals. Undefined items
are left out and the weights of the others renormalised. Total = Σ weight x score / Σ weight,
plus the manager's adjustment, 2 decimals. Scores use exact achievements, rounded at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from performance.models.schemes import DEFAULT_BANDS

CENTS = Decimal("0.01")
FOUR = Decimal("0.0001")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class ItemScore:
    achievement: Decimal | None  # exact (not rounded); None = undefined
    score: Decimal | None  # 2 places; None = undefined

    @property
    def achievement_rounded(self) -> Decimal | None:
        if self.achievement is None:
            return None
        return self.achievement.quantize(FOUR, rounding=ROUND_HALF_UP)


def score_item(
    actual: Decimal | None, target: Decimal | None, *, lower_is_better: bool, cap: Decimal
) -> ItemScore:
    """The achievement and score of one item; undefined when the actual or target is missing
    (or the target is zero where it divides)."""
    if actual is None or target is None:
        return ItemScore(None, None)
    actual, target, cap = Decimal(actual), Decimal(target), Decimal(cap)
    if lower_is_better:
        if actual == 0:
            return ItemScore(None if target == 0 else cap / HUNDRED, cap.quantize(CENTS))
        achievement = target / actual
    else:
        if target == 0:
            return ItemScore(None, None)
        achievement = actual / target
    score = min(max(HUNDRED * achievement, Decimal(0)), cap)
    return ItemScore(achievement, score.quantize(CENTS, rounding=ROUND_HALF_UP))


def weighted_total(
    items: Iterable[tuple[Decimal, Decimal | None]], adjustment: Decimal = Decimal(0)
) -> Decimal | None:
    """Σ weight x score / Σ weight over the defined items (score not None), plus the
    adjustment; None when no item is defined. Uses the exact (unrounded) weighted mean."""
    numerator = denominator = Decimal(0)
    for weight, score in items:
        if score is None:
            continue
        numerator += Decimal(weight) * Decimal(score)
        denominator += Decimal(weight)
    if not denominator:
        return None
    return (numerator / denominator + Decimal(adjustment)).quantize(CENTS, rounding=ROUND_HALF_UP)


def grade(total: Decimal | None, bands: Mapping[str, str | Decimal] | None = None) -> str:
    """The grade of a total: the best band whose lowest total it reaches, else "D"."""
    if total is None:
        return ""
    bands = bands or DEFAULT_BANDS
    for letter, lowest in sorted(bands.items(), key=lambda kv: Decimal(kv[1]), reverse=True):
        if total >= Decimal(lowest):
            return letter
    return "D"
