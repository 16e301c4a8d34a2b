"""Writes of custom statistics: one transaction each; the definition is validated by the form
(forms.py) and again here against the whitelist, so no caller can store what cannot run."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from performance.models import CustomStatistic
from performance.statistics.conditions import clean_condition
from performance.statistics.engine import MAX_CONDITIONS
from performance.statistics.modules import CUSTOMER, get_module

FIELDS = ("name", "module", "conditions", "measure", "measure_field", "grouping")


def _validate(statistic: CustomStatistic, *, author) -> None:
    module = get_module(statistic.module)
    if len(statistic.conditions) > MAX_CONDITIONS:
        raise ValidationError({"conditions": "too many conditions"})
    # The builder has already turned what was typed (a customer's code) into primary keys:
    # check them as stored values (resolving a key again as a code could pick another customer
    # whose code happens to be that number), then that the customers named are the author's
    # to see (no probing).
    statistic.conditions = [clean_condition(module, c, stored=True) for c in statistic.conditions]
    _check_customers(module, statistic.conditions, author)
    if statistic.measure == CustomStatistic.Measure.COUNT:
        statistic.measure_field = ""
    elif statistic.measure_field not in module.measures:
        raise ValidationError({"measure_field": "not a measurable field of this module"})
    statistic.full_clean(exclude=["owner"])


def _check_customers(module, conditions: list[dict], author) -> None:
    from customers.models import Customer

    wanted = set()
    for condition in conditions:
        if module.fields[condition["field"]].type == CUSTOMER and condition["value"]:
            value = condition["value"]
            wanted.update(int(v) for v in (value if isinstance(value, list) else [value]))
    if not wanted:
        return
    seen = set(
        Customer.objects.visible_to(author).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if wanted - seen:
        raise ValidationError({"conditions": "a customer the author may not see"})


@transaction.atomic
def statistic_create(
    *, author, data: dict, shared_positions: Iterable = (), shared_users: Iterable = ()
) -> CustomStatistic:
    statistic = CustomStatistic(owner=author, **{k: data[k] for k in FIELDS})
    _validate(statistic, author=author)
    statistic.save()
    statistic.shared_positions.set(shared_positions)
    statistic.shared_users.set(shared_users)
    return statistic


@transaction.atomic
def statistic_update(
    *,
    statistic: CustomStatistic,
    editor,
    data: dict,
    shared_positions: Iterable = (),
    shared_users: Iterable = (),
) -> CustomStatistic:
    statistic = CustomStatistic.objects.select_for_update().get(pk=statistic.pk)
    for key in FIELDS:
        setattr(statistic, key, data[key])
    _validate(statistic, author=editor)
    statistic.save()
    statistic.shared_positions.set(shared_positions)
    statistic.shared_users.set(shared_users)
    return statistic


@transaction.atomic
def statistic_delete(*, statistic: CustomStatistic) -> None:
    statistic.delete()
