"""Models of the performance app (docs/performance.md): sales plans, KPI schemes (versioned),
evaluation periods, scorecards with their review chain, and custom statistics."""

from performance.models.plans import SalesPlan
from performance.models.schemes import KpiScheme, KpiSchemeItem
from performance.models.scorecards import (
    EvaluationPeriod,
    Recomputation,
    ReviewStep,
    Scorecard,
    ScorecardItem,
    ScorecardRun,
)
from performance.models.statistics import CustomStatistic

__all__ = [
    "CustomStatistic",
    "EvaluationPeriod",
    "KpiScheme",
    "KpiSchemeItem",
    "Recomputation",
    "ReviewStep",
    "SalesPlan",
    "Scorecard",
    "ScorecardItem",
    "ScorecardRun",
]
