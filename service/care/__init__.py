"""Customer care runs: what each active rule finds due (service/care/finders.py) becomes
CareMessage rows, inserted under their unique idempotency key and queued for sending after
commit (service/sending.py). See docs/service.md."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.urls import reverse

from service.care.finders import CATCH_UP_DAYS, Due, care_due, window
from service.models import CareMessage, CareRule
from service.models.care import render_template

__all__ = ["CATCH_UP_DAYS", "Due", "care_due", "care_preview", "care_run", "window"]

logger = logging.getLogger(__name__)


def _recipient(rule: CareRule, due: Due) -> str:
    if rule.channel == CareRule.Channel.EMAIL:
        return due.email.strip()
    if rule.channel == CareRule.Channel.SMS:
        return due.phone.strip()
    return str(due.owner_id) if due.owner_id else ""


def message_for(rule: CareRule, due: Due, *, owner_names: dict[int, str]) -> CareMessage | None:
    """The CareMessage `due` becomes (not saved), None when there is nobody to send it to (no
    email address, no phone, no owner)."""
    recipient = _recipient(rule, due)
    if not recipient:
        return None
    values = {
        "customer": due.customer_name,
        "contact": due.contact_name or due.customer_name,
        "owner": owner_names.get(due.owner_id, ""),
        "days": str(rule.days),
        "date": due.on.isoformat(),
        "order": "",
        "contract": "",
        "ticket": "",
        **due.values,
    }
    subject, body = rule.texts_for(due.language)
    return CareMessage(
        rule=rule,
        customer_id=due.customer_id,
        contact_id=due.contact_id,
        channel=rule.channel,
        recipient=recipient,
        recipient_user_id=due.owner_id if rule.channel == CareRule.Channel.TASK else None,
        occasion=due.occasion,
        language=due.language,
        subject=render_template(subject, values)[:200],
        body=render_template(body, values),
        url=reverse("customers:customer-detail", args=[due.customer_id]),
        # The customer is part of it: two customers may share an email, a phone or an owner.
        idempotency_key=f"{rule.pk}:c{due.customer_id}:{due.occasion}:{recipient}"[:200],
    )


def _owner_names(dues: list[Due]) -> dict[int, str]:
    from crm.models import User

    ids = {d.owner_id for d in dues if d.owner_id}
    return {u.pk: u.get_full_name() or u.username for u in User.objects.filter(pk__in=ids)}


def care_preview(rule: CareRule, *, today: dt.date | None = None) -> list[dict]:
    """Who `rule` would send to today, and whether it already did (the rule page's preview)."""
    dues = care_due(rule, today=today)
    owner_names = _owner_names(dues)
    messages = [(d, message_for(rule, d, owner_names=owner_names)) for d in dues]
    keys = [m.idempotency_key for _d, m in messages if m is not None]
    sent = dict(
        CareMessage.objects.filter(idempotency_key__in=keys).values_list(
            "idempotency_key", "status"
        )
    )
    return [
        {"due": d, "message": m, "status": sent.get(m.idempotency_key) if m else None}
        for d, m in messages
    ]


def care_run(*, today: dt.date | None = None) -> list[int]:
    """Create the messages due today for every active rule (skipping those already created) and
    queue them for sending after commit. Returns the ids of the new messages."""
    new_ids: list[int] = []
    for rule in CareRule.objects.filter(is_active=True).order_by("pk"):
        new_ids += care_run_rule(rule, today=today)
    return new_ids


@transaction.atomic
def care_run_rule(rule: CareRule, *, today: dt.date | None = None) -> list[int]:
    from service.sending import care_message_queue

    dues = care_due(rule, today=today)
    owner_names = _owner_names(dues)
    messages = {}
    for due in dues:
        message = message_for(rule, due, owner_names=owner_names)
        if message is not None:
            messages.setdefault(message.idempotency_key, message)
    if not messages:
        return []
    existing = set(
        CareMessage.objects.filter(idempotency_key__in=list(messages)).values_list(
            "idempotency_key", flat=True
        )
    )
    fresh = [m for key, m in messages.items() if key not in existing]
    # The unique key is the guard: a concurrent run inserting the same rows makes these no-ops.
    CareMessage.objects.bulk_create(fresh, ignore_conflicts=True)
    ids = list(
        CareMessage.objects.filter(
            idempotency_key__in=[m.idempotency_key for m in fresh],
            status=CareMessage.Status.QUEUED,
            attempts=0,
        ).values_list("pk", flat=True)
    )
    logger.info("Care rule %s: %s due, %s new", rule.pk, len(messages), len(ids))
    transaction.on_commit(lambda: care_message_queue(ids))
    return ids
