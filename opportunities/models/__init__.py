"""Models of the opportunities app: pipelines, stages, opportunities and their stage history
(core.py); quotes and their lines (quotes.py)."""

from opportunities.models.core import (
    BilingualName,
    LostReason,
    Opportunity,
    OpportunityQuerySet,
    Pipeline,
    Stage,
    StageChange,
)
from opportunities.models.quotes import Quote, QuoteLine

__all__ = [
    "BilingualName",
    "LostReason",
    "Opportunity",
    "OpportunityQuerySet",
    "Pipeline",
    "Quote",
    "QuoteLine",
    "Stage",
    "StageChange",
]
