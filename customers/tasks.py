"""Background work of the customer record: thin tasks that call one service each.

Both are idempotent (each re-checks the state it acts on), so a retry or a duplicate delivery is
harmless.
"""

from celery import shared_task

from customers import pool, segments


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def pool_reclaim_task() -> dict:
    """Daily: return customers to the public pool under the admins' pool rules."""
    return pool.pool_reclaim_run()


# The first run over a million customers takes minutes (later runs write only what changed);
# every batch commits on its own, so a retry resumes cheaply.
@shared_task(
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3600,
    time_limit=3700,
)
def segments_recompute_task() -> dict:
    """Nightly: recompute every customer's RFM segment."""
    return segments.segments_recompute()
