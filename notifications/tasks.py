"""Background work of notifications (queue `notifications`)."""

from celery import shared_task

from notifications import services


@shared_task(
    autoretry_for=(services.EmailDeliveryError,),
    retry_backoff=30,
    retry_backoff_max=3600,  # below services.EMAIL_SWEEP_AFTER
    max_retries=services.EMAIL_MAX_ATTEMPTS - 1,
)
def notification_email_task(notification_id: int) -> bool:
    return services.email_send(notification_id)


@shared_task
def notification_email_sweep_task() -> int:
    return services.email_sweep()
