"""Background work of the orders app: thin, idempotent tasks."""

from celery import shared_task

from orders import services


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def contracts_expire_task() -> int:
    """Daily: signed contracts past their end date become expired. Returns how many."""
    return services.contracts_expire()
