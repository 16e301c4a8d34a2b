"""KPI metrics (../shared/KPIS.md): one registered class each. Importing this package
registers them all."""

# The implementations register themselves on import (order = KPIS.md's table).
from performance.metrics import kpis  # noqa: F401  (written by the metrics engineer)
from performance.metrics.base import (  # noqa: F401
    COUNT,
    HIGHER,
    LOWER,
    MONEY,
    RATE,
    Figure,
    Metric,
    Records,
)
from performance.metrics.registry import (  # noqa: F401
    all_metrics,
    get_metric,
    metric_choices,
    register,
)

CONTRACT_KEYS = (
    "plan_completion",
    "sales_growth",
    "price_retention",
    "expense_ratio",
    "collection",
    "visit_success",
    "complaint_rate",
    "new_customers",
    "new_customer_rate",
    "retention",
    "info_completeness",
)
